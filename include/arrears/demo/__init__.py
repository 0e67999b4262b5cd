"""The synthetic demo portfolio and the demo month."""
