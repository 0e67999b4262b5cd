"""The landlord's configuration as data: the monthly plan (plan.toml) and the landlord file (landlord.toml)."""
