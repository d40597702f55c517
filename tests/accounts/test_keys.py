import pytest
from django.db import connection

from accounts.keys import digest_key
from accounts.models import ApiKey

pytestmark = pytest.mark.django_db


def test_a_raw_key_never_reaches_the_database(service, user):
    _, service_raw = ApiKey.issue(service=service)
    _, user_raw = ApiKey.issue(user=user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(k)::text FROM accounts_apikey k")
        dumped = " ".join(row[0] for row in cursor.fetchall())
    assert service_raw not in dumped and user_raw not in dumped
    assert service_raw[16:] not in dumped
    assert digest_key(service_raw) in dumped


def test_keys_are_random_prefixed_and_found_by_digest(service):
    key, raw = ApiKey.issue(service=service)
    other, other_raw = ApiKey.issue(service=service)
    assert raw != other_raw
    assert raw.startswith("malti_s_") and len(raw) > 40
    assert key.prefix == raw[:16]
    assert ApiKey.objects.for_key(raw) == key
    assert ApiKey.objects.for_key(raw + "x") is None


def test_imported_keys_have_no_prefix_but_work(service):
    key, raw = ApiKey.issue(service=service, raw_key="user-service-key")
    assert key.prefix == ""
    assert ApiKey.objects.for_key("user-service-key") == key


def test_a_revoked_key_records_who_and_when(service, user):
    key, _ = ApiKey.issue(service=service, created_by=user)
    key.revoke(by=user)
    key.refresh_from_db()
    assert key.revoked_by == user and key.revoked_at is not None
    assert not key.is_usable()
    assert key.created_by == user
