# The live Malti, its tenant, keys and rollup refresh of the compatibility tests, for the SDK's end-to-end test.
from tests.compat.conftest import accounts, http, rollups_refreshed, server  # noqa: F401
