"""Voice prompts: which prompt the state on screen calls for, spoken once per moment.

The spoken words are the screen's words: a prompt is a list of :class:`Clip` (a message key and
its parameters), each rendered at set-up (``scripts/voice.py build``) from ``tr(key, lang)`` — the
msgstr of the same catalogue key the screen shows, in the session's language — to a WAV file under
``kiosk/locale/<lang>/voice/``. Only the keys of :func:`clips` are rendered: instructions and
errors with no parameter, or with a parameter from a short fixed list (the tries left after a wrong
PIN), so a name, a number of the resident or the gateway's free text is never spoken.

:class:`VoicePrompter` observes every published state (the app subscribes it to the controller):
it speaks a prompt when it differs from the last one spoken (a refresh of the same screen, a PIN
digit, the countdown's seconds say nothing new; screens without a prompt do not count), stops the
sound when the resident's session ends, and says nothing while ``voice.enabled`` is false. The
attract screen is silent when the terminal returns to it (nobody may be there); it speaks when a
resident switches its language. The player is a port (:class:`VoicePlayer`) so this module stays
free of Kivy; ``screens.voice_player`` plays through Kivy's audio.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from common.config import VoiceConfig
from kiosk.errors import CardErrorKind
from kiosk.i18n import tr
from kiosk.printer_status import PrinterStatus
from kiosk.state import KioskState, Message, Screen

logger = logging.getLogger(__name__)

VOICE_ROOT = Path(__file__).resolve().parent / "locale"
# espeak-ng voices of Debian 12's espeak-ng 1.51 per kiosk language. Its "cmn" voice reads the
# pinyin it makes of Chinese characters with English letter sounds; "cmn-latn-pinyin" reads them as
# Mandarin, Simplified and Traditional alike. 繁體 on a mainland 人社 terminal serves mostly Hong
# Kong and Macao residents: Cantonese ("yue"), which reads both scripts too.
ESPEAK_VOICES = {"zh_CN": "cmn-latn-pinyin", "zh_TW": "yue", "en": "en"}

# The prompt of each screen that has one, as the screen shows it.
SCREEN_PROMPTS = {
    Screen.ATTRACT: "attract.insert_card",
    Screen.PIN: "pin.prompt",
    Screen.MENU: "menu.title",
    Screen.REMOVE_CARD: "remove_card.title",
}
PRINTER_FAULTS = (PrinterStatus.NO_PAPER, PrinterStatus.COVER_OPEN, PrinterStatus.OFFLINE, PrinterStatus.ERROR)
# Messages spoken when a screen shows them: steps and instructions ...
STEP_KEYS = (
    "reading.title",
    "face.capture.look",
    "face.liveness.blink",
    "face.liveness.open_mouth",
    "face.liveness.turn_left",
    "face.liveness.turn_right",
    "esscard.scan.show",
    "print.done",
    "idle.title",
)
# ... and errors (messages with no parameter; card.<kind> and printer.<status> cover their families).
ERROR_KEYS = (
    *(f"card.{kind.value}" for kind in CardErrorKind),
    *(status.reason_key for status in PRINTER_FAULTS),
    "pin.too_many",
    "backend.unavailable",
    "backend.timeout",
    "error.generic",
    "terminal.restarting",
    "print.failed_kept",
    "face.liveness.timeout",
    "face.liveness.failed",
    "face.capture.timeout",
    "esscard.not_esscard",
    "esscard.scan.timeout",
    "esscard.camera_failed",
    "esscard.too_many",
    "esscard.cancelled",
)
# Keys with one parameter, rendered for each listed value (anything else is not spoken).
VARIANTS: dict[str, tuple[str, tuple[int, ...]]] = {"pin.wrong": ("tries", (1, 2, 3, 4, 5))}


@dataclass(frozen=True)
class Clip:
    """One rendered sentence: a message key and its parameters (name, value) in order."""

    key: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        """The WAV file's stem: the key, then ``@name=value`` per parameter."""
        return self.key + "".join(f"@{name}={value}" for name, value in self.params)

    def text(self, language: str) -> str:
        """What the screen shows for this clip in ``language`` (what the WAV says)."""
        return tr(self.key, language, **dict(self.params))


@dataclass(frozen=True)
class Utterance:
    """A prompt: its clips in order, in one language."""

    clips: tuple[Clip, ...]
    language: str

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(clip.key for clip in self.clips)


def clips() -> list[Clip]:
    """Every clip the build renders (per language), without duplicates, in a stable order."""
    out = [Clip(key) for key in (*SCREEN_PROMPTS.values(), *STEP_KEYS, *ERROR_KEYS)]
    for key, (name, values) in VARIANTS.items():
        out.extend(Clip(key, ((name, value),)) for value in values)
    return list(dict.fromkeys(out))


_SPEAKABLE = frozenset(clips())


def clip_path(language: str, clip: Clip, root: Path = VOICE_ROOT) -> Path:
    return root / language / "voice" / f"{clip.name}.wav"


def _message_clips(message: Message | None) -> tuple[Clip, ...] | None:
    """The clips of a Message as the screen shows it (its text, then its ``then_key`` line), or None
    when any part of it is not a rendered clip (then the screen's words could not be spoken)."""
    if message is None:
        return None
    params = dict(message.params)
    then_key = params.pop("then_key", None)
    parts = [Clip(message.key, tuple(sorted(params.items())))]
    if then_key is not None:
        parts.append(Clip(str(then_key)))
    if not all(part in _SPEAKABLE for part in parts):
        return None
    return tuple(parts)


def prompt_for(state: KioskState) -> Utterance | None:
    """The prompt the state on screen calls for, or None when it has none to speak."""
    if state.countdown is not None:
        found: tuple[Clip, ...] | None = (Clip("idle.title"),)
    elif state.screen is Screen.PIN and state.pin_message is not None:
        found = _message_clips(state.pin_message)
    elif state.screen in SCREEN_PROMPTS:
        found = (Clip(SCREEN_PROMPTS[state.screen]),)
    elif state.screen in (Screen.READING, Screen.BUSY):
        found = _message_clips(state.busy_message)
    elif state.screen is Screen.FACE:
        found = _message_clips(state.face_message)
    elif state.screen is Screen.MESSAGE:
        found = _message_clips(state.message)
    else:
        found = None
    return Utterance(found, state.language) if found else None


class VoicePlayer(Protocol):
    """Plays rendered prompts. Never raises: a kiosk without audio carries on in silence."""

    def play(self, utterance: Utterance, files: list[Path], volume: float) -> None:
        """Stop whatever plays, then play ``files`` one after the other at ``volume`` (0.0-1.0)."""

    def stop(self) -> None:
        """Stop the sound now (nothing happens when nothing plays)."""


class VoicePrompter:
    """Observes the published states and has the player speak each new prompt once.

    ``config`` is called at every state, so a ``[voice]`` pushed by the fleet applies at once."""

    def __init__(self, player: VoicePlayer, config: Callable[[], VoiceConfig], root: Path = VOICE_ROOT) -> None:
        self._player = player
        self._config = config
        self._root = root
        self._last: Utterance | None = None
        self._last_screen: Screen | None = None
        self._in_session = False
        self._missing_logged = False  # one warning per run, not one per prompt and language

    def observe(self, state: KioskState) -> None:
        """The controller's listener: called with every published snapshot, on the UI thread."""
        if self._in_session and not state.session_active:
            self._player.stop()  # the resident is gone: nothing of their session goes on speaking
            self._last = None
        self._in_session = state.session_active
        previous_screen, self._last_screen = self._last_screen, state.screen
        utterance = prompt_for(state)
        if utterance is None or utterance == self._last:
            return
        previous, self._last = self._last, utterance
        if state.screen is Screen.ATTRACT and state.countdown is None:
            switched = previous_screen is Screen.ATTRACT and previous is not None and previous.clips == utterance.clips
            if not switched:
                return  # back to rest: a new resident hears the prompt when they touch a language
        config = self._config()
        if not config.enabled or config.volume <= 0:
            return
        files = list(self._files(utterance))
        if len(files) == len(utterance.clips):
            logger.info("voice prompt %s (%s)", "+".join(utterance.keys), utterance.language)
            self._player.play(utterance, files, config.volume)

    def _files(self, utterance: Utterance) -> Iterator[Path]:
        for clip in utterance.clips:
            path = clip_path(utterance.language, clip, self._root)
            if path.is_file():
                yield path
            elif not self._missing_logged:
                self._missing_logged = True
                logger.warning(
                    "voice prompt %s/%s is not built (prompts not built stay silent): run scripts/voice.py build",
                    utterance.language,
                    path.name,
                )
            else:
                logger.debug("voice prompt %s/%s is not built", utterance.language, path.name)
