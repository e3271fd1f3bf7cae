"""Layered, validated kiosk configuration.

Layers, later wins: ``config/default.toml`` → a local file (``--config`` or ``KIOSK_CONFIG``) →
the last good remote bundle (dict) → command-line overrides (``section.key=value``).
Anything invalid raises :class:`kiosk.errors.ConfigError` whose text names the key, the value
given and what was expected; unknown keys are refused too (a typo must not pass silently).
"""

from __future__ import annotations

import copy
import logging
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kiosk.errors import ConfigError

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = REPO_ROOT / "config" / "default.toml"
KNOWN_SERVICES = (
    "insurance_info",
    "contributions",
    "print_insured_certificate",
    "print_payment_certificate",
    "print_rights_statement",
)
Language = Literal["zh_CN", "zh_TW", "en"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class TerminalConfig(_Section):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    region: str = Field(pattern=r"^\d{6}$")
    language: Language = "zh_CN"
    data_dir: str = "data/kiosk"


class ServerConfig(_Section):
    url: str = Field(pattern=r"^https?://[^\s/]+(/.*)?$")
    timeout: float = Field(gt=0, le=60)
    retries: int = Field(ge=0, le=5)


class SessionConfig(_Section):
    idle_timeout: int = Field(ge=5, le=3600)
    countdown: int = Field(ge=3, le=120)
    max_pin_attempts: int = Field(ge=1, le=3)
    message_seconds: int = Field(ge=1, le=60)


class CardConfig(_Section):
    kind: Literal["pcsc", "simulated", "vpcd"]
    reader: str = ""
    poll_interval: float = Field(gt=0, le=1.0)

    @field_validator("reader")
    @classmethod
    def _reader_is_regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"a reader name or regular expression ({exc})") from exc
        return value


class CameraConfig(_Section):
    kind: Literal["opencv", "simulated"]
    source: str
    width: int = Field(ge=160, le=4096)
    height: int = Field(ge=120, le=4096)
    fps: int = Field(ge=1, le=120)


class PrinterConfig(_Section):
    kind: Literal["network", "usb", "serial", "file", "virtual"]
    host: str
    port: int = Field(ge=1, le=65535)
    vendor_id: int = Field(ge=0, le=0xFFFF)
    product_id: int = Field(ge=0, le=0xFFFF)
    device: str
    baudrate: Literal[9600, 19200, 38400, 57600, 115200]
    path: str
    paper_width_dots: Literal[384, 576]
    encoding: Literal["gb18030", "gbk"]
    qr_mode: Literal["native", "raster"]
    status_timeout: float = Field(gt=0, le=10)


class ServicesConfig(_Section):
    enabled: list[str]

    @field_validator("enabled")
    @classmethod
    def _known_services(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in KNOWN_SERVICES]
        if unknown:
            raise ValueError(f"services among {', '.join(KNOWN_SERVICES)} (unknown: {', '.join(unknown)})")
        return value


class UiConfig(_Section):
    fullscreen: bool
    width: int = Field(ge=640, le=7680)
    height: int = Field(ge=480, le=4320)
    font_path: str = ""
    font_scale: float = Field(ge=0.8, le=2.0)


class KioskConfig(_Section):
    terminal: TerminalConfig
    server: ServerConfig
    session: SessionConfig
    card: CardConfig
    camera: CameraConfig
    printer: PrinterConfig
    services: ServicesConfig
    ui: UiConfig

    def data_path(self) -> Path:
        """The data directory as an absolute path (relative paths are under the repository root)."""
        path = Path(self.terminal.data_dir)
        return path if path.is_absolute() else REPO_ROOT / path


def _merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _describe(error: dict[str, Any], raw: dict[str, Any]) -> str:
    """One line: key, value given, what was expected (pydantic's own wording, made readable)."""
    loc = ".".join(str(part) for part in error["loc"])
    value: Any = raw
    for part in error["loc"]:
        value = value.get(part) if isinstance(value, dict) else None
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{loc}: unknown key (value {value!r}); remove it or check its spelling"
    if kind == "missing":
        return f"{loc}: missing; expected a value"
    expected = error["msg"]
    if expected.startswith("Input should be "):
        expected = "expected " + expected[len("Input should be ") :]
    if expected.startswith("Value error, "):
        expected = "expected " + expected[len("Value error, ") :]
    ctx = error.get("ctx") or {}
    if "expected" in ctx:
        expected = f"expected {ctx['expected']}"
    return f"{loc} = {value!r}: {expected}"


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


def load_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def validate_config(raw: dict[str, Any]) -> KioskConfig:
    """Validate a complete merged dict; raise ConfigError listing every bad key."""
    try:
        return KioskConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [_describe(err, raw) for err in exc.errors()]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from exc


def load_config(
    local_path: Path | None = None,
    remote_bundle: dict[str, Any] | None = None,
    overrides: list[dict[str, Any]] | None = None,
) -> KioskConfig:
    """Build the effective configuration from all layers (see module docstring)."""
    raw = load_toml(DEFAULT_CONFIG_PATH)
    local = local_path or (Path(os.environ["KIOSK_CONFIG"]) if os.environ.get("KIOSK_CONFIG") else None)
    if local is not None:
        raw = _merge(raw, load_toml(local))
    if remote_bundle:
        raw = _merge(raw, remote_bundle)
    for overlay in overrides or []:
        raw = _merge(raw, overlay)
    if os.environ.get("KIOSK_DATA_DIR"):
        raw = _merge(raw, {"terminal": {"data_dir": os.environ["KIOSK_DATA_DIR"]}})
    config = validate_config(raw)
    logger.info(
        "configuration loaded (terminal %s, card %s, printer %s)",
        config.terminal.id,
        config.card.kind,
        config.printer.kind,
    )
    return config
