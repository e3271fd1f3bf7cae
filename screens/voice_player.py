"""The voice prompts' player: kiosk.voice.VoicePlayer on Kivy's audio (SoundLoader, SDL2 mixer).

Plays an utterance's WAV files one after the other; a new utterance or ``stop`` cuts the current
one off. Runs on the UI thread (the prompter is a state listener). It never raises and never stops
the kiosk: when the machine has no audio device (SDL cannot open one, a file loads with no length)
it logs that once and stays silent. Under tests and the headless demo, SDL's dummy audio driver
(``SDL_AUDIODRIVER=dummy``) plays into nothing at real speed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kiosk.voice import Utterance

logger = logging.getLogger(__name__)


class KivyVoicePlayer:
    """Sounds are loaded once per file and kept (a few dozen short WAVs)."""

    def __init__(self) -> None:
        self._sounds: dict[Path, Any] = {}
        self._queue: list[Path] = []
        self._current: Any = None
        self._volume = 1.0
        self._silent = False  # no audio device: logged once, then nothing is tried again

    def play(self, utterance: Utterance, files: list[Path], volume: float) -> None:
        self.stop()
        if self._silent:
            return
        self._queue = list(files)
        self._volume = volume
        self._next()

    def stop(self) -> None:
        self._queue = []
        current, self._current = self._current, None
        if current is not None:
            try:
                current.unbind(on_stop=self._finished)
                current.stop()
            except Exception as exc:  # a sound that fails to stop must not stop the kiosk
                logger.debug("stopping a voice prompt: %s", exc)

    def _next(self) -> None:
        while self._queue:
            path = self._queue.pop(0)
            sound = self._load(path)
            if sound is None:
                continue
            try:
                sound.volume = self._volume
                sound.bind(on_stop=self._finished)
                self._current = sound
                sound.play()
            except Exception as exc:  # audio trouble leaves the kiosk silent, never down
                self._go_silent(f"playing {path.name} failed: {exc}")
            return

    def _finished(self, sound: Any) -> None:
        if sound is self._current:
            sound.unbind(on_stop=self._finished)
            self._current = None
            self._next()

    def _load(self, path: Path) -> Any:
        sound = self._sounds.get(path)
        if sound is not None:
            return sound
        try:
            from kivy.core.audio import SoundLoader

            sound = SoundLoader.load(str(path))
        except Exception as exc:  # a broken audio provider: silent, never down
            self._go_silent(f"loading {path.name} failed: {exc}")
            return None
        if sound is None or not sound.length:
            # Kivy's SDL2 provider returns a sound of length 0 when SDL could not open a device.
            self._go_silent(f"no audio device could play {path.name}")
            return None
        self._sounds[path] = sound
        return sound

    def _go_silent(self, why: str) -> None:
        if not self._silent:
            logger.warning("voice prompts are off for this run: %s", why)
        self._silent = True
        self._queue = []
        self._current = None
