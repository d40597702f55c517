from django.urls import path

from telemetry.api import metrics_views
from telemetry.api.ingest_views import IngestView

urlpatterns = [
    path("ingest", IngestView.as_view(), name="ingest"),
    path("metrics/aggregate", metrics_views.MetricsView.as_view(), name="metrics"),
    path("metrics/aggregate/realtime", metrics_views.RealtimeMetricsView.as_view(), name="metrics-realtime"),
    path("metrics/filters", metrics_views.FilterValuesView.as_view(), name="metrics-filters"),
    path("services", metrics_views.ServicesView.as_view(), name="services"),
]
