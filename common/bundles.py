"""Canonical JSON and the Ed25519-signed config bundle: the fleet manager signs, the terminal verifies.

An envelope is::

    {"bundle": {"version", "terminal_id", "issued_at", "config", "origin"},
     "signature": base64(Ed25519(canonical_json(bundle))), "key_id": first 16 hex of sha256(raw public key)}

The signature covers ``canonical_json(bundle)``: sorted keys, no spaces, UTF-8 (not ASCII-escaped).
Both sides must produce the same bytes, which is why this is written once, here. The server's key
file and bundle building live in ``server/fleet/signing.py``; the terminal's key pinning, replay
check and caching in ``kiosk/remote_config.py``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from common.errors import ConfigError

logger = logging.getLogger(__name__)


class BundleRejected(ConfigError):
    """A remote bundle was refused; ``reason`` is one of the REASONS. The last good config stays."""

    message_key = "config.bundle_rejected"
    REASONS = ("malformed", "no_pinned_key", "bad_signature", "wrong_terminal", "replayed", "invalid_values")

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def canonical_json(obj: Any) -> bytes:
    """The bytes a bundle signature covers: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def public_key_raw(key: Ed25519PrivateKey) -> bytes:
    """The 32 raw bytes of the public half of ``key``."""
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64(key: Ed25519PrivateKey) -> str:
    """The public key as the terminal pins it (base64 of the raw bytes)."""
    return base64.b64encode(public_key_raw(key)).decode("ascii")


def key_id(key: Ed25519PrivateKey) -> str:
    """First 16 hex digits of the SHA-256 of the raw public key: names the key in envelopes and logs."""
    return hashlib.sha256(public_key_raw(key)).hexdigest()[:16]


def sign_bundle(key: Ed25519PrivateKey, bundle: dict[str, Any]) -> dict[str, Any]:
    """The signed envelope of ``bundle`` (see the module docstring)."""
    signature = key.sign(canonical_json(bundle))
    return {"bundle": bundle, "signature": base64.b64encode(signature).decode("ascii"), "key_id": key_id(key)}


def verify_envelope(envelope: Any, public_key: Ed25519PublicKey | None, terminal_id: str) -> dict[str, Any]:
    """The bundle inside a signed envelope, or BundleRejected (structure, key, signature, terminal).

    Version ordering (replays) and the config values are the caller's to check.
    """
    if public_key is None:
        raise BundleRejected("no_pinned_key", "enrol the terminal first (python main.py enroll)")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("bundle"), dict):
        raise BundleRejected("malformed", "no bundle object")
    bundle = envelope["bundle"]
    try:
        signature = base64.b64decode(str(envelope.get("signature", "")), validate=True)
        public_key.verify(signature, canonical_json(bundle))
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise BundleRejected("bad_signature", type(exc).__name__) from exc
    version = bundle.get("version")
    if (
        not isinstance(version, int)
        or isinstance(version, bool)
        or version < 0
        or not isinstance(bundle.get("config"), dict)
    ):
        raise BundleRejected("malformed", "version or config missing")
    if bundle.get("terminal_id") != terminal_id:
        raise BundleRejected("wrong_terminal", f"bundle for {bundle.get('terminal_id')!r}")
    return bundle
