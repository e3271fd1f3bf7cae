"""Layered, validated kiosk configuration.

Layers, later wins: ``config/default.toml`` → a local file (``--config`` or ``KIOSK_CONFIG``) →
the last good remote bundle (dict) → command-line overrides (``section.key=value``).
A remote bundle sets only the keys of ``common.config.REMOTE_KEYS``; any other key it carries
(an endpoint or a device: server.url, printer.*, camera.source, ...) is ignored and logged, so a
fleet profile can never send the terminal's token, residents' data or face frames elsewhere.
``server.url`` has one more source: the server the terminal enrolled with (its credential). It
replaces the default, and gives way only to a ``server.url`` that the local file or a
command-line override sets explicitly.
Anything invalid raises :class:`kiosk.errors.ConfigError` whose text names the key, the value
given and what was expected; unknown keys are refused too (a typo must not pass silently).

The schema (``KioskConfig`` and its sections, ``validate_config``, ``load_toml``) is
``common.config``, shared with the fleet manager; its names are re-exported here because the
terminal's code takes them from this module with ``load_config``.
"""

from __future__ import annotations

import copy
import logging
import os
import tomllib
from pathlib import Path
from typing import Any

from common.config import (
    DEFAULT_CONFIG_PATH,
    KNOWN_SERVICES,
    MAX_ANNOUNCEMENT_CHARS,
    MAX_ANNOUNCEMENT_CHARS_EN,
    MAX_ANNOUNCEMENTS,
    REPO_ROOT,
    AnnouncementConfig,
    AnnouncementsConfig,
    CameraConfig,
    CardConfig,
    KioskConfig,
    Language,
    PrinterConfig,
    ServerConfig,
    ServicesConfig,
    SessionConfig,
    TerminalConfig,
    UiConfig,
    load_toml,
    split_remote,
    validate_config,
)
from kiosk.errors import ConfigError

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "KNOWN_SERVICES",
    "MAX_ANNOUNCEMENTS",
    "MAX_ANNOUNCEMENT_CHARS",
    "MAX_ANNOUNCEMENT_CHARS_EN",
    "REPO_ROOT",
    "AnnouncementConfig",
    "AnnouncementsConfig",
    "CameraConfig",
    "CardConfig",
    "KioskConfig",
    "Language",
    "PrinterConfig",
    "ServerConfig",
    "ServicesConfig",
    "SessionConfig",
    "TerminalConfig",
    "UiConfig",
    "load_toml",
    "validate_config",
    "load_config",
    "parse_override",
]

logger = logging.getLogger(__name__)


def _merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_override(text: str) -> dict[str, Any]:
    """Turn ``section.key=value`` (value in TOML syntax, bare words taken as strings) into a dict."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise ConfigError(f"override {text!r}: expected section.key=value")
    dotted, raw_value = text.split("=", 1)
    try:
        value = tomllib.loads(f"v = {raw_value}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw_value
    out: dict[str, Any] = {}
    node = out
    parts = dotted.strip().split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def load_config(
    local_path: Path | None = None,
    remote_bundle: dict[str, Any] | None = None,
    overrides: list[dict[str, Any]] | None = None,
    enrolled_server: str | None = None,
) -> KioskConfig:
    """Build the effective configuration from all layers (see module docstring).

    ``enrolled_server``: the base URL in the terminal's credential (``main.py enroll --server``);
    ``server.url`` is that URL unless the local file or ``overrides`` set ``server.url``.
    """
    raw = load_toml(DEFAULT_CONFIG_PATH)
    local = local_path or (Path(os.environ["KIOSK_CONFIG"]) if os.environ.get("KIOSK_CONFIG") else None)
    local_sets_url = False
    if local is not None:
        local_raw = load_toml(local)
        local_server = local_raw.get("server")
        local_sets_url = isinstance(local_server, dict) and "url" in local_server
        raw = _merge(raw, local_raw)
    if remote_bundle:
        allowed, refused = split_remote(remote_bundle)
        if refused:
            # Signed, but not the fleet's to set: endpoints and devices are local only.
            logger.warning("remote bundle keys ignored (local only): %s", ", ".join(sorted(refused)))
        raw = _merge(raw, allowed)
    if enrolled_server and not local_sets_url:
        # The enrolment named the server on purpose; default.toml's URL is only a placeholder.
        raw = _merge(raw, {"server": {"url": enrolled_server}})
    for overlay in overrides or []:
        raw = _merge(raw, overlay)
    if os.environ.get("KIOSK_DATA_DIR"):
        raw = _merge(raw, {"terminal": {"data_dir": os.environ["KIOSK_DATA_DIR"]}})
    config = validate_config(raw)
    logger.info(
        "configuration loaded (terminal %s, server %s, card %s, printer %s)",
        config.terminal.id,
        config.server.url,
        config.card.kind,
        config.printer.kind,
    )
    return config
