"""Config profiles: layering global → region → site → terminal, validation, diff, rollback.

Profiles hold *partial* kiosk configuration shaped like ``config/default.toml``. A profile is
validated by merging it onto ``config/default.toml`` and running the kiosk's own schema
(``common.config.validate_config``), so the server accepts exactly what a terminal accepts.
A terminal's effective remote config is the merge of its layers; every key remembers the layer
it came from (``origin``). Only the keys of ``common.config.REMOTE_KEYS`` may be set remotely
(what residents see, session timing, language, text size, announcements, voice): endpoints and
devices stay local, so a profile can never send a terminal's token, residents' data or face frames
elsewhere. A profile naming another key is refused; one stored before the rule is enforced has such
keys dropped (and logged) when the bundle is built, and terminals ignore them anyway.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from common.config import (
    DEFAULT_CONFIG_PATH,
    REMOTE_REFUSAL_EN,
    REMOTE_REFUSAL_ZH,
    load_toml,
    remote_key_allowed,
    split_remote,
    validate_config,
)
from common.errors import ConfigError
from server.fleet.models import SCOPES, ConfigProfile, FleetTerminal
from server.models import Terminal

logger = logging.getLogger(__name__)


class ProfileInvalid(ValueError):
    """A profile was refused; ``errors`` maps dotted key → what was expected."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class Effective:
    """A terminal's effective remote configuration."""

    version: int
    config: dict[str, Any]  # nested overlay sent to the terminal
    origin: dict[str, str]  # dotted key → "global" | "region:320583" | "site:320583/花桥" | "terminal:T1"
    layers: list[tuple[str, ConfigProfile]] = field(default_factory=list)


@lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    return load_toml(DEFAULT_CONFIG_PATH)


def defaults() -> dict[str, Any]:
    """A private copy of ``config/default.toml`` as a dict."""
    return copy.deepcopy(_defaults())


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


# Every key of config/default.toml that a profile may not set (identity, storage, endpoints and
# devices): derived from the allow-list, so a key added to the schema is local until allowed.
LOCAL_ONLY_KEYS = frozenset(k for k in flatten(load_toml(DEFAULT_CONFIG_PATH)) if not remote_key_allowed(k))
LOCAL_ONLY_MESSAGE = f"{REMOTE_REFUSAL_ZH} / {REMOTE_REFUSAL_EN}"


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dotted, value in flat.items():
        node = out
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def validate_values(values: dict[str, Any]) -> dict[str, str]:
    """Errors of a partial config (dotted key → message); empty when the kiosk would accept it."""
    errors: dict[str, str] = {}
    flat = flatten(values)
    known = flatten(_defaults())
    known_sections = {k.split(".", 1)[0] for k in known}
    for key in flat:
        if not remote_key_allowed(key) and (key in known or key.split(".", 1)[0] in known_sections):
            errors[key] = LOCAL_ONLY_MESSAGE
        elif key not in known:
            errors[key] = "unknown key; check its spelling"
    if any(message != LOCAL_ONLY_MESSAGE for message in errors.values()):
        return errors
    # The remotely settable rest is still checked, so every refusal shows at once.
    try:
        validate_config(merge(_defaults(), split_remote(values)[0]))
    except ConfigError as exc:
        cause = exc.__cause__
        if isinstance(cause, ValidationError):
            for err in cause.errors():
                key = ".".join(str(p) for p in err["loc"][:2])
                errors[key] = str(err["msg"]).replace("Value error, ", "")
        else:
            errors["*"] = exc.detail
    return errors


def _scope_label(scope: str, key: str) -> str:
    return scope if scope == "global" else f"{scope}:{key}"


def check_scope(scope: str, key: str) -> None:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    if (scope == "global") != (key == ""):
        raise ValueError("the global profile has an empty key; other scopes need one")


def current_profile(db: Session, scope: str, key: str) -> ConfigProfile | None:
    return db.scalar(
        select(ConfigProfile)
        .where(ConfigProfile.scope == scope, ConfigProfile.scope_key == key)
        .order_by(ConfigProfile.version.desc())
        .limit(1)
    )


def profile_history(db: Session, scope: str, key: str) -> list[ConfigProfile]:
    return list(
        db.scalars(
            select(ConfigProfile)
            .where(ConfigProfile.scope == scope, ConfigProfile.scope_key == key)
            .order_by(ConfigProfile.version.desc())
        )
    )


def save_profile(
    db: Session, scope: str, key: str, values: dict[str, Any], actor: str, comment: str = ""
) -> ConfigProfile:
    """Add a new version of a profile (never overwrites). Raises ProfileInvalid. Caller commits."""
    check_scope(scope, key)
    errors = validate_values(values)
    if errors:
        raise ProfileInvalid(errors)
    latest = current_profile(db, scope, key)
    row = ConfigProfile(
        scope=scope,
        scope_key=key,
        version=(latest.version + 1) if latest else 1,
        values=copy.deepcopy(values),
        comment=comment[:200],
        created_by=actor,
        created_at=dt.datetime.now(dt.UTC),
    )
    db.add(row)
    db.flush()
    logger.info("profile saved", extra={"scope": scope, "scope_key": key, "version": row.version})
    return row


def rollback_profile(db: Session, scope: str, key: str, to_version: int, actor: str) -> ConfigProfile:
    """A new version whose values are those of ``to_version``. Caller commits."""
    old = db.scalar(
        select(ConfigProfile).where(
            ConfigProfile.scope == scope, ConfigProfile.scope_key == key, ConfigProfile.version == to_version
        )
    )
    if old is None:
        raise LookupError(f"no version {to_version} of {_scope_label(scope, key)}")
    return save_profile(db, scope, key, old.values, actor, comment=f"rollback to v{to_version}")


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Changed dotted keys as (key, old or None, new or None), sorted."""
    a, b = flatten(old), flatten(new)
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k) or (k in a) != (k in b)]


def scopes_for(terminal: Terminal, fleet: FleetTerminal | None) -> list[tuple[str, str]]:
    """The terminal's layers, lowest precedence first."""
    layers = [("global", ""), ("region", terminal.region)]
    if fleet is not None and fleet.site:
        layers.append(("site", f"{terminal.region}/{fleet.site}"))
    layers.append(("terminal", terminal.id))
    return layers


def config_version(db: Session, terminal: Terminal, fleet: FleetTerminal | None) -> int:
    """The bundle version: newest revision among the terminal's layers, never below its floor."""
    conds = [and_(ConfigProfile.scope == s, ConfigProfile.scope_key == k) for s, k in scopes_for(terminal, fleet)]
    newest = db.scalar(select(func.max(ConfigProfile.id)).where(or_(*conds))) or 0
    return max(newest, fleet.config_floor if fleet else 0)


def max_revision(db: Session) -> int:
    return db.scalar(select(func.max(ConfigProfile.id))) or 0


def effective_config(db: Session, terminal: Terminal, fleet: FleetTerminal | None) -> Effective:
    """Merge the terminal's layers; validate the result with the kiosk schema (ConfigError if bad)."""
    config: dict[str, Any] = {}
    origin: dict[str, str] = {}
    layers: list[tuple[str, ConfigProfile]] = []
    for scope, key in scopes_for(terminal, fleet):
        row = current_profile(db, scope, key)
        if row is None:
            continue
        layers.append((_scope_label(scope, key), row))
        values, refused = split_remote(row.values)
        if refused:
            # Stored before the allow-list was enforced: never signed into a bundle.
            logger.warning(
                "profile keys left out of the bundle (local only)",
                extra={"scope": _scope_label(scope, key), "version": row.version, "keys": ",".join(refused)},
            )
        config = merge(config, values)
        for dotted in flatten(values):
            origin[dotted] = _scope_label(scope, key)
    full = merge(_defaults(), config)
    full["terminal"]["id"] = terminal.id
    full["terminal"]["region"] = terminal.region
    validate_config(full)
    return Effective(version=config_version(db, terminal, fleet), config=config, origin=origin, layers=layers)


def parse_field(text: str, default: Any) -> Any:
    """A console form field → a value of the default's type (lists comma-separated, or a JSON array)."""
    text = text.strip()
    if isinstance(default, bool):
        low = text.lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        return text
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            return text
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            return text
    if isinstance(default, list):
        if text.startswith("["):
            # A list of tables (announcements with translations and a time window) is typed as JSON;
            # text that is not a JSON array stays text, and the validator reports the field.
            try:
                parsed = json.loads(text)
            except ValueError:
                return text
            return parsed if isinstance(parsed, list) else text
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def format_field(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if any(not isinstance(v, str | int | float) for v in value):
            return json.dumps(value, ensure_ascii=False)  # read back by parse_field
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)
