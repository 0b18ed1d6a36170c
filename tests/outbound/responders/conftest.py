"""The eligibility test world (partners, storages, enrol / ask / answer helpers) and the
claims one (enrol / send 837s / read the 277CA)."""

from tests.outbound.claims.world import claims_world  # noqa: F401  (fixture)
from tests.outbound.eligibility.world import world  # noqa: F401  (fixture)
