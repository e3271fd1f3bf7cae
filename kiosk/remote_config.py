"""The terminal's signed remote configuration: pin, verify, cache, and apply at the right moment.

Trust: the fleet manager's Ed25519 public key is pinned in the data directory right after
enrolment (``pin_server_key``). The envelope, its canonical JSON and its verification are
``common.bundles``, shared with the server that signs it.

A bundle is refused (``BundleRejected``, the last good one stays in force) when its signature
does not verify against the pinned key, it names another terminal, its version is older than the
highest version this terminal ever accepted (a replay), it brings other values under that same
version, its ``issued_at`` is missing, malformed or well before the one of the highest version
seen, or its values fail the kiosk's own schema. The highest version seen (with its ``issued_at``
and a digest of its config) is kept in a file of its own (``VERSION_FILE``), written before the
cache: a lost or corrupt cache must not let an older signed bundle back in. An accepted bundle is
cached on disk (mode 0600, written atomically) so the terminal boots offline with it; the cache
is verified again when read, and ignored when it is older than the highest version seen.

Only keys of ``common.config.REMOTE_KEYS`` take effect: any other key in a signed bundle (an
endpoint or a device) is ignored and logged (``kiosk.config.load_config`` drops it as well).

Applying: ``ConfigApplier`` never changes anything during a resident's session. At the next idle
moment, keys in ``LIVE_KEYS`` (services shown, timeouts, language, announcements, voice prompts)
go to the ``apply_live`` callback; any other changed key needs ``request_restart`` (text size).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from common.bundles import BundleRejected, canonical_json, verify_envelope
from common.config import KioskConfig, split_remote
from kiosk.errors import ConfigError

logger = logging.getLogger(__name__)

BUNDLE_FILE = "config-bundle.json"
KEY_FILE = "fleet-server-key.json"
VERSION_FILE = "config-version.json"
# Section prefixes / exact keys a running kiosk can take without a restart.
LIVE_KEYS = ("services.", "session.", "terminal.language", "ui.elder_mode_default", "announcements.", "voice.")
# How far a newer bundle's issued_at may lie before the newest one seen: the server's clock may be
# stepped back a little (NTP); a bundle issued well before it is not a newer one.
ISSUED_AT_TOLERANCE = dt.timedelta(minutes=10)


def write_private(path: Path, data: bytes) -> None:
    """Write ``path`` atomically, readable by the kiosk's user alone (0600 in a 0700 directory).

    A temporary file beside it is written and fsynced, then renamed over ``path``, and the
    directory is fsynced: after a power cut at any moment the file is the old one or the new one,
    never empty or half written."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself must reach the disk too
    finally:
        os.close(directory)


def pin_server_key(data_dir: Path, public_key_b64: str, key_id: str = "", replace: bool = False) -> None:
    """Pin the fleet manager's public key. An existing different pin is kept unless ``replace``
    (re-enrolment): a man in the middle must not be able to swap the key later."""
    raw = base64.b64decode(public_key_b64, validate=True)
    Ed25519PublicKey.from_public_bytes(raw)  # raises ValueError when not a key
    path = Path(data_dir) / KEY_FILE
    if path.exists() and not replace:
        current = json.loads(path.read_text(encoding="utf-8"))
        if current.get("public_key") != public_key_b64:
            raise BundleRejected("bad_signature", "a different server key is already pinned; re-enrol to replace it")
        return
    write_private(path, json.dumps({"algorithm": "Ed25519", "public_key": public_key_b64, "key_id": key_id}).encode())
    logger.info("fleet server key pinned (key id %s)", key_id or "?")


def load_pinned_key(data_dir: Path) -> Ed25519PublicKey | None:
    path = Path(data_dir) / KEY_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(record["public_key"], validate=True))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ConfigError(f"pinned server key {path} is unreadable: {exc}") from exc


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@dataclass
class Accepted:
    """A newly accepted bundle and what changed compared with the config in force."""

    version: int
    config: KioskConfig
    overlay: dict[str, Any]
    changed: set[str] = field(default_factory=set)

    @property
    def needs_restart(self) -> bool:
        return any(not key.startswith(LIVE_KEYS) for key in self.changed)


def config_digest(config: dict[str, Any]) -> str:
    """SHA-256 of a bundle's config (canonical JSON): one version must always carry the same values."""
    return hashlib.sha256(canonical_json(config)).hexdigest()


def parse_issued_at(bundle: dict[str, Any]) -> dt.datetime:
    """The bundle's ``issued_at`` (ISO 8601 with a UTC offset), or BundleRejected("malformed")."""
    raw = bundle.get("issued_at")
    try:
        issued = dt.datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        issued = None
    if issued is None or issued.tzinfo is None:
        raise BundleRejected("malformed", f"issued_at {str(raw)[:40]!r} is not an ISO 8601 time with an offset")
    return issued


@dataclass(frozen=True)
class VersionFloor:
    """The highest bundle version this terminal accepted: its ``issued_at`` and config digest."""

    version: int
    issued_at: dt.datetime
    digest: str


class RemoteConfig:
    """Verifies, validates and caches bundles for one terminal.

    ``build`` turns a remote overlay into the full config (normally
    ``lambda overlay: kiosk.config.load_config(local_path, remote_bundle=overlay)``) and raises
    ConfigError for bad values.
    """

    def __init__(
        self,
        data_dir: Path,
        terminal_id: str,
        build: Callable[[dict[str, Any]], KioskConfig],
        public_key: Ed25519PublicKey | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.terminal_id = terminal_id
        self._build = build
        self._key = public_key
        self._lock = threading.Lock()
        self.version: int | None = None
        self.overlay: dict[str, Any] = {}
        self.last_rejection: BundleRejected | None = None

    @property
    def public_key(self) -> Ed25519PublicKey | None:
        if self._key is None:
            self._key = load_pinned_key(self.data_dir)
        return self._key

    @property
    def cache_path(self) -> Path:
        return self.data_dir / BUNDLE_FILE

    @property
    def floor_path(self) -> Path:
        return self.data_dir / VERSION_FILE

    def floor(self) -> VersionFloor | None:
        """The highest version accepted so far, or None (never one, or its file is unreadable:
        then logged, and the verified cache alone stands between the terminal and a replay)."""
        try:
            record = json.loads(self.floor_path.read_text(encoding="utf-8"))
            return VersionFloor(
                int(record["version"]), dt.datetime.fromisoformat(record["issued_at"]), str(record["digest"])
            )
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            logger.error("config version record %s unreadable (%s); relying on the cache", self.floor_path, exc)
            return None

    def _raise_floor(self, bundle: dict[str, Any], issued: dt.datetime) -> None:
        record = {
            "version": bundle["version"],
            "issued_at": issued.isoformat(),
            "digest": config_digest(bundle["config"]),
        }
        write_private(self.floor_path, json.dumps(record).encode("utf-8"))

    def _check_order(self, bundle: dict[str, Any], floor: VersionFloor | None) -> dt.datetime:
        """Refuse a replay against the highest version seen; the bundle's issued_at when it may go on."""
        issued = parse_issued_at(bundle)
        if floor is None:
            return issued
        version = bundle["version"]
        if version < floor.version:
            raise BundleRejected("replayed", f"version {version} is older than {floor.version}")
        if version == floor.version and config_digest(bundle["config"]) != floor.digest:
            raise BundleRejected("replayed", f"version {version} with other values than the ones accepted")
        if version > floor.version and issued < floor.issued_at - ISSUED_AT_TOLERANCE:
            raise BundleRejected(
                "replayed", f"version {version} issued {issued.isoformat()}, before version {floor.version}"
            )
        return issued

    def load_cached(self) -> dict[str, Any] | None:
        """The cached overlay (verified again) to boot with, or None. Never raises for a bad cache."""
        try:
            envelope = json.loads(self.cache_path.read_text(encoding="utf-8"))
            bundle = verify_envelope(envelope, self.public_key, self.terminal_id)
            floor = self.floor()
            issued = self._check_order(bundle, floor)
            overlay = _allowed(bundle)
            self._build(overlay)
            if floor is None:
                # A cache from before the version record existed (or the record was lost): the
                # cached version becomes the floor, so losing the cache next cannot reopen replays.
                self._raise_floor(bundle, issued)
        except FileNotFoundError:
            return None
        except (ValueError, ConfigError, OSError) as exc:
            logger.error("cached config bundle ignored: %s", exc)
            return None
        with self._lock:
            self.version = bundle["version"]
            self.overlay = overlay
        logger.info("booting with cached remote config version %d", self.version)
        return overlay

    def accept(self, envelope: Any) -> Accepted | None:
        """Verify, validate and cache a bundle. None when it is the version already in force.

        Raises BundleRejected; the previous bundle stays in force and in the cache.
        """
        try:
            bundle = verify_envelope(envelope, self.public_key, self.terminal_id)
            with self._lock:
                current = self.version
            if current is not None and bundle["version"] < current:
                raise BundleRejected("replayed", f"version {bundle['version']} is older than {current}")
            issued = self._check_order(bundle, self.floor())
            if current is not None and bundle["version"] == current:
                return None
            overlay = _allowed(bundle)
            try:
                config = self._build(overlay)
            except ConfigError as exc:
                raise BundleRejected("invalid_values", exc.detail) from exc
        except BundleRejected as exc:
            self.last_rejection = exc
            logger.error("remote config bundle refused: %s", exc.detail)
            raise
        old = flatten(self.overlay)
        new = flatten(overlay)
        changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
        # The floor first: a crash between the two writes leaves it ahead of the cache, never behind.
        self._raise_floor(bundle, issued)
        write_private(self.cache_path, json.dumps(envelope, ensure_ascii=False).encode("utf-8"))
        with self._lock:
            self.version = bundle["version"]
            self.overlay = overlay
        self.last_rejection = None
        logger.info("remote config version %d accepted (%d keys changed)", bundle["version"], len(changed))
        return Accepted(bundle["version"], config, overlay, changed)


def _allowed(bundle: dict[str, Any]) -> dict[str, Any]:
    """The bundle's config without the keys a remote bundle may not set (logged, by name only)."""
    overlay, refused = split_remote(bundle["config"])
    if refused:
        logger.warning(
            "remote config version %d: keys ignored, local only (endpoints and devices): %s",
            bundle["version"],
            ", ".join(sorted(refused)),
        )
    return overlay


class ConfigApplier:
    """Holds an accepted config until the kiosk is idle, then applies it live or asks for a restart.

    ``is_idle`` must be True only when no resident session is open (e.g. the attract screen).
    ``tick`` is safe to call from any thread; the callbacks run on the caller's thread, so the
    lead wires them to post onto the UI thread.
    """

    def __init__(
        self,
        is_idle: Callable[[], bool],
        apply_live: Callable[[KioskConfig, set[str]], None],
        request_restart: Callable[[KioskConfig, set[str]], None],
    ) -> None:
        self._is_idle = is_idle
        self._apply_live = apply_live
        self._request_restart = request_restart
        self._pending: Accepted | None = None
        self._lock = threading.Lock()
        self.applied_version: int | None = None

    def offer(self, accepted: Accepted) -> None:
        with self._lock:
            if self._pending is not None:
                # A newer bundle replaces a pending one; remember every key either changed.
                accepted = Accepted(
                    accepted.version, accepted.config, accepted.overlay, accepted.changed | self._pending.changed
                )
            self._pending = accepted
        self.tick()

    @property
    def pending(self) -> Accepted | None:
        return self._pending

    def tick(self) -> str | None:
        """Apply the pending config if the kiosk is idle: returns "live", "restart" or None."""
        with self._lock:
            pending = self._pending
            if pending is None or not self._is_idle():
                return None
            self._pending = None
        if pending.needs_restart:
            logger.info(
                "config version %d needs a restart (%s)",
                pending.version,
                ", ".join(sorted(k for k in pending.changed if not k.startswith(LIVE_KEYS))),
            )
            self._request_restart(pending.config, pending.changed)
            outcome = "restart"
        else:
            self._apply_live(pending.config, pending.changed)
            outcome = "live"
        self.applied_version = pending.version
        return outcome
