"""Documents people act on: letters, formal notices, mailroom batches, worklists, transfer files, reports."""
