"""The eligibility test world (partners, storages, enrol / ask / answer helpers)."""

from tests.outbound.eligibility.world import world  # noqa: F401  (fixture)
