"""Foundations every stage uses: settings, database engine and schema, files, the business-day calendar, SQL loading."""
