"""API key format and hashing.

A key reads `malti_<kind>_<random>`: the first 16 characters are its visible
prefix. Only a SHA-256 digest is stored; keys are looked up by that digest
(indexed), so keys imported from an existing Malti install, which have no
prefix, work too. Plain SHA-256 (not a slow hash) is right for random,
high-entropy keys and keeps ingest authentication to one index lookup.
"""

import hashlib
import math
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


# Keys Malti makes carry 256 random bits. Imported keys were chosen by people: the
# original's sample config uses "user-api-key". A key is looked up with one fast hash,
# so its own length and randomness are all that stands against guessing.
MIN_KEY_LENGTH = 20
MIN_KEY_BITS = 64


def estimated_bits(raw_key: str) -> float:
    """Shannon entropy of the key's own characters times its length: an upper bound for
    keys made of words, but it catches short keys and long runs of few characters."""
    if not raw_key:
        return 0.0
    counts = {char: raw_key.count(char) for char in set(raw_key)}
    per_char = -sum(n / len(raw_key) * math.log2(n / len(raw_key)) for n in counts.values())
    return per_char * len(raw_key)


def weakness(raw_key: str) -> str | None:
    """Why a key is too easy to guess, or None if it is not."""
    if len(raw_key) < MIN_KEY_LENGTH:
        return f"only {len(raw_key)} characters (fewer than {MIN_KEY_LENGTH})"
    bits = estimated_bits(raw_key)
    if bits < MIN_KEY_BITS:
        return f"about {round(bits)} bits of entropy (fewer than {MIN_KEY_BITS})"
    return None
