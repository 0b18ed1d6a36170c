"""Ledger services: every write to the event log and its projections."""
