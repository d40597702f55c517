"""Create tenants, services, users and keys from scripts (admin does it by hand)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import ApiKey, Membership, Service, Tenant


class Command(BaseCommand):
    help = (
        "Manage Malti accounts for automation. New keys are printed once, on stdout alone, "
        "so `KEY=$(manage.py malti_accounts key service checkout --tenant Acme)` works."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        tenant = sub.add_parser("tenant", help="Create a tenant (no-op if it exists).")
        tenant.add_argument("name")

        service = sub.add_parser("service", help="Create a service in a tenant.")
        service.add_argument("name")
        service.add_argument("--tenant", required=True)
        service.add_argument("--description", default="")

        user = sub.add_parser("user", help="Create a user (or update its password) and add it to a tenant.")
        user.add_argument("username")
        user.add_argument("--tenant", required=True)
        user.add_argument("--role", choices=[r.value for r in Membership.Role], default=Membership.Role.VIEWER)
        user.add_argument("--password", help="Sets a dashboard password; without it the user logs in by key only.")

        key = sub.add_parser("key", help="Issue a key for a service (ingest) or a user (read) and print it.")
        key.add_argument("kind", choices=["service", "user"])
        key.add_argument("owner", help="The service name or the username.")
        key.add_argument("--tenant", help="The service's tenant; needed when tenants share the service name.")
        key.add_argument("--name", default="", help="What the key is for.")

        revoke = sub.add_parser("revoke", help="Revoke every usable key with this visible prefix.")
        revoke.add_argument("prefix")

        sub.add_parser("list", help="List tenants, services and keys (never the keys themselves).")

    @transaction.atomic
    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def _tenant(self, name):
        try:
            return Tenant.objects.get(name=name)
        except Tenant.DoesNotExist:
            raise CommandError(f"No tenant named {name!r}; create it with `malti_accounts tenant {name}`.") from None

    def do_tenant(self, name, **_):
        tenant, created = Tenant.objects.get_or_create(name=name)
        self.stderr.write(f"{'Created' if created else 'Kept existing'} tenant {tenant.name}.")

    def _service(self, name, tenant):
        """The service of that name, in `tenant` if given; refuse a name several tenants use."""
        services = Service.objects.filter(name=name).select_related("tenant").order_by("tenant__name")
        if tenant is not None:
            services = services.filter(tenant__name=tenant)
        services = list(services)
        if not services:
            raise CommandError(f"No service named {name!r}{f' in tenant {tenant!r}' if tenant else ''}.")
        if len(services) > 1:
            tenants = ", ".join(service.tenant.name for service in services)
            raise CommandError(f"Services named {name!r} exist in tenants {tenants}; say which with --tenant.")
        return services[0]

    def do_service(self, name, tenant, description, **_):
        owner = self._tenant(tenant)
        # Names are unique per tenant: another tenant's service of that name is another service.
        _, created = Service.objects.get_or_create(name=name, tenant=owner, defaults={"description": description})
        self.stderr.write(f"{'Created' if created else 'Kept existing'} service {name} in {owner}.")

    def do_user(self, username, tenant, role, password, **_):
        owner = self._tenant(tenant)
        user, created = get_user_model().objects.get_or_create(username=username)
        if password:
            user.set_password(password)
            user.save()
        elif created:
            user.set_unusable_password()
            user.save()
        Membership.objects.update_or_create(user=user, tenant=owner, defaults={"role": role})
        self.stderr.write(f"{'Created' if created else 'Updated'} user {username} ({role} of {owner}).")

    def do_key(self, kind, owner, name, tenant, **_):
        if kind == "service":
            service = self._service(owner, tenant)
            _, raw = ApiKey.issue(service=service, name=name)
            owner = str(service)
        else:
            if tenant is not None:
                raise CommandError("--tenant is for service keys: a user's key reads every tenant the user is in.")
            user = get_user_model().objects.filter(username=owner).first()
            if user is None:
                raise CommandError(f"No user named {owner!r}.")
            _, raw = ApiKey.issue(user=user, name=name)
        self.stderr.write(f"Issued a {kind} key for {owner}; it is shown only now:")
        self.stdout.write(raw)

    def do_revoke(self, prefix, **_):
        keys = list(ApiKey.objects.usable().filter(prefix=prefix))
        if not keys:
            raise CommandError(f"No usable key has the prefix {prefix!r}.")
        for key in keys:
            key.revoke()
        self.stdout.write(self.style.SUCCESS(f"Revoked {len(keys)} key(s) with prefix {prefix}."))

    def do_list(self, **_):
        for tenant in Tenant.objects.prefetch_related("services", "memberships__user"):
            self.stdout.write(self.style.MIGRATE_HEADING(f"Tenant {tenant.name}"))
            for service in tenant.services.all():
                self.stdout.write(f"  service {service.name}{'' if service.is_active else ' (inactive)'}")
            for membership in tenant.memberships.all():
                self.stdout.write(f"  user {membership.user.username} ({membership.role})")
        for key in ApiKey.objects.select_related("service__tenant", "user"):
            state = "revoked" if key.is_revoked else "expired" if key.is_expired() else "usable"
            self.stdout.write(f"key {key.prefix or '(imported)'}  {key}  {state}  last used {key.last_used or 'never'}")
