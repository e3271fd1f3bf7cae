"""The fleet manager's Ed25519 key and signed config bundles.

Where the private key comes from (:func:`load_or_create_key`):

- ``RENSHE_SIGNING_KEY`` set: the path of the fleet's key, a PEM PKCS#8 Ed25519 private key as
  ``openssl genpkey -algorithm ed25519`` writes it. Every gateway process of a fleet (on one
  machine or several) is given the same file, so a terminal that pinned the key through one of
  them accepts bundles from all. A missing, unreadable, encrypted or non-Ed25519 file is refused
  with :class:`SigningKeyError` naming the variable and the path: the process must not start
  with a key of its own, which would make every bundle it signs unverifiable to the fleet.
- unset: ``<server data dir>/fleet_signing_key.pem`` (PKCS#8, mode 0600), created on first start;
  right for a single server (its worker processes share the data directory).

A bundle is::

    {"bundle": {"version", "terminal_id", "issued_at", "config", "origin"},
     "signature": base64(Ed25519(canonical_json(bundle))), "key_id": first 16 hex of sha256(pubkey)}

The envelope format, canonical JSON and signing are ``common.bundles``, which the terminal uses to
verify. The terminal pins the public key at enrolment (``GET /api/v1/terminal/server-key``)
and refuses a bundle whose version is not above the one it applied, so a replay is useless.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from common.bundles import key_id, sign_bundle
from server.fleet.models import FleetTerminal
from server.fleet.profiles import Effective
from server.fleet.profiles import effective_config as _effective_config
from server.models import Terminal

logger = logging.getLogger(__name__)

KEY_FILE = "fleet_signing_key.pem"
SIGNING_KEY_ENV = "RENSHE_SIGNING_KEY"


class SigningKeyError(ValueError):
    """The configured fleet signing key cannot be used (the message says which file and why)."""


def load_or_create_key(data_dir: Path, environ: Mapping[str, str] | None = None) -> Ed25519PrivateKey:
    """The server's signing key: the file ``RENSHE_SIGNING_KEY`` names (in ``environ``, default
    ``os.environ``), else the data directory's, generated (mode 0600) when it has none.

    Raises :class:`SigningKeyError` for a configured key that is missing, unreadable or not an
    unencrypted Ed25519 private key; ValueError for a data-directory file that is not one.
    """
    configured = (os.environ if environ is None else environ).get(SIGNING_KEY_ENV, "").strip()
    if configured:
        key = load_key_file(Path(configured))
        logger.info("fleet signing key from %s", SIGNING_KEY_ENV, extra={"key_id": key_id(key)})
        return key
    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker created it first: load theirs below
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            logger.info("fleet signing key created", extra={"path": str(path)})
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return loaded


def load_key_file(path: Path) -> Ed25519PrivateKey:
    """The unencrypted PEM Ed25519 private key at ``path``; :class:`SigningKeyError` otherwise."""
    where = f"{SIGNING_KEY_ENV}={path}"
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise SigningKeyError(f"{where}: no such file") from exc
    except IsADirectoryError as exc:
        raise SigningKeyError(f"{where}: is a directory, not a PEM key file") from exc
    except OSError as exc:
        raise SigningKeyError(f"{where}: cannot be read ({exc.strerror or type(exc).__name__})") from exc
    try:
        loaded = serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:  # encrypted: a gateway starting unattended has no passphrase to give
        raise SigningKeyError(f"{where}: the key is encrypted; give the gateway an unencrypted PKCS#8 key") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SigningKeyError(
            f"{where}: not a PEM private key (make one with: openssl genpkey -algorithm ed25519)"
        ) from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise SigningKeyError(
            f"{where}: a {type(loaded).__name__.lstrip('_')} key, not Ed25519 "
            "(make one with: openssl genpkey -algorithm ed25519)"
        )
    return loaded


def effective_config(db: Session, terminal: Terminal, fleet: FleetTerminal | None) -> Effective:
    """global → region → site → terminal, validated with the kiosk schema (see server.fleet.profiles)."""
    return _effective_config(db, terminal, fleet)


def build_bundle(
    db: Session, key: Ed25519PrivateKey, terminal: Terminal, fleet: FleetTerminal | None
) -> tuple[int, dict[str, Any]]:
    """(version, signed envelope) of the terminal's effective config."""
    eff = effective_config(db, terminal, fleet)
    bundle = {
        "version": eff.version,
        "terminal_id": terminal.id,
        "issued_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "config": eff.config,
        "origin": eff.origin,
    }
    return eff.version, sign_bundle(key, bundle)
