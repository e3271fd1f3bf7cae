"""The kiosk configuration schema, shared by the terminal and the fleet manager.

``KioskConfig`` and its sections (pydantic models), ``validate_config`` (a complete dict →
``KioskConfig``, or ``ConfigError`` naming every bad key, the value given and what was expected;
unknown keys are refused too, so a typo cannot pass silently), ``load_toml`` and
``DEFAULT_CONFIG_PATH`` (``config/default.toml``, the base every other layer is merged onto).
The terminal layers its files, remote bundle and overrides onto it (``kiosk.config.load_config``);
the fleet manager validates profiles with it (``server.fleet.profiles``), so the server accepts
exactly what a terminal accepts.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from common.errors import ConfigError

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = REPO_ROOT / "config" / "default.toml"
# The service ids operators may enable (each is an entry of the kiosk's catalogue, kiosk.services).
KNOWN_SERVICES = (
    "insurance_info",
    "contributions",
    "card_info",
    "change_pin",
    "print_insured_certificate",
    "print_payment_certificate",
    "print_rights_statement",
    "rights_statement",
    "benefits",
    "applications",
    "print_transfer_certificate",
    "unemployment_registration",
    "contact_update",
    "unemployment_benefit",
    "unemployment_subsidy",
    "unemployment_transfer",
    "pension_transfer",
    "resident_pension_enrollment",
    "pension_certification",
    "card_application",
    "card_replacement",
    "card_suspend",
    "card_unsuspend",
    "medical_filing",
    "training_subsidy",
    "training_signup",
    "dispute_mediation",
)
Language = Literal["zh_CN", "zh_TW", "en"]
# An elderly resident must take a notice in at a glance: a handful of notices, each one short line.
MAX_ANNOUNCEMENTS = 5
MAX_ANNOUNCEMENT_CHARS = 80  # 简体/繁體 characters
MAX_ANNOUNCEMENT_CHARS_EN = 160  # English needs about twice the characters for the same words
# Text that looks like a piece of a table ({...}, [...], "key": value, key = "value").
_TABLE_FRAGMENT = re.compile(r'^\s*[\[{]|[\]}]\s*$|"\s*[:=]|^\s*\w+\s*=\s*"')


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class TerminalConfig(_Section):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    region: str = Field(pattern=r"^\d{6}$")
    language: Language = "zh_CN"
    data_dir: str = "data/kiosk"


class ServerConfig(_Section):
    """The terminal gateway. ``url`` is https, except on loopback (see ``plain_http_refusal``)."""

    url: str = Field(pattern=r"^https?://[^\s/]+(/.*)?$")
    timeout: float = Field(gt=0, le=60)
    retries: int = Field(ge=0, le=5)

    @field_validator("url")
    @classmethod
    def _https_off_loopback(cls, value: str) -> str:
        reason = plain_http_refusal(value)
        if reason:
            raise ValueError(reason)
        return value


def plain_http_refusal(url: str) -> str | None:
    """Why ``url`` may not carry the terminal's traffic, or None when it may.

    The terminal sends its bearer token, residents' SSNs, card numbers, PIN checks and face frames
    to this server, so plain ``http://`` is refused: anyone on the network path would read them.
    ``http://`` to a loopback host (127.0.0.0/8, ::1, localhost) stays allowed, because that
    traffic never leaves the machine: the demo's embedded gateway and a developer's local gateway
    run there, and so does a local TLS-terminating proxy in front of a production gateway. An
    attacker who can read loopback already controls the kiosk itself.
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "http":
        return None
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        "https:// (服务器地址须使用 https：明文 http 会泄露终端令牌和居民数据 / "
        "plain http would expose the terminal's token and residents' data; http is allowed on loopback only)"
    )


# The resident screens whose idle time counts (kiosk.state.Screen values): session.idle_timeouts keys.
TIMED_SCREENS = ("pin", "menu", "records", "print_preview", "wizard", "message", "change_pin")


class SessionConfig(_Section):
    idle_timeout: int = Field(ge=5, le=3600)
    countdown: int = Field(ge=3, le=120)
    max_pin_attempts: int = Field(ge=1, le=3)
    message_seconds: int = Field(ge=1, le=60)
    # Per-screen idle time (screen -> seconds) instead of idle_timeout: longer where residents type
    # (PIN pads, a wizard's text entry), shorter on a result screen.
    idle_timeouts: dict[str, int] = Field(default_factory=dict)

    @field_validator("idle_timeouts")
    @classmethod
    def _known_screens(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = [name for name in value if name not in TIMED_SCREENS]
        if unknown:
            raise ValueError(f"idle_timeouts keys among {', '.join(TIMED_SCREENS)} (unknown: {', '.join(unknown)})")
        wrong = [name for name, seconds in value.items() if not 5 <= seconds <= 3600]
        if wrong:
            raise ValueError(f"idle_timeouts are 5-3600 seconds (not: {', '.join(wrong)})")
        return value

    def idle_timeout_for(self, screen: str) -> int:
        """Seconds without a touch on ``screen`` (a kiosk.state.Screen value) before the countdown."""
        return self.idle_timeouts.get(screen, self.idle_timeout)


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
    # 长辈模式 (large type, stronger contrast) at the start of every session; a resident may switch.
    elder_mode_default: bool = False
    # PIN pads (修改密码) with the digits in a new random order on every step, against shoulder-surfing.
    shuffled_pin_pad: bool = False
    # The staff PIN of the maintenance screen, as kiosk.staff_access.hash_pin makes it (never the PIN).
    staff_pin_hash: str = Field(default="", max_length=200)


class AnnouncementConfig(_Section):
    """One notice for residents: 简体 text (required), optional 繁體/English (else the 简体 is shown),
    a level, and an optional time window [start, end) with an explicit UTC offset."""

    zh_CN: str
    zh_TW: str = ""
    en: str = ""
    level: Literal["info", "warning"] = "info"
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None

    @field_validator("zh_CN", "zh_TW", "en")
    @classmethod
    def _one_short_line(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        limit = MAX_ANNOUNCEMENT_CHARS_EN if info.field_name == "en" else MAX_ANNOUNCEMENT_CHARS
        if info.field_name == "zh_CN" and not value:
            raise ValueError("a 简体 text (zh_CN) that is not empty")
        if len(value) > limit:
            raise ValueError(f"at most {limit} characters, so it reads at a glance (got {len(value)})")
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            raise ValueError("one line of text without line breaks or control characters")
        return value

    @model_validator(mode="after")
    def _window_in_order(self) -> AnnouncementConfig:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end.isoformat()}) after start ({self.start.isoformat()})")
        return self


class AnnouncementsConfig(_Section):
    """Notices on the attract screen, applied live when pushed. ``items`` entries are tables
    (see AnnouncementConfig) or, as a short form, a plain string taken as the 简体 text."""

    items: list[AnnouncementConfig] = Field(default_factory=list)
    rotate_seconds: int = Field(default=8, ge=3, le=60)

    @field_validator("items", mode="before")
    @classmethod
    def _each_announcement(cls, value: Any) -> Any:
        # Each entry is validated here so a refusal names which announcement is wrong; pydantic's
        # own location would be lost by the fleet console, which shows errors per config key.
        if not isinstance(value, list):
            return value
        out: list[AnnouncementConfig] = []
        for number, entry in enumerate(value, start=1):
            if isinstance(entry, str):
                if _TABLE_FRAGMENT.search(entry):
                    # A table typed as text and cut at its commas (a list field of a form, a shell
                    # quoting slip) must be refused, not shown to residents as notices.
                    raise PydanticCustomError(
                        "announcement_invalid",
                        "announcement {number}: expected plain notice text or a table; "
                        "{text} looks like part of a table (JSON/TOML)",
                        {"number": number, "text": repr(entry[:40])},
                    )
                entry = {"zh_CN": entry}
            if isinstance(entry, AnnouncementConfig):
                out.append(entry)
                continue
            if not isinstance(entry, dict):
                raise PydanticCustomError(
                    "announcement_invalid",
                    "announcement {number}: expected plain notice text or a table "
                    "with zh_CN, zh_TW, en, level, start, end",
                    {"number": number},
                )
            try:
                out.append(AnnouncementConfig.model_validate(entry))
            except ValidationError as exc:
                problems = "; ".join(_item_problem(err) for err in exc.errors())
                # A custom error type: its text is shown as is, not behind "expected".
                raise PydanticCustomError(
                    "announcement_invalid",
                    "announcement {number}: {problems}",
                    {"number": number, "problems": problems},
                ) from None
        # Counted last: a table cut into pieces is better named as such than as "too many".
        if len(out) > MAX_ANNOUNCEMENTS:
            raise ValueError(f"at most {MAX_ANNOUNCEMENTS} announcements (got {len(out)})")
        return out


def _item_problem(error: Any) -> str:
    """'field: expected ...' for one error inside an announcement."""
    field = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"])
    for prefix in ("Value error, ", "Input should be ", "Input should have "):
        if message.startswith(prefix):
            message = "expected " + message[len(prefix) :]
    if error["type"] == "extra_forbidden":
        message = "unknown key; expected zh_CN, zh_TW, en, level, start or end"
    elif error["type"] == "missing":
        message = "missing; expected a value"
    elif error["type"].startswith(("timezone", "datetime")):
        message = f"{message} (ISO 8601 with a UTC offset, e.g. 2026-11-24T22:00:00+08:00)"
    return f"{field}: {message}" if field else message


class VoiceConfig(_Section):
    """Spoken prompts at the key steps (kiosk.voice), from WAV files rendered at set-up
    (scripts/voice.py). On by default: a resident who reads badly hears "请取走您的社保卡"."""

    enabled: bool = True
    volume: float = Field(default=0.8, ge=0.0, le=1.0)


class KioskConfig(_Section):
    terminal: TerminalConfig
    server: ServerConfig
    session: SessionConfig
    card: CardConfig
    camera: CameraConfig
    printer: PrinterConfig
    services: ServicesConfig
    ui: UiConfig
    announcements: AnnouncementsConfig = Field(default_factory=AnnouncementsConfig)
    voice: VoiceConfig = Field(default_factory=VoiceConfig)

    def data_path(self) -> Path:
        """The data directory as an absolute path (relative paths are under the repository root)."""
        path = Path(self.terminal.data_dir)
        return path if path.is_absolute() else REPO_ROOT / path


# Keys a signed remote bundle (a fleet profile) may set: an allow-list of dotted prefixes and exact
# keys. What a resident sees and how long they have (services, session timing, language, text size,
# announcements, voice prompts) is the fleet's to decide. Endpoints and devices (server.*, card.*,
# camera.*, printer.*, ui.font_path, terminal.id/region/data_dir) are local only: a region
# operator's profile must never point a terminal, its token, residents' data or face frames at
# another host, file or device. The fleet console refuses the others, and the terminal ignores
# (and logs) any that a signed bundle still carries.
REMOTE_KEYS = (
    "services.",
    "session.",
    "terminal.language",
    "ui.font_scale",
    "ui.elder_mode_default",
    "announcements.",
    "voice.",
)
REMOTE_REFUSAL_ZH = "仅限终端本机设置：服务器地址和设备不能远程修改"
REMOTE_REFUSAL_EN = "local only: endpoints and devices are set on the terminal itself, not remotely"


def remote_key_allowed(dotted: str) -> bool:
    """True when a remote bundle may set the dotted key ``dotted`` (see ``REMOTE_KEYS``)."""
    return any(dotted.startswith(key) if key.endswith(".") else dotted == key for key in REMOTE_KEYS)


def split_remote(overlay: dict[str, Any], prefix: str = "") -> tuple[dict[str, Any], list[str]]:
    """(the part of a nested remote overlay that ``REMOTE_KEYS`` allows, the dotted keys refused).

    A refused key is dropped whole, with whatever it holds; the allowed part is a new dict."""
    allowed: dict[str, Any] = {}
    refused: list[str] = []
    for key, value in overlay.items():
        dotted = f"{prefix}{key}"
        if remote_key_allowed(dotted):
            allowed[key] = value
        elif isinstance(value, dict) and any(k.startswith(dotted + ".") for k in REMOTE_KEYS):
            inner, inner_refused = split_remote(value, dotted + ".")
            if inner:
                allowed[key] = inner
            refused.extend(inner_refused)
        else:
            refused.append(dotted)
    return allowed, refused


def _describe(error: dict[str, Any], raw: dict[str, Any]) -> str:
    """One line: key, value given, what was expected (pydantic's own wording, made readable)."""
    loc = ".".join(str(part) for part in error["loc"])
    value: Any = raw
    for part in error["loc"]:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            value = None
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
