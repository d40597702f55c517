import hmac
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.keys import digest_key, generate_key, visible_prefix
from accounts.keys import weakness as judge_weakness
from malti_site import clock

LAST_USED_RESOLUTION = timedelta(minutes=1)


THRESHOLD_FIELDS = ["error_rate_warning", "error_rate_critical", "latency_warning_ms", "latency_critical_ms"]


class TenantQuerySet(models.QuerySet):
    def thresholds_for(self, user) -> dict:
        """The dashboard levels for a user: with several tenants, the strictest of each."""
        strictest = self.filter(memberships__user=user).aggregate(**{f: models.Min(f) for f in THRESHOLD_FIELDS})
        return {f: Tenant._meta.get_field(f).default if v is None else v for f, v in strictest.items()}


class Tenant(models.Model):
    """An organisation: it owns services, users see it through memberships."""

    name = models.CharField(max_length=100, unique=True)
    error_rate_warning = models.FloatField(default=5.0, help_text="Error rate (%) from which the dashboard warns.")
    error_rate_critical = models.FloatField(default=10.0, help_text="Error rate (%) shown as critical.")
    latency_warning_ms = models.PositiveIntegerField(
        default=500, help_text="p95 latency (ms) from which the dashboard warns."
    )
    latency_critical_ms = models.PositiveIntegerField(default=1000, help_text="p95 latency (ms) shown as critical.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def thresholds(self) -> dict:
        return {field: getattr(self, field) for field in THRESHOLD_FIELDS}


class Membership(models.Model):
    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        ADMIN = "admin", "Admin"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tenant"], name="membership_unique_user_tenant")]

    def __str__(self):
        return f"{self.user} in {self.tenant} ({self.role})"


class ServiceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The services of the user's tenants: every read path starts here."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(tenant__memberships__user=user)


def new_telemetry_key() -> str:
    """A fresh, never-reused identity for a new service's telemetry."""
    return uuid.uuid4().hex


class Service(models.Model):
    """A service that sends telemetry; records carry its name, the tables store its telemetry_key."""

    name = models.CharField(max_length=500, help_text="What records carry; unique within the tenant.")
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="services")
    # The value stored in the telemetry tables' `service` column. It never
    # changes, so a rename keeps the history and a deleted service's history
    # never shows up under a new service of the same name, in any tenant.
    # Services that existed before it was introduced keep their name as key.
    telemetry_key = models.CharField(max_length=500, unique=True, editable=False, default=new_telemetry_key)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Inactive services cannot ingest.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="service_unique_tenant_name")]

    def __str__(self):
        # Two tenants may each have an `api`: name the tenant wherever a service is listed.
        return f"{self.name} ({self.tenant.name})"

    def stored_request_count(self) -> int:
        """Requests stored under this service's key, across every rollup level and raw rows."""
        return stored_request_counts([self.telemetry_key]).get(self.telemetry_key, 0)


def stored_request_counts(keys) -> dict[str, int]:
    """Requests stored per telemetry key: what a delete takes out of sight."""
    from accounts.history import request_counts  # it reads telemetry, which imports accounts

    return request_counts(list(keys))


def visible_services(user) -> dict[str, str]:
    """Telemetry key -> name of the services a user may read; resolved before any metrics SQL runs."""
    return dict(Service.objects.visible_to(user).values_list("telemetry_key", "name"))


class ApiKeyQuerySet(models.QuerySet):
    def for_key(self, raw_key: str):
        """The key matching raw_key, usable or not, or None."""
        if not raw_key:
            return None
        digest = digest_key(raw_key)
        key = self.select_related("service", "service__tenant", "user").filter(digest=digest).first()
        # The digest lookup already matched; compare again in constant time.
        if key is not None and hmac.compare_digest(key.digest, digest):
            return key
        return None

    def usable(self):
        now = clock.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class ApiKey(models.Model):
    """A service key (ingest for one service) or a user key (read metrics)."""

    class Kind(models.TextChoices):
        SERVICE = "service", "Service key (ingest)"
        USER = "user", "User key (read metrics)"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True, help_text="What the key is for, e.g. 'production nodes'.")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    prefix = models.CharField(max_length=20, blank=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Optional; the key stops working then.")
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    # Only a digest is kept, so an imported key's strength is judged once, when it is imported.
    weakness = models.CharField(
        max_length=200, blank=True, editable=False, help_text="Why this imported key is easy to guess, if it is."
    )

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="apikey_owner_matches_kind",
                condition=(Q(kind="service", service__isnull=False, user__isnull=True))
                | Q(kind="user", user__isnull=False, service__isnull=True),
            )
        ]

    def __str__(self):
        owner = self.service if self.kind == self.Kind.SERVICE else self.user
        return f"{self.get_kind_display()} for {owner} ({self.prefix or 'imported'})"

    @classmethod
    def issue(cls, *, service=None, user=None, name="", created_by=None, expires_at=None, raw_key=None):
        """Create a key and return (key, raw): the raw key is never stored, show it now."""
        kind = cls.Kind.SERVICE if service is not None else cls.Kind.USER
        raw = raw_key or generate_key(kind)
        key = cls.objects.create(
            kind=kind,
            service=service,
            user=user,
            name=name,
            prefix=visible_prefix(raw),
            digest=digest_key(raw),
            created_by=created_by,
            expires_at=expires_at,
            weakness=(judge_weakness(raw) or "") if raw_key else "",
        )
        return key, raw

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or clock.now())

    def is_usable(self, now=None) -> bool:
        if self.is_revoked or self.is_expired(now):
            return False
        if self.kind == self.Kind.SERVICE:
            return self.service.is_active
        return self.user.is_active

    def revoke(self, by=None):
        if self.revoked_at is None:
            self.revoked_at = clock.now()
            self.revoked_by = by
            self.save(update_fields=["revoked_at", "revoked_by"])

    def touch(self, now=None):
        """Record use at most once a minute, so authentication stays read-only."""
        now = now or clock.now()
        if self.last_used is None or now - self.last_used >= LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=self.pk).update(last_used=now)
            self.last_used = now
