"""Doing it once: the action journal (idempotent reservation and recording) and managers' approvals."""
