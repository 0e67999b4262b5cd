"""Getting the landlord's data in: CSV import with quarantine, the input conventions, the drop folder."""
