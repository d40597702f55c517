"""API key format and hashing.

A key reads `malti_<kind>_<random>`: the first 16 characters are its visible
prefix. Only a SHA-256 digest is stored; keys are looked up by that digest
(indexed), so keys imported from an existing Malti install, which have no
prefix, work too. Plain SHA-256 (not a slow hash) is right for random,
high-entropy keys and keeps ingest authentication to one index lookup.
"""

import hashlib
import secrets

PREFIX_LENGTH = 16
KIND_TAGS = {"service": "s", "user": "u"}


def generate_key(kind: str) -> str:
    return f"malti_{KIND_TAGS[kind]}_{secrets.token_urlsafe(32)}"


def digest_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8", "surrogatepass")).hexdigest()


def visible_prefix(raw_key: str) -> str:
    """The non-secret part shown in admin; empty for keys Malti did not make."""
    return raw_key[:PREFIX_LENGTH] if raw_key.startswith("malti_") else ""
