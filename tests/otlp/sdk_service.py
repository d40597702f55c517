"""A service instrumented with the OpenTelemetry Python SDK, configured only by OTEL_* variables.

Run as a program by test_sdk_end_to_end.py: it records a small shop's HTTP requests as
SERVER spans, each with a CLIENT span (its database query) and an INTERNAL span inside,
and exports them with the SDK's OTLP/HTTP exporter to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
as any instrumented service would. It prints each export's result and fails unless all
succeeded. Durations are set exactly, so the test can compare latencies.
"""

import sys
import time

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

BILLING = {"malti.consumer": "billing-ui"}
MOBILE = {"enduser.id": "mobile"}
# (attributes, duration in ms): current HTTP conventions, one request in the older ones, one without a route.
TRAFFIC = [
    ({"http.request.method": "GET", "http.route": "/items/{item_id}", "http.response.status_code": 200, **BILLING}, 10),
    ({"http.request.method": "GET", "http.route": "/items/{item_id}", "http.response.status_code": 200, **BILLING}, 20),
    ({"http.request.method": "GET", "http.route": "/items/{item_id}", "http.response.status_code": 200, **BILLING}, 30),
    ({"http.request.method": "GET", "http.route": "/items/{item_id}", "http.response.status_code": 503, **BILLING}, 40),
    ({"http.request.method": "POST", "http.route": "/items", "http.response.status_code": 201, **MOBILE}, 5),
    ({"http.request.method": "POST", "http.route": "/items", "http.response.status_code": 201, **MOBILE}, 7),
    ({"http.request.method": "POST", "http.route": "/items", "http.response.status_code": 422, **MOBILE}, 3),
    ({"http.method": "DELETE", "http.route": "/items/{item_id}", "http.status_code": 500, **BILLING}, 100),
    ({"http.request.method": "GET", "url.path": "/nowhere/8812", "http.response.status_code": 404}, 1),
]


class RecordingExporter(SpanExporter):
    """The OTLP/HTTP exporter, remembering what each export returned."""

    def __init__(self, exporter: SpanExporter):
        self.exporter = exporter
        self.results = []

    def export(self, spans):
        result = self.exporter.export(spans)
        self.results.append(result.name)
        return result

    def shutdown(self):
        self.exporter.shutdown()


def serve(tracer, ended_ns: int) -> None:
    for attributes, milliseconds in TRAFFIC:
        started_ns = ended_ns - milliseconds * 1_000_000
        name = f"{attributes.get('http.request.method', attributes.get('http.method'))} {attributes.get('http.route')}"
        request = tracer.start_span(name, kind=trace.SpanKind.SERVER, start_time=started_ns, attributes=attributes)
        with trace.use_span(request, end_on_exit=False):
            tracer.start_span("SELECT items", kind=trace.SpanKind.CLIENT, start_time=started_ns).end(ended_ns)
            tracer.start_span("render", start_time=started_ns).end(ended_ns)  # INTERNAL
        request.end(ended_ns)


def main() -> int:
    exporter = RecordingExporter(OTLPSpanExporter())  # endpoint, headers, compression: OTEL_EXPORTER_OTLP_TRACES_*
    provider = TracerProvider(resource=Resource.create())  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
    provider.add_span_processor(BatchSpanProcessor(exporter, max_export_batch_size=8))
    serve(provider.get_tracer("malti-otlp-test"), time.time_ns())
    provider.shutdown()  # exports what is queued, as a service does on exit
    print(" ".join(exporter.results))
    return 0 if exporter.results and all(result == "SUCCESS" for result in exporter.results) else 1


if __name__ == "__main__":
    sys.exit(main())
