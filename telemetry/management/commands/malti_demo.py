"""Make the local instance explorable: logins, keys, and a few hours of traffic."""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import ApiKey, Membership, Service, Tenant
from telemetry.models import Request
from telemetry.models.raw import utcnow
from telemetry.traffic import TrafficModel, as_rows, daily_rate

DEMO_SERVICES = {"checkout": "Orders and payments", "catalog": "Product search", "accounts": "Sign-up and login"}
DEMO_KEY_NAME = "demo"


class Command(BaseCommand):
    help = (
        "Create an admin, a Demo tenant with three services and a user, issue fresh keys, "
        "and generate recent traffic. Passwords and keys are new on every run and printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, default=5.5, help="Hours of traffic to generate (default 5.5).")
        parser.add_argument("--rate", type=float, default=5.0, help="Mean requests per second (default 5).")
        parser.add_argument("--no-traffic", action="store_true", help="Only accounts and keys.")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where Malti is served, for the printout.")

    def handle(self, *args, hours, rate, no_traffic, url, verbosity=1, **options):
        self.verbosity = verbosity
        with transaction.atomic():
            logins = self._accounts()
        lines = [
            "",
            "Malti demo instance",
            f"  dashboard     {url}/   user demo  / {logins['demo']}",
            f"  admin         {url}/admin/   user admin / {logins['admin']}",
            f"  user key      {logins['user_key']}",
        ]
        lines += [f"  service key   {name}: {key}" for name, key in logins["service_keys"].items()]
        if not no_traffic:
            count = self._traffic(hours, rate)
            lines.append(f"  traffic       {count:,} requests over the last {hours:g} hours")
            call_command("refresh_rollups", verbosity=0)
        self.stdout.write(self.style.SUCCESS("\n".join(lines)) + "\n")

    def _accounts(self) -> dict:
        User = get_user_model()
        tenant, _ = Tenant.objects.get_or_create(name="Demo")
        admin, _ = User.objects.get_or_create(username="admin", defaults={"email": "admin@example.com"})
        admin.is_staff = admin.is_superuser = True
        admin_password = secrets.token_urlsafe(12)
        admin.set_password(admin_password)
        admin.save()
        Membership.objects.get_or_create(user=admin, tenant=tenant, defaults={"role": Membership.Role.ADMIN})
        demo, _ = User.objects.get_or_create(username="demo")
        demo_password = secrets.token_urlsafe(12)
        demo.set_password(demo_password)
        demo.save()
        Membership.objects.get_or_create(user=demo, tenant=tenant)
        # Old demo keys are revoked so only the printed ones work.
        for key in ApiKey.objects.usable().filter(name=DEMO_KEY_NAME):
            key.revoke()
        service_keys = {}
        for name, description in DEMO_SERVICES.items():
            service, _ = Service.objects.get_or_create(
                name=name, defaults={"tenant": tenant, "description": description}
            )
            service_keys[name] = ApiKey.issue(service=service, name=DEMO_KEY_NAME)[1]
        user_key = ApiKey.issue(user=demo, name=DEMO_KEY_NAME)[1]
        return {"admin": admin_password, "demo": demo_password, "user_key": user_key, "service_keys": service_keys}

    def _traffic(self, hours: float, rate: float) -> int:
        model = TrafficModel(
            services=list(DEMO_SERVICES), endpoints_per_service=12, consumers=25, seed=secrets.randbits(32)
        )
        end = utcnow()
        start = end - timedelta(hours=hours)
        total = 0
        step = timedelta(minutes=10)
        moment = start
        while moment < end:
            upper = min(moment + step, end)
            count = int(daily_rate(moment, rate) * (upper - moment).total_seconds())
            total += Request.objects.ingest(as_rows(model.records(count, moment, upper)))
            moment = upper
            if self.verbosity >= 2:
                self.stdout.write(f"  {moment:%H:%M} {total:,} requests")
        return total
