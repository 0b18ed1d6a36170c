"""Outcomes, batch windows, assembly of acknowledgment files, storage and the outbox."""
