"""Inbound services: ingest (one orchestrator and its single-concern modules), reprocess,
the inbox poller."""
