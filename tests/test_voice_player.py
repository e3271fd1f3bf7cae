"""screens.voice_player.KivyVoicePlayer with a stand-in for Kivy's SoundLoader: clips play one
after the other, a new prompt or stop cuts the sound off, and a machine without an audio device
(or a broken provider) leaves the kiosk silent with one warning, never an exception."""

from __future__ import annotations

import logging
import sys
import types
from pathlib import Path

import pytest

from kiosk.voice import Clip, Utterance
from screens.voice_player import KivyVoicePlayer

UTTERANCE = Utterance((Clip("printer.no_paper"), Clip("print.failed_kept")), "zh_CN")


class FakeSound:
    """Kivy's Sound as the player uses it: volume, play, stop, and on_stop bindings."""

    def __init__(self, source: str, length: float) -> None:
        self.source, self.length, self.volume = source, length, 1.0
        self.state = "stop"
        self._on_stop: list = []

    def bind(self, on_stop) -> None:
        self._on_stop.append(on_stop)

    def unbind(self, on_stop) -> None:
        self._on_stop.remove(on_stop)

    def play(self) -> None:
        self.state = "play"

    def stop(self) -> None:
        self.state = "stop"
        for callback in list(self._on_stop):
            callback(self)

    def end(self) -> None:
        """The sound played to its end (Kivy then dispatches on_stop)."""
        self.stop()


@pytest.fixture
def loader(monkeypatch):
    """Installs a fake ``kivy.core.audio``; ``loaded`` maps each source to its FakeSound."""
    state = types.SimpleNamespace(length=1.5, error=None, loaded={})

    def load(source: str):
        if state.error:
            raise state.error
        state.loaded[source] = FakeSound(source, state.length)
        return state.loaded[source]

    module = types.ModuleType("kivy.core.audio")
    module.SoundLoader = types.SimpleNamespace(load=load)
    monkeypatch.setitem(sys.modules, "kivy.core.audio", module)
    return state


def test_clips_play_in_order_at_the_volume_and_a_new_prompt_cuts_the_old_one_off(loader):
    player = KivyVoicePlayer()
    first, second = Path("a.wav"), Path("b.wav")
    player.play(UTTERANCE, [first, second], 0.4)
    a = loader.loaded["a.wav"]
    assert a.state == "play" and a.volume == 0.4 and "b.wav" not in loader.loaded
    a.end()
    b = loader.loaded["b.wav"]
    assert b.state == "play"
    player.play(UTTERANCE, [first], 0.4)  # the next moment's prompt
    assert b.state == "stop" and a.state == "play"
    player.stop()  # the session ended
    assert a.state == "stop" and player._current is None


def test_no_audio_device_logs_once_and_stays_silent(loader, caplog):
    loader.length = 0  # what Kivy's SDL2 provider returns when SDL could not open a device
    player = KivyVoicePlayer()
    with caplog.at_level(logging.WARNING, logger="screens.voice_player"):
        player.play(UTTERANCE, [Path("a.wav")], 0.8)
        player.play(UTTERANCE, [Path("b.wav")], 0.8)
        player.stop()
    assert [record.getMessage() for record in caplog.records] == [
        "voice prompts are off for this run: no audio device could play a.wav"
    ]
    assert "b.wav" not in loader.loaded  # nothing is tried again


def test_a_broken_audio_provider_never_raises(loader, caplog):
    loader.error = RuntimeError("mixer exploded")
    player = KivyVoicePlayer()
    with caplog.at_level(logging.WARNING, logger="screens.voice_player"):
        player.play(UTTERANCE, [Path("a.wav")], 0.8)
    assert "mixer exploded" in caplog.text
