"""Make the local instance explorable: logins, keys, and a few hours of traffic."""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import ApiKey, Membership, Service, Tenant
from malti_site import clock
from telemetry.models import Request
from telemetry.traffic import TrafficModel, as_rows, daily_rate

DEMO_SERVICES = {"checkout": "Orders and payments", "catalog": "Product search", "accounts": "Sign-up and login"}
DEMO_TENANT = "Demo"
DEMO_KEY_NAME = "demo"
MANAGE = ".venv/bin/python manage.py"


class Command(BaseCommand):
    help = (
        "Create an admin, a Demo tenant with three services and a user, their keys and recent traffic, "
        "once: when the Demo tenant exists, nothing is changed (a user's passwords and keys are theirs). "
        "--reset sets new passwords for admin and demo and replaces the demo keys."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, default=5.5, help="Hours of traffic to generate (default 5.5).")
        parser.add_argument("--rate", type=float, default=5.0, help="Mean requests per second (default 5).")
        parser.add_argument("--no-traffic", action="store_true", help="Only accounts and keys.")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where Malti is served, for the printout.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="New passwords for admin and demo, the old demo keys revoked and new ones issued.",
        )

    def handle(self, *args, hours, rate, no_traffic, url, reset=False, verbosity=1, **options):
        self.verbosity = verbosity
        with transaction.atomic():
            if Tenant.objects.filter(name=DEMO_TENANT).exists() and not reset:
                self.stdout.write(self._kept(url) + "\n")
                return
            logins = self._accounts(reset)
        lines = ["", "Malti demo instance", f"  dashboard     {url}/   user demo  / {logins['demo']}"]
        lines.append(f"  admin         {url}/admin/   user admin / {logins['admin']}")
        lines.append(f"  user key      {logins['user_key']}")
        lines += [f"  service key   {name}: {key}" for name, key in logins["service_keys"].items()]
        if not no_traffic:
            count = self._traffic(hours, rate)
            lines.append(f"  traffic       {count:,} requests over the last {hours:g} hours")
            call_command("refresh_rollups", verbosity=0)
        lines.append("  These are shown once: later starts keep them.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)) + "\n")

    def _kept(self, url: str) -> str:
        return "\n".join(
            [
                "",
                "Malti demo instance (set up on the first run; passwords and keys unchanged)",
                f"  dashboard     {url}/   user demo",
                f"  admin         {url}/admin/   user admin",
                f"  new password  {MANAGE} changepassword admin   (or demo)",
                f"  new key       {MANAGE} malti_accounts key service checkout   (or key user demo)",
                "  start over    scripts/run.sh --reset-demo   (new passwords for admin and demo, new demo keys)",
            ]
        )

    def _login(self, username: str, reset: bool, **defaults) -> str:
        """A new password for a user created now, or for any with --reset; an existing one is left alone."""
        user, created = get_user_model().objects.get_or_create(username=username, defaults=defaults)
        if not (created or reset):
            return "(existing user: password unchanged)"
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save()
        return password

    def _accounts(self, reset: bool) -> dict:
        User = get_user_model()
        tenant, _ = Tenant.objects.get_or_create(name=DEMO_TENANT)
        admin_password = self._login("admin", reset, email="admin@example.com", is_staff=True, is_superuser=True)
        demo_password = self._login("demo", reset)
        admin, demo = User.objects.get(username="admin"), User.objects.get(username="demo")
        Membership.objects.get_or_create(user=admin, tenant=tenant, defaults={"role": Membership.Role.ADMIN})
        Membership.objects.get_or_create(user=demo, tenant=tenant)
        if reset:  # only the printed keys work afterwards
            for key in ApiKey.objects.usable().filter(name=DEMO_KEY_NAME):
                key.revoke()
        service_keys = {}
        for name, description in DEMO_SERVICES.items():
            service, _ = Service.objects.get_or_create(tenant=tenant, name=name, defaults={"description": description})
            service_keys[name] = ApiKey.issue(service=service, name=DEMO_KEY_NAME)[1]
        user_key = ApiKey.issue(user=demo, name=DEMO_KEY_NAME)[1]
        return {"admin": admin_password, "demo": demo_password, "user_key": user_key, "service_keys": service_keys}

    def _traffic(self, hours: float, rate: float) -> int:
        model = TrafficModel(
            services=list(DEMO_SERVICES), endpoints_per_service=12, consumers=25, seed=secrets.randbits(32)
        )
        # Records carry names (and name the nodes); the rows store each service's telemetry key, as ingest does.
        demo = Service.objects.filter(tenant__name=DEMO_TENANT, name__in=DEMO_SERVICES)
        keys = dict(demo.values_list("name", "telemetry_key"))
        end = clock.now()
        start = end - timedelta(hours=hours)
        total = 0
        step = timedelta(minutes=10)
        moment = start
        while moment < end:
            upper = min(moment + step, end)
            count = int(daily_rate(moment, rate) * (upper - moment).total_seconds())
            records = model.records(count, moment, upper)
            for record in records:
                record["service"] = keys[record["service"]]
            total += Request.objects.ingest(as_rows(records))
            moment = upper
            if self.verbosity >= 2:
                self.stdout.write(f"  {moment:%H:%M} {total:,} requests")
        return total
