"""The issuer master keys of the card proof, behind one interface (:class:`IssuerKeyStore`).

The gateway checks a card's INTERNAL AUTHENTICATE cryptogram against the per-card key it derives
from the issuer master key of that key id and the card's 卡识别码 (common.card_auth). Where the
master keys live is the key store's business:

- :class:`FileKeyStore`: a JSON key file, mode 0600, generated with fresh random keys on first use
  (``<data dir>/card-issuer-keys.json``, or ``settings.card_key_file`` / ``RENSHE_CARD_KEY_FILE``).
  For the demo and the tests: whoever can read the file can make cards.
- in deployment a hardware security module (加密机) implements the same two calls and keeps the
  master keys inside it; pass it to ``server.app.create_app(settings, key_store=...)``.

``card_keys`` is personalisation (what an issuer loads into a new card): the demo seeding uses it
so ``python -m server seed --json`` can hand each demo card its keys. Nothing on the session path
calls it; the session path only asks ``verify``.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path
from typing import Protocol

from common.card_auth import BLOCK, KEY_IDS, card_keys_from_json, card_keys_to_json, cryptogram_matches, derive_card_key

logger = logging.getLogger(__name__)

KEY_FILE = "card-issuer-keys.json"
FILE_FORMAT = "renshe-card-issuer-keys/1"


class IssuerKeyStore(Protocol):
    """What the gateway asks of wherever the issuer master keys are kept."""

    def verify(self, key_id: int, card_id: str, challenge: bytes, answer: bytes) -> bool:
        """True when ``answer`` is the cryptogram of ``challenge`` by the card ``card_id`` under key
        ``key_id``. False (never an exception) for a key id the store has not, or a malformed 卡识别码."""
        ...

    def card_keys(self, card_id: str) -> dict[int, bytes]:
        """The per-card keys to personalise the card ``card_id`` with (key id -> 16 bytes)."""
        ...


class FileKeyStore:
    """Master keys held in memory, read from (or first written to) a JSON key file."""

    def __init__(self, masters: dict[int, bytes]) -> None:
        if not masters or any(len(key) != BLOCK for key in masters.values()):
            raise ValueError("issuer master keys: at least one, 16 bytes each")
        self._masters = dict(masters)

    def __repr__(self) -> str:  # keys never reach a log through repr()
        return f"FileKeyStore(key ids {sorted(self._masters)})"

    @classmethod
    def load_or_create(cls, path: Path) -> FileKeyStore:
        """The key file at ``path``; created with fresh random keys (mode 0600) when missing.

        Created by an exclusive create, so worker processes starting together end up with one file.
        Raises ValueError for a file that is not a key file of this format.
        """
        path = Path(path)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            document = {
                "format": FILE_FORMAT,
                "keys": card_keys_to_json({k: secrets.token_bytes(BLOCK) for k in KEY_IDS}),
            }
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process created it first: load theirs below
            else:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(document, handle)
                logger.info("card issuer keys created", extra={"path": str(path)})
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            if document.get("format") != FILE_FORMAT:
                raise ValueError(f"not {FILE_FORMAT}")
            return cls(card_keys_from_json(document["keys"]))
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError, ValueError) as exc:
            raise ValueError(f"{path}: not a card issuer key file ({type(exc).__name__})") from exc

    def verify(self, key_id: int, card_id: str, challenge: bytes, answer: bytes) -> bool:
        master = self._masters.get(key_id)
        if master is None:
            return False
        try:
            return cryptogram_matches(derive_card_key(master, card_id), challenge, answer)
        except ValueError:
            return False  # a 卡识别码 or challenge of the wrong shape proves nothing

    def card_keys(self, card_id: str) -> dict[int, bytes]:
        return {key_id: derive_card_key(master, card_id) for key_id, master in self._masters.items()}


def key_file_path(data_dir: Path, configured: Path | None) -> Path:
    """The key file in use: the configured one, else ``<data dir>/card-issuer-keys.json``."""
    return Path(configured) if configured else Path(data_dir) / KEY_FILE
