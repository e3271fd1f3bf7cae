"""The fleet manager's Ed25519 key and signed config bundles.

The private key lives in ``<server data dir>/fleet_signing_key.pem`` (PKCS#8, mode 0600),
created on first start. A bundle is::

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
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from common.bundles import sign_bundle
from server.fleet.models import FleetTerminal
from server.fleet.profiles import Effective
from server.fleet.profiles import effective_config as _effective_config
from server.models import Terminal

logger = logging.getLogger(__name__)

KEY_FILE = "fleet_signing_key.pem"


def load_or_create_key(data_dir: Path) -> Ed25519PrivateKey:
    """The server's signing key; generated (mode 0600) when the data directory has none."""
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
