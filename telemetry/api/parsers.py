"""The ingest body parser: JSON or gzip-compressed JSON, with hard size limits."""

import zlib

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import BaseParser

from malti_site.api_errors import PayloadTooLarge

READ_CHUNK = 64 * 1024


def read_limited(stream, limit: int) -> bytes:
    """Read at most `limit` bytes; one more means the body is too large."""
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    return body


def gunzip_limited(data: bytes, limit: int) -> bytes:
    """Decompress, stopping at `limit` output bytes so a gzip bomb costs nothing.

    A gzip file may hold several members (RFC 1952), each read in turn; bytes
    after the last one that are not a gzip member are refused, never ignored.
    """
    out = bytearray()
    while True:
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out += decompressor.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise ParseError(f"The body is not valid gzip: {exc}") from None
        if len(out) > limit or decompressor.unconsumed_tail:
            raise PayloadTooLarge(f"The decompressed body is larger than {limit} bytes.")
        if not decompressor.eof:
            raise ParseError("The gzip body is truncated.")
        data = decompressor.unused_data
        if not data:
            return bytes(out)


def read_body(stream, request) -> bytes:
    """The request's body, gunzipped when sent with Content-Encoding: gzip, within MALTI_INGEST_MAX_BYTES."""
    limit = settings.MALTI_INGEST_MAX_BYTES
    declared = request.META.get("CONTENT_LENGTH")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body is {declared} bytes; the limit is {limit}.")
    body = read_limited(stream, limit)
    encoding = request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if encoding == "gzip":
        return gunzip_limited(body, limit)
    if encoding not in ("", "identity"):
        raise UnsupportedMediaType(encoding, detail=f"Content-Encoding {encoding!r} is not supported; use gzip.")
    return body


class IngestJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        body = read_body(stream, parser_context["request"])
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"The body is not valid JSON: {exc}") from None
