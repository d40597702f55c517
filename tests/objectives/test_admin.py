"""The service's admin page edits its objectives inline; untouched defaults store nothing."""

import pytest

from objectives.models import ServiceObjectives

pytestmark = pytest.mark.django_db


def change(admin_client, service, **objectives):
    form = {
        "name": service.name,
        "tenant": service.tenant.pk,
        "is_active": "on",
        "objectives-TOTAL_FORMS": "1",
        "objectives-INITIAL_FORMS": "0",
        "objectives-0-service": "",
        "objectives-0-apdex_t_ms": "500",
        # A callable default comes with its initial value in a hidden field, as the page sends it.
        "initial-objectives-0-apdex_t_ms": "500",
        "objectives-0-availability_objective": "99.9",
        "objectives-0-latency_objective": "99",
        "objectives-0-latency_threshold_ms": "1000",
        # The cardinality limits inline's management form, as the page sends it (none changed).
        "cardinality-TOTAL_FORMS": "0",
        "cardinality-INITIAL_FORMS": "0",
        **{f"objectives-0-{name}": value for name, value in objectives.items()},
    }
    return admin_client.post(f"/admin/accounts/service/{service.pk}/change/", form)


def test_the_page_shows_the_objectives_with_their_defaults(admin_client, service):
    page = admin_client.get(f"/admin/accounts/service/{service.pk}/change/").content.decode()
    assert "Apdex T (ms)" in page and 'value="500"' in page


def test_saving_the_defaults_stores_nothing(admin_client, service):
    assert change(admin_client, service).status_code == 302
    assert not ServiceObjectives.objects.exists()


def test_a_changed_target_is_stored(admin_client, service):
    assert change(admin_client, service, apdex_t_ms="250").status_code == 302
    assert ServiceObjectives.objects.get(service=service).apdex_t_ms == 250


def test_an_objective_of_100_percent_is_refused(admin_client, service):
    response = change(admin_client, service, availability_objective="100")
    assert response.status_code == 200  # the form again, with the error
    assert not ServiceObjectives.objects.exists()
