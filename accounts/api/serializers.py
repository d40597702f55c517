"""The auth endpoints' bodies, as the OpenAPI schema declares them."""

from rest_framework import serializers

PERMISSIONS = ["metrics", "admin"]


class UserSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The user name.")
    type = serializers.ChoiceField(["user"], help_text="Always `user`: service keys cannot sign in.")
    permissions = serializers.ListField(
        child=serializers.ChoiceField(PERMISSIONS),
        help_text="`metrics`: may read metrics; `admin`: may also use the admin site.",
    )
    auth = serializers.ChoiceField(["api_key", "session"], help_text="How this request authenticated.")
    tenants = serializers.ListField(child=serializers.CharField(), help_text="The tenants the user belongs to.")
    roles = serializers.DictField(
        child=serializers.ChoiceField(["admin", "viewer"]),
        help_text="The user's role in each of those tenants: `admin` may change its alerts and objectives.",
    )


# Each dashboard level under the original Malti's names (the only ones the API answers with), as
# (name, tenant field, description). A value at or below a `*_success_threshold` shows green,
# at or below a `*_warning_threshold` amber, above it red.
THRESHOLD_NAMES = [
    ("error_rate_success_threshold", "error_rate_warning", "Error rate (%) up to which the dashboard shows success."),
    ("error_rate_warning_threshold", "error_rate_critical", "Error rate (%) up to which it warns; above, critical."),
    ("error_success_threshold", "error_rate_warning", "The same as `error_rate_success_threshold`."),
    ("error_warning_threshold", "error_rate_critical", "The same as `error_rate_warning_threshold`."),
    ("latency_success_threshold", "latency_warning_ms", "Latency (ms) up to which the dashboard shows success."),
    ("latency_warning_threshold", "latency_critical_ms", "Latency (ms) up to which it warns; above, critical."),
]


def threshold_field(name, source, description):
    kind = serializers.IntegerField if source.startswith("latency") else serializers.FloatField
    return kind(source=source, help_text=description)


ThresholdsSerializer = type(
    "ThresholdsSerializer",
    (serializers.Serializer,),
    {name: threshold_field(name, source, text) for name, source, text in THRESHOLD_NAMES},
)


class RateLimitInfoSerializer(serializers.Serializer):
    endpoint = serializers.CharField(help_text="Always `auth_test`.")
    limit = serializers.CharField(help_text='Requests allowed, e.g. "10/minute", or "unlimited".')
    description = serializers.CharField()


class AuthTestSerializer(serializers.Serializer):
    authenticated = serializers.BooleanField(help_text="Always true: unauthenticated requests get 401.")
    user = UserSerializer()
    thresholds = ThresholdsSerializer()
    timestamp = serializers.DateTimeField(help_text="The server's time, ISO 8601 in UTC.")
    rate_limit_info = RateLimitInfoSerializer()


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class KeyLoginSerializer(serializers.Serializer):
    api_key = serializers.CharField(help_text="A user key.")


class LoginResponseSerializer(serializers.Serializer):
    user = UserSerializer()
