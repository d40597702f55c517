from django.urls import path

from accounts.api import views as account_views
from telemetry.api import metrics_views
from telemetry.api.ingest_views import IngestView

urlpatterns = [
    path("ingest", IngestView.as_view(), name="ingest"),
    path("metrics/aggregate", metrics_views.MetricsView.as_view(), name="metrics"),
    path("metrics/aggregate/realtime", metrics_views.RealtimeMetricsView.as_view(), name="metrics-realtime"),
    path("metrics/filters", metrics_views.FilterValuesView.as_view(), name="metrics-filters"),
    path("services", metrics_views.ServicesView.as_view(), name="services"),
    path("auth/test", account_views.AuthTestView.as_view(), name="auth-test"),
    path("auth/login", account_views.LoginView.as_view(), name="login"),
    path("auth/login/key", account_views.ApiKeyLoginView.as_view(), name="login-key"),
    path("auth/logout", account_views.LogoutView.as_view(), name="logout"),
]
