"""The signed release manifest: both sides build and check the same bytes."""

from __future__ import annotations

import copy

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.release import ManifestRejected, build_manifest, manifest_bytes, sign_manifest, verify_manifest

SHA = "a" * 64


def test_signed_manifest_verifies_with_the_public_key() -> None:
    key = Ed25519PrivateKey.generate()
    manifest = build_manifest("1.2.3", SHA, 1000, "2026-11-30T19:00:00+00:00", "修复打印")
    envelope = sign_manifest(key, manifest)
    assert verify_manifest(envelope, key.public_key()) == manifest
    assert manifest_bytes(manifest) == (
        b'{"created":"2026-11-30T19:00:00+00:00","notes":"\xe4\xbf\xae\xe5\xa4\x8d\xe6\x89\x93\xe5\x8d\xb0",'
        b'"sha256":"' + SHA.encode() + b'","size":1000,"version":"1.2.3"}'
    )


@pytest.mark.parametrize("field,value", [("sha256", "b" * 64), ("size", 1001), ("version", "1.2.4"), ("notes", "")])
def test_any_changed_field_breaks_the_signature(field: str, value: object) -> None:
    key = Ed25519PrivateKey.generate()
    envelope = sign_manifest(key, build_manifest("1.2.3", SHA, 1000, "t", "n"))
    tampered = copy.deepcopy(envelope)
    tampered["manifest"][field] = value
    with pytest.raises(ManifestRejected) as info:
        verify_manifest(tampered, key.public_key())
    assert info.value.reason == "bad_signature"


def test_another_key_no_key_and_garbage_are_refused() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    envelope = sign_manifest(other, build_manifest("1.0", SHA, 5, "t"))
    with pytest.raises(ManifestRejected) as info:
        verify_manifest(envelope, key.public_key())
    assert info.value.reason == "bad_signature"
    with pytest.raises(ManifestRejected) as info:
        verify_manifest(envelope, None)
    assert info.value.reason == "no_pinned_key"
    for garbage in (None, [], {"manifest": "x"}, {"manifest": {}, "signature": "!!"}):
        with pytest.raises(ManifestRejected):
            verify_manifest(garbage, key.public_key())


def test_a_validly_signed_but_malformed_manifest_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    bad = {"version": "../etc", "sha256": SHA, "size": 5, "created": "t", "notes": ""}
    with pytest.raises(ManifestRejected) as info:
        verify_manifest(sign_manifest(key, bad), key.public_key())
    assert info.value.reason == "malformed"


@pytest.mark.parametrize("version", ["", "../x", ".hidden", "a/b", "a" * 33, "1..2", "版本"])
def test_build_refuses_unsafe_versions(version: str) -> None:
    with pytest.raises(ValueError):
        build_manifest(version, SHA, 5, "t")
