"""The signed bundle format both sides rely on: canonical bytes, signing, verification."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.bundles import BundleRejected, canonical_json, key_id, sign_bundle, verify_envelope
from common.errors import ConfigError


def _bundle(terminal_id: str = "T1") -> dict:
    return {"version": 3, "terminal_id": terminal_id, "issued_at": "x", "config": {"b": 1, "a": "社保"}, "origin": {}}


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": {"d": "社保", "c": [1, 2]}}) == '{"a":{"c":[1,2],"d":"社保"},"b":1}'.encode()


def test_signed_envelope_verifies_and_names_its_key() -> None:
    key = Ed25519PrivateKey.generate()
    envelope = sign_bundle(key, _bundle())
    assert envelope["key_id"] == key_id(key) and len(envelope["key_id"]) == 16
    assert verify_envelope(envelope, key.public_key(), "T1") == _bundle()


@pytest.mark.parametrize(
    "change,reason",
    [
        (lambda env: env["bundle"]["config"].update(b=2), "bad_signature"),
        (lambda env: env.update(signature="not base64!"), "bad_signature"),
        (lambda env: env.pop("bundle"), "malformed"),
    ],
)
def test_tampered_envelopes_are_refused(change, reason: str) -> None:
    key = Ed25519PrivateKey.generate()
    envelope = sign_bundle(key, _bundle())
    change(envelope)
    with pytest.raises(BundleRejected) as info:
        verify_envelope(envelope, key.public_key(), "T1")
    assert info.value.reason == reason and isinstance(info.value, ConfigError)


def test_other_terminal_and_missing_key_are_refused() -> None:
    key = Ed25519PrivateKey.generate()
    with pytest.raises(BundleRejected) as info:
        verify_envelope(sign_bundle(key, _bundle("T2")), key.public_key(), "T1")
    assert info.value.reason == "wrong_terminal"
    with pytest.raises(BundleRejected) as info:
        verify_envelope(sign_bundle(key, _bundle()), None, "T1")
    assert info.value.reason == "no_pinned_key"
