"""Inbound batches, enrollment domain events, projections, snapshots, replay and reversal."""
