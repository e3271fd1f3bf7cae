"""``RENSHE_SIGNING_KEY``: the fleet's Ed25519 key from a PEM file, every unusable file refused by
name; without it, the data directory's own key (server.fleet.signing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.bundles import public_key_b64
from server.fleet.signing import KEY_FILE, SIGNING_KEY_ENV, SigningKeyError, load_or_create_key

ROOT = Path(__file__).resolve().parents[2]


def _pem(key: object, password: bytes | None = None) -> bytes:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)  # type: ignore[attr-defined]


def test_configured_key_is_used_and_the_data_dir_gets_none(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    (tmp_path / "fleet.pem").write_bytes(_pem(key))
    loaded = load_or_create_key(tmp_path / "data", {SIGNING_KEY_ENV: str(tmp_path / "fleet.pem")})
    assert public_key_b64(loaded) == public_key_b64(key)
    assert not (tmp_path / "data" / KEY_FILE).exists()


def test_openssl_genpkey_key_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "fleet.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(path)], check=True)
    assert isinstance(load_or_create_key(tmp_path, {SIGNING_KEY_ENV: str(path)}), Ed25519PrivateKey)


def test_unset_keeps_the_data_dir_key(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path, {})
    assert (tmp_path / KEY_FILE).exists()
    assert public_key_b64(load_or_create_key(tmp_path, {SIGNING_KEY_ENV: "  "})) == public_key_b64(first)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no such file"),
        (b"not a key", "not a PEM private key"),
        ("rsa", "not Ed25519"),
        ("ec", "not Ed25519"),
        ("encrypted", "encrypted"),
        ("directory", "is a directory"),
    ],
)
def test_unusable_configured_key_is_refused_by_name(tmp_path: Path, content: object, says: str) -> None:
    path = tmp_path / "fleet.pem"
    if content == "rsa":
        path.write_bytes(_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    elif content == "ec":
        path.write_bytes(_pem(ec.generate_private_key(ec.SECP256R1())))
    elif content == "encrypted":
        path.write_bytes(_pem(Ed25519PrivateKey.generate(), b"passphrase"))
    elif content == "directory":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(SigningKeyError) as refused:
        load_or_create_key(tmp_path / "data", {SIGNING_KEY_ENV: str(path)})
    assert f"{SIGNING_KEY_ENV}={path}" in str(refused.value) and says in str(refused.value)
    assert not (tmp_path / "data" / KEY_FILE).exists()  # no key of its own made instead


def test_unreadable_configured_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "fleet.pem"
    path.write_bytes(_pem(Ed25519PrivateKey.generate()))

    def denied(self: Path) -> bytes:
        # Root (CI) reads a mode-000 file, so the refusal of the file system is played here.
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(SigningKeyError, match="cannot be read \\(Permission denied\\)"):
        load_or_create_key(tmp_path, {SIGNING_KEY_ENV: str(path)})


def test_gateway_refuses_to_start_with_a_missing_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENSHE_")}
    env.update(PYTHONPATH=str(ROOT), RENSHE_SIGNING_KEY=str(tmp_path / "absent.pem"))
    done = subprocess.run(
        [sys.executable, "-m", "server", "--port", "0", "--data-dir", str(tmp_path / "data")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"RENSHE_SIGNING_KEY={tmp_path / 'absent.pem'}: no such file" in done.stderr
