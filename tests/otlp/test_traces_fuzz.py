"""Schemathesis, every check on, against a live Malti: POST /v1/traces does what its OpenAPI schema says.

Its protobuf body can only be described as bytes, so a schema-valid body may still be
unreadable (400); tests/compat/schemathesis.toml says so for this operation.
"""

import pytest

from tests.compat.test_openapi_fuzz import schemathesis

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
TRACES = r"^/v1/traces$"


def test_the_traces_export_fails_no_check_with_a_service_key(server, accounts, tmp_path):
    status, report = schemathesis(
        server,
        tmp_path,
        accounts.keys.checkout,
        "--include-path-regex",
        TRACES,
        # The nested OTLP/JSON body is slow to generate on a busy machine; slowness is no finding here.
        "--suppress-health-check",
        "too_slow",
        examples=30,
        budget=60,
    )
    assert status == 0, report
