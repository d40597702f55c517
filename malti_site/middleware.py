import json

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy header the dashboard bundle satisfies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = (
            settings.API_DOCS_CONTENT_SECURITY_POLICY
            if request.path.startswith("/api/docs")
            else settings.CONTENT_SECURITY_POLICY
        )
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


class BodySizeLimit:
    """ASGI middleware: a request body over MALTI_INGEST_MAX_BYTES is a 413 before Django reads it.

    Django's ASGI handler reads the whole body into a file before any Django
    middleware, authentication or view runs, so the limit must hold here, on
    every route: a declared Content-Length over it is answered at once without
    reading a byte, and a body streamed without one (chunked) is cut off as
    soon as it passes the limit. The answer closes the connection, so the
    server reads nothing more of that body. (Decompressed size is the ingest
    parser's to limit, after authentication.)
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.MALTI_INGEST_MAX_BYTES
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            return await too_large(send, f"The request body is {declared} bytes; the limit is {limit}.")
        received = 0
        refused = False

        async def limited_receive():
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await too_large(send, f"The request body is larger than {limit} bytes.")
                    # Django's handler stops reading and answers nothing more.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if not refused:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)


def declared_length(scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def too_large(send, detail: str):
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
