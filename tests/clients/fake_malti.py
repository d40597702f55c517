"""A loopback HTTP server that stands in for Malti's ingest endpoint in the sender's tests.

It answers from a script (`answers`: status and headers, then 200 for everything after)
and keeps every request it got, its body un-gzipped and parsed.
"""

import gzip
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: object  # case-insensitive, as HTTP headers are
    raw_body: bytes
    body: dict
    at: float


@dataclass
class FakeMalti:
    answers: list = field(default_factory=list)
    received: list = field(default_factory=list)

    def records(self) -> list[dict]:
        return [record for request in self.received for record in request.body["requests"]]


def _handler(fake: FakeMalti):
    import time

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            data = gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw
            fake.received.append(Received(self.headers, raw, json.loads(data), time.monotonic()))
            status, headers = fake.answers.pop(0) if fake.answers else (200, {})
            answer = json.dumps({"count": len(json.loads(data)["requests"])} if status == 200 else {}).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    return Handler


class FakeMaltiServer:
    def __init__(self):
        self.fake = FakeMalti()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.fake))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "FakeMaltiServer":
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
