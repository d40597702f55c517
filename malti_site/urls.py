from django.contrib import admin
from django.urls import include, path
from django_ratelimit.decorators import ratelimit
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from malti_site.ratelimits import ip_key, rate_for
from telemetry import health

urlpatterns = [
    path("health", health.health, name="health"),
    path("health/ready", health.ready, name="ready"),
    # Admin login attempts are limited per client, like the dashboard's.
    path(
        "admin/login/",
        ratelimit(group="login-ip", key=ip_key, rate=rate_for("MALTI_RATELIMIT_LOGIN"), method="POST", block=True)(
            admin.site.login
        ),
    ),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("telemetry.api.urls")),
    # The dashboard's catch-all comes last and never matches api/, admin/ or health.
    path("", include("dashboard_ui.urls")),
]
