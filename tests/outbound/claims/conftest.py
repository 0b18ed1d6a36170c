"""The claims test world (partners, storages, enrol / send / acknowledge helpers)."""

from tests.outbound.claims.world import world  # noqa: F401  (fixture)
