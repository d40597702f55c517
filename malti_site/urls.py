from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from accounts.admin_login import admin_login
from telemetry import health
from telemetry.api.otlp_views import TracesView

urlpatterns = [
    path("health", health.health, name="health"),
    path("health/ready", health.ready, name="ready"),
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("telemetry.api.urls")),
    path("api/v1/", include("objectives.api.urls")),
    # OTLP/HTTP's own path, where exporters send traces given only Malti's address.
    path("v1/traces", TracesView.as_view(), name="otlp-traces"),
    path("api/v1/", include("explorer.api.urls")),
    path("api/v1/", include("alerts.api.urls")),
    # The dashboard's catch-all comes last and never matches api/, admin/ or health.
    path("", include("dashboard_ui.urls")),
]
