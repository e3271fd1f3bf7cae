"""What the screens show. The controller owns one KioskState and publishes copies of it.

Screens render a state and send intents back; they never read devices or the backend.
The resident's data lives only in ``resident``, ``records`` and ``preview_png`` and is wiped by
:meth:`KioskState.clear_resident` at the end of every session.
"""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass, field
from typing import Any

from kiosk.periods import PeriodChoice
from kiosk.printer_status import PrinterStatus


class Screen(enum.Enum):
    ATTRACT = "attract"
    READING = "reading"
    PIN = "pin"
    FACE = "face"
    BUSY = "busy"
    MENU = "menu"
    RECORDS = "records"
    PRINT_PREVIEW = "print_preview"
    WIZARD = "wizard"
    MESSAGE = "message"
    REMOVE_CARD = "remove_card"
    OUT_OF_SERVICE = "out_of_service"
    CHANGE_PIN = "change_pin"  # 修改社保卡密码: the PIN pad of kiosk.flows.change_pin
    MAINTENANCE = "maintenance"  # staff only: behind the hidden corner gesture and the staff PIN


# The screens between residents.
IDLE_SCREENS = (Screen.ATTRACT, Screen.OUT_OF_SERVICE)
# Screens where the resident is not expected to touch anything, so idle time does not count.
UNTIMED_SCREENS = (*IDLE_SCREENS, Screen.REMOVE_CARD, Screen.READING, Screen.BUSY, Screen.FACE, Screen.MAINTENANCE)
# No resident is served on these: staff intents run, the fleet may apply config.
NO_RESIDENT_SCREENS = (*IDLE_SCREENS, Screen.MAINTENANCE)
# The screens of a service that 首页 (back_to_menu) leaves for the menu; MESSAGE by its 继续.
HOME_SCREENS = (Screen.RECORDS, Screen.PRINT_PREVIEW, Screen.MESSAGE, Screen.WIZARD, Screen.CHANGE_PIN)


@dataclass
class Message:
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    is_error: bool = False


@dataclass(frozen=True)
class Notice:
    """One announcement as shown now: its text in the language on screen, and its level
    ("info" or "warning"; the view marks a warning with 【重要】 and a colour, never colour alone)."""

    text: str
    level: str = "info"


@dataclass
class MenuItem:
    service: str
    enabled: bool
    reason: Message | None = None


@dataclass
class Records:
    """A table ready for display: already translated titles and formatted cells."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    summary: list[str] = field(default_factory=list)
    page: int = 1
    pages: int = 1
    period: PeriodChoice | None = None  # the period the table covers, when the resident chooses it
    print_key: str | None = None  # the words of the screen's print button (打印本期缴费凭证), None: no button


class WizardStep(enum.Enum):
    NOTICE = "notice"  # 须知: read and tick
    CONFIRM = "confirm"  # the resident's data as the gateway knows it
    FIELD = "field"  # one question
    REVIEW = "review"  # every answer, then submit
    RESULT = "result"  # the receipt, with a button to print it


@dataclass(frozen=True)
class WizardView:
    """The application wizard's screen: which step of how many, the question and the answer so far.

    ``question`` is a kiosk.forms.FormField on FIELD steps; ``error`` an i18n key of what is wrong with
    the answer; ``failure`` why the gateway refused or could not take the submission; ``review``
    (label key, value, key of the value's words or None) per answer; ``receipt`` the gateway's answer;
    ``picker`` the division list of a REGION or ADDRESS step."""

    service: str
    notice_key: str
    step: WizardStep = WizardStep.NOTICE
    step_number: int = 1
    step_count: int = 1
    question: Any = None
    value: str = ""
    agreed: bool = False
    error: str | None = None
    failure: Message | None = None
    resident: list[tuple[str, str]] = field(default_factory=list)
    review: list[tuple[str, str, str | None]] = field(default_factory=list)
    receipt: dict | None = None
    # On a REGION or ADDRESS step: the division list shown (kiosk.divisions.PickerPage), or None
    # once a county is picked and the address's detail is being typed.
    picker: Any = None
    # On a free-text step (and an address's detail): the pinyin input method's
    # kiosk.pinyin_input.ImeView (中/英, pending pinyin, the candidate bar), else None.
    ime: Any = None
    # On a PHOTO step: the photo's own screen (kiosk.flows.wizard_photo.PhotoView), else None.
    photo: Any = None
    # On a FACE step: "" (not done yet), "failed" (重试), "locked" (go to the counter) or "done".
    face_status: str = ""


@dataclass
class StaffView:
    """The maintenance screen (kiosk.staff_screen): the staff PIN until ``unlocked``, then the
    terminal's facts and the staff's actions; ``result`` is the last action's answer, as staff read
    it in the fleet console; ``card_present`` None until the reader has answered."""

    unlocked: bool = False
    pin_length: int = 0
    message: Message | None = None
    terminal_id: str = ""
    version: str = ""
    card_present: bool | None = None
    out_of_service: bool = False
    result: str = ""


@dataclass
class ChangePinView:
    """The 修改密码 screen: which PIN is asked (``step``: "old", "new", "again"), how many digits are
    typed (never the digits), the message of the last step, and the pad's key order."""

    step: str = "old"
    pin_length: int = 0
    message: Message | None = None
    keys: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")


@dataclass
class KioskState:
    screen: Screen = Screen.ATTRACT
    language: str = "zh_CN"
    # 长辈模式: large type and stronger contrast; the resident's choice, kept like the language.
    elder_mode: bool = False
    resident_name: str = ""
    pin_length: int = 0
    pin_message: Message | None = None
    busy_message: Message | None = None
    message: Message | None = None
    menu: list[MenuItem] = field(default_factory=list)
    records: Records | None = None
    preview_png: bytes | None = None
    wizard: WizardView | None = None
    countdown: int | None = None
    face_available: bool = False
    esscard_available: bool = False  # a camera that can read the 电子社保卡's QR code
    face_preview: Any = None  # kiosk.ports.FaceProgress while the camera runs
    face_message: Message | None = None
    face_title: str = "face.title"  # the camera screen's title key (face check, or 电子社保卡)
    printer_status: PrinterStatus = PrinterStatus.UNKNOWN
    session_active: bool = False
    # Terminal-level notices in force now (kiosk.announcements), in ``language``; the attract
    # screen shows ``announcements[announcement_index]`` and the controller rotates the index.
    announcements: list[Notice] = field(default_factory=list)
    announcement_index: int = 0
    staff: StaffView | None = None  # only on Screen.MAINTENANCE
    change_pin: ChangePinView | None = None  # only on Screen.CHANGE_PIN

    def snapshot(self) -> KioskState:
        return copy.deepcopy(self)

    def clear_resident(self) -> None:
        """Forget everything about the resident; keep only terminal-level settings."""
        fresh = KioskState(
            language=self.language,
            elder_mode=self.elder_mode,
            printer_status=self.printer_status,
            face_available=self.face_available,
            esscard_available=self.esscard_available,
            announcements=self.announcements,
            announcement_index=self.announcement_index,
        )
        self.__dict__.update(fresh.__dict__)

    def holds_resident_data(self) -> bool:
        return bool(
            self.face_preview
            or self.resident_name
            or self.records
            or self.preview_png
            or self.wizard
            or self.session_active
            or self.pin_length
            or self.change_pin
        )
