"""Outbound write services, one module per concern."""
