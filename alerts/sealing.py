"""Channel secrets sealed at rest, recoverable by Malti only.

A webhook secret is an HMAC key Malti must use again at every delivery, so it
cannot be stored as a digest like API keys are. It is encrypted with keys
derived from SECRET_KEY, using the standard library only (no crypto package
is a dependency): HMAC-SHA256 as a pseudo-random function in counter mode
gives the key stream, and a second HMAC over nonce and ciphertext
(encrypt-then-MAC) detects tampering or a changed SECRET_KEY. Rotating
SECRET_KEY makes sealed secrets unreadable: set each channel's secret again.
"""

import base64
import hashlib
import hmac
import os

from django.conf import settings

VERSION = "v1"
NONCE_BYTES = 16
TAG_BYTES = 32


class UnreadableSecret(ValueError):
    """A sealed value that this SECRET_KEY did not seal, or that was altered."""


def _key(purpose: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), f"malti.alerts.{purpose}".encode(), hashlib.sha256).digest()


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = []
    for counter in range((length + 31) // 32):
        blocks.append(hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest())
    return b"".join(blocks)[:length]


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def seal(plain: str) -> str:
    """The text to store for a secret."""
    nonce = os.urandom(NONCE_BYTES)
    data = plain.encode()
    cipher = _xor(data, _stream(_key("encrypt"), nonce, len(data)))
    tag = hmac.new(_key("authenticate"), nonce + cipher, hashlib.sha256).digest()
    return f"{VERSION}:" + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


def unseal(sealed: str) -> str:
    """The secret back from what seal() stored; UnreadableSecret if it was not sealed with this SECRET_KEY."""
    version, _, body = sealed.partition(":")
    try:
        raw = base64.urlsafe_b64decode(body.encode())
    except ValueError:
        raise UnreadableSecret("not a sealed secret") from None
    if version != VERSION or len(raw) < NONCE_BYTES + TAG_BYTES:
        raise UnreadableSecret("not a sealed secret")
    nonce, cipher, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    expected = hmac.new(_key("authenticate"), nonce + cipher, hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected):
        raise UnreadableSecret("sealed with another SECRET_KEY, or altered; set the channel's secret again")
    return _xor(cipher, _stream(_key("encrypt"), nonce, len(cipher))).decode()
