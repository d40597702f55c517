"""Move an existing Malti install over: its malti.toml services, users and keys."""

import tomllib
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.keys import digest_key, weakness
from accounts.models import ApiKey, Membership, Service, Tenant

DEFAULT_TENANT = "Default"
# [dashboard.thresholds] of the original, by the tenant field that holds each level.
THRESHOLDS = {
    "error_rate_success_threshold": "error_rate_warning",
    "error_rate_warning_threshold": "error_rate_critical",
    "latency_success_threshold": "latency_warning_ms",
    "latency_warning_threshold": "latency_critical_ms",
}


class Command(BaseCommand):
    help = (
        "Import [services.*] and [users.*] from an existing malti.toml so every key in it keeps working. "
        "Safe to run again: what already matches is skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The malti.toml to import.")
        parser.add_argument(
            "--tenant", default=DEFAULT_TENANT, help=f"Tenant to import into (default {DEFAULT_TENANT!r})."
        )
        parser.add_argument("--dry-run", action="store_true", help="Report what would change, change nothing.")

    def handle(self, *args, path, tenant, dry_run, verbosity=1, **options):
        self.verbosity = verbosity
        try:
            config = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise CommandError(f"{path} does not exist.") from None
        except tomllib.TOMLDecodeError as exc:
            raise CommandError(f"{path} is not valid TOML: {exc}") from None
        self.counts = {"created": 0, "updated": 0, "skipped": 0}
        self.weak_keys = 0
        with transaction.atomic():
            owner, created = Tenant.objects.get_or_create(name=tenant)
            if created:
                self._report("created", f"tenant {tenant}")
            self._import_thresholds(owner, (config.get("dashboard") or {}).get("thresholds"))
            for name, entry in (config.get("services") or {}).items():
                self._import_service(owner, name, entry)
            for name, entry in (config.get("users") or {}).items():
                self._import_user(owner, name, entry)
            if dry_run:
                transaction.set_rollback(True)
        c = self.counts
        summary = f"{c['created']} created, {c['updated']} updated, {c['skipped']} unchanged"
        if self.weak_keys:
            summary += f", {self.weak_keys} weak key(s) to replace"
        self.stdout.write(self.style.SUCCESS(f"{'Would import' if dry_run else 'Imported'} {path}: {summary}."))

    def _report(self, outcome, what):
        self.counts[outcome] += 1
        if self.verbosity >= 1:
            self.stdout.write(f"  {outcome:8} {what}")

    def _import_thresholds(self, tenant, thresholds):
        if not isinstance(thresholds, dict):
            return
        changed = []
        for name, field in THRESHOLDS.items():
            value = thresholds.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool) and getattr(tenant, field) != value:
                setattr(tenant, field, value)
                changed.append(field)
        if changed:
            tenant.save(update_fields=changed)
            self._report("updated", f"tenant {tenant} dashboard thresholds")

    def _warn_if_weak(self, raw_key, label):
        reason = weakness(raw_key)
        if reason:
            self.weak_keys += 1
            self.stdout.write(
                self.style.WARNING(
                    f"  warning  the api_key of {label} is easy to guess: {reason}. Replace it with "
                    f"`manage.py malti_accounts key ...` and revoke this one in admin."
                )
            )

    def _key_for(self, raw_key, *, service=None, user=None, label):
        if not isinstance(raw_key, str) or not raw_key:
            self._report("skipped", f"{label}: no api_key")
            return
        self._warn_if_weak(raw_key, label)
        existing = ApiKey.objects.filter(digest=digest_key(raw_key)).first()
        if existing is None:
            ApiKey.issue(service=service, user=user, raw_key=raw_key, name="imported from malti.toml")
            self._report("created", f"{label} key")
        elif (existing.service_id, existing.user_id) != (getattr(service, "pk", None), getattr(user, "pk", None)):
            raise CommandError(f"The api_key of {label} already belongs to {existing}; keys must be unique.")
        else:
            self._report("skipped", f"{label} key")

    def _import_service(self, tenant, name, entry):
        if not isinstance(entry, dict):
            raise CommandError(f"[services.{name}] must be a table.")
        description = str(entry.get("description", ""))
        # Names are unique per tenant: the same name in another tenant is another service.
        service = Service.objects.filter(tenant=tenant, name=name).first()
        if service is None:
            service = Service.objects.create(name=name, tenant=tenant, description=description)
            self._report("created", f"service {name}")
        elif service.description != description:
            service.description = description
            service.save(update_fields=["description"])
            self._report("updated", f"service {name} description")
        else:
            self._report("skipped", f"service {name}")
        self._key_for(entry.get("api_key"), service=service, label=f"service {name}")

    def _import_user(self, tenant, name, entry):
        if not isinstance(entry, dict):
            raise CommandError(f"[users.{name}] must be a table.")
        username = str(entry.get("username") or name)
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()  # the original Malti had keys, not passwords
            user.save()
        _, joined = Membership.objects.get_or_create(user=user, tenant=tenant)
        self._report("created" if created or joined else "skipped", f"user {username}")
        self._key_for(entry.get("api_key"), user=user, label=f"user {username}")
