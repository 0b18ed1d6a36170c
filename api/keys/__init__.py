"""API keys: partner keys and staff tokens (random, shown once, stored hashed)."""
