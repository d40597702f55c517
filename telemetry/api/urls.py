from django.urls import path

from telemetry.api.ingest_views import IngestView

urlpatterns = [
    path("ingest", IngestView.as_view(), name="ingest"),
]
