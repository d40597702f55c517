"""The image's HEALTHCHECK: GET /health on the local server, exit 0 on HTTP 200.

Django answers 400 to a Host header outside MALTI_ALLOWED_HOSTS, so the probe
sends the first allowed host instead of 127.0.0.1 (the variable is read here,
outside Django, because importing Django every few seconds costs more than the
probe itself). It also says the request came over HTTPS, so that
MALTI_SSL_REDIRECT does not answer with a redirect.
"""

import os
import sys
import urllib.error
import urllib.request

URL = "http://127.0.0.1:8000/health"


def probe_host() -> str:
    for entry in os.environ.get("MALTI_ALLOWED_HOSTS", "").split(","):
        entry = entry.strip().lstrip(".")  # ".example.com" allows example.com itself
        if entry and entry != "*":
            return entry
    return "localhost"


def main() -> int:
    request = urllib.request.Request(URL, headers={"Host": probe_host(), "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"unhealthy: {URL} does not answer: {exc}")
        return 1
    if status != 200:
        print(f"unhealthy: {URL} answered HTTP {status}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
