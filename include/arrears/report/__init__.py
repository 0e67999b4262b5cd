"""What managers read: the KPIs and the monthly report."""
