"""The signed release manifest: the fleet manager signs it, the terminal verifies it.

A manifest envelope is::

    {"manifest": {"version", "sha256", "size", "created", "notes"},
     "signature": base64(Ed25519(canonical_json(manifest))), "key_id": first 16 hex of sha256(raw public key)}

It is signed with the fleet's key, the one config bundles are signed with, and verified with the
public key the terminal pinned at enrolment, using the same canonical JSON (``common.bundles``).
``version`` is a short name safe as a directory name and a heartbeat's ``app_version``;
``sha256`` and ``size`` describe the artefact (a ``.tar.gz`` of the repository tree plus ``VERSION``).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from common.bundles import canonical_json, key_id
from common.fleet_protocol import MAX_APP_VERSION_CHARS

logger = logging.getLogger(__name__)

VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,31}$")  # MAX_APP_VERSION_CHARS in all
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
MAX_NOTES_CHARS = 2000
MANIFEST_KEYS = ("version", "sha256", "size", "created", "notes")
# Steps a terminal reports (POST /api/v1/terminal/update-report); the last two carry a reason.
REPORT_STEPS = ("downloading", "verified", "installed", "switched", "healthy", "rolled_back", "refused")


class ManifestRejected(Exception):
    """A manifest or artefact was refused; ``reason`` is one of REASONS, ``detail`` says more."""

    REASONS = ("malformed", "no_pinned_key", "bad_signature", "bad_size", "bad_sha256")

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def valid_version(version: object) -> bool:
    """True for a version usable as a directory name and a heartbeat's app_version."""
    return isinstance(version, str) and VERSION_PATTERN.match(version) is not None and ".." not in version


def build_manifest(version: str, sha256: str, size: int, created: str, notes: str = "") -> dict[str, Any]:
    """The manifest of one release; ValueError when a field is out of bounds."""
    if not valid_version(version):
        raise ValueError(f"version {version!r}: letters, digits and . _ + - only, at most {MAX_APP_VERSION_CHARS}")
    if not SHA256_PATTERN.match(sha256):
        raise ValueError("sha256 must be 64 lowercase hex digits")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise ValueError("size must be a positive integer")
    if len(notes) > MAX_NOTES_CHARS:
        raise ValueError(f"notes longer than {MAX_NOTES_CHARS} characters")
    return {"version": version, "sha256": sha256, "size": size, "created": created, "notes": notes}


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The bytes the signature covers (canonical JSON: sorted keys, no spaces, UTF-8)."""
    return canonical_json(manifest)


def sign_manifest(key: Ed25519PrivateKey, manifest: dict[str, Any]) -> dict[str, Any]:
    """The signed envelope of ``manifest``."""
    signature = key.sign(manifest_bytes(manifest))
    return {"manifest": manifest, "signature": base64.b64encode(signature).decode("ascii"), "key_id": key_id(key)}


def verify_manifest(envelope: Any, public_key: Ed25519PublicKey | None) -> dict[str, Any]:
    """The manifest inside a signed envelope, or ManifestRejected (structure, key, signature, fields)."""
    if public_key is None:
        raise ManifestRejected("no_pinned_key", "enrol the terminal first (python main.py enroll)")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("manifest"), dict):
        raise ManifestRejected("malformed", "no manifest object")
    manifest = envelope["manifest"]
    try:
        signature = base64.b64decode(str(envelope.get("signature", "")), validate=True)
        public_key.verify(signature, manifest_bytes(manifest))
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise ManifestRejected("bad_signature", type(exc).__name__) from exc
    if set(manifest) != set(MANIFEST_KEYS):
        raise ManifestRejected("malformed", "unexpected or missing fields")
    try:
        build_manifest(
            manifest["version"], manifest["sha256"], manifest["size"], str(manifest["created"]), str(manifest["notes"])
        )
    except (ValueError, TypeError) as exc:
        raise ManifestRejected("malformed", str(exc)) from exc
    return manifest
