"""The README's objectives example works as written, against a live server."""

import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import Membership
from objectives.models import ServiceObjectives
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, user_key

pytestmark = pytest.mark.django_db(transaction=True)


def readme_example() -> str:
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    section = readme.split("## Apdex and objectives\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.S)[0]


def test_the_patch_example_changes_the_services_objectives(live_server):
    tenant = TenantFactory(name="Acme")
    service = ServiceFactory(name="checkout", tenant=tenant)
    admin = UserFactory(username="alice")
    MembershipFactory(user=admin, tenant=tenant, role=Membership.Role.ADMIN)
    command = readme_example().strip().replace("http://127.0.0.1:8000", live_server.url)
    result = subprocess.run(
        ["bash", "-c", command + " -sS -o /dev/null -w '%{http_code}'"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "MALTI_USER_KEY": user_key(admin)},
    )
    assert result.stdout == "200", result.stdout + result.stderr
    stored = ServiceObjectives.objects.get(service=service)
    assert (stored.apdex_t_ms, float(stored.availability_objective)) == (300, 99.5)
