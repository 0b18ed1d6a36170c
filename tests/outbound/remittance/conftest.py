"""The remittance test world (claims accepted, results imported, 835s read back)."""

from tests.outbound.remittance.world import world  # noqa: F401  (fixture)
