"""Voice prompts (kiosk.voice): which prompt each moment of a session speaks, once, in the screen's
language and words; silent when off; cut off when the session ends; never personal data."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from kiosk.config import load_config, parse_override
from kiosk.i18n import LANGUAGES, tr
from kiosk.ports import FaceProgress
from kiosk.remote_config import Accepted
from kiosk.state import KioskState, Message, Screen
from kiosk.voice import ESPEAK_VOICES, Clip, Utterance, VoicePrompter, clip_path, clips, prompt_for
from tests.kiosk.fakes import FakeFacePort, make_controller, removed_error


class RecordingPlayer:
    """The voice port, recording what it was asked to play and how often it was stopped."""

    def __init__(self) -> None:
        self.played: list[tuple[Utterance, list[Path], float]] = []
        self.stops = 0

    def play(self, utterance: Utterance, files: list[Path], volume: float) -> None:
        self.played.append((utterance, files, volume))

    def stop(self) -> None:
        self.stops += 1

    @property
    def keys(self) -> list[tuple[str, ...]]:
        return [utterance.keys for utterance, _files, _volume in self.played]


@pytest.fixture
def voice_root(tmp_path: Path) -> Path:
    """A built prompt folder: an (empty) file per clip and language; the prompter only looks them up."""
    for language in LANGUAGES:
        for clip in clips():
            path = clip_path(language, clip, tmp_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
    return tmp_path


def wired(voice_root: Path, *overrides: str, face=None):
    controller, card, *_ = make_controller(*overrides, face=face)
    player = RecordingPlayer()
    prompter = VoicePrompter(player, lambda: controller.config.voice, root=voice_root)
    controller.subscribe(prompter.observe)
    return controller, card, player


def sign_in(controller, pin: str = "123456") -> None:
    controller.card_inserted()
    for digit in pin:
        controller.pin_digit(digit)
    controller.pin_submit()


def test_a_session_speaks_each_key_step_once_in_order(voice_root):
    controller, _card, player = wired(voice_root)
    sign_in(controller)
    controller.publish()  # a refresh of the same screen says nothing new
    controller.choose_service("insurance_info")
    controller.back_to_menu()  # the menu again, with nothing spoken in between: not repeated
    controller.choose_service("print_insured_certificate")
    controller.confirm_print()
    controller.finish()
    controller.card_removed()
    assert player.keys == [
        ("reading.title",),
        ("pin.prompt",),
        ("menu.title",),
        ("print.done",),  # take your paper
        ("remove_card.title",),  # take your card
    ]
    assert {utterance.language for utterance, _f, _v in player.played} == {"zh_CN"}
    assert [files[0] for _u, files, _v in player.played][1] == clip_path("zh_CN", Clip("pin.prompt"), voice_root)
    assert {volume for _u, _f, volume in player.played} == {0.8}


def test_pin_digits_do_not_repeat_the_prompt_and_a_wrong_pin_speaks_the_tries_left(voice_root):
    controller, _card, player = wired(voice_root)
    controller.card_inserted()
    for digit in "000":
        controller.pin_digit(digit)
    assert player.keys == [("reading.title",), ("pin.prompt",)]
    for digit in "000":
        controller.pin_digit(digit)
    controller.pin_submit()
    assert player.played[-1][0].clips == (Clip("pin.wrong", (("tries", 2),)),)
    assert player.played[-1][1][0].name == "pin.wrong@tries=2.wav"


def test_a_language_switch_speaks_the_same_prompt_in_the_new_language(voice_root):
    controller, _card, player = wired(voice_root)
    controller.card_inserted()
    controller.set_language("en")
    controller.set_language("zh_TW")
    assert [(u.keys, u.language) for u, _f, _v in player.played][-3:] == [
        (("pin.prompt",), "zh_CN"),
        (("pin.prompt",), "en"),
        (("pin.prompt",), "zh_TW"),
    ]
    assert player.played[-1][1] == [clip_path("zh_TW", Clip("pin.prompt"), voice_root)]


def test_the_attract_screen_is_silent_on_arrival_and_speaks_when_a_resident_picks_a_language(voice_root):
    controller, _card, player = wired(voice_root)
    assert player.played == []  # the kiosk starts (or returns) to rest without talking to the hall
    controller.set_language("en")
    assert [(u.keys, u.language) for u, _f, _v in player.played] == [(("attract.insert_card",), "en")]


def test_voice_off_in_config_plays_nothing_and_volume_follows_the_config(voice_root):
    controller, _card, player = wired(voice_root, "voice.enabled=false")
    sign_in(controller)
    assert player.played == []
    controller, _card, player = wired(voice_root, "voice.volume=0.3")
    sign_in(controller)
    assert {volume for _u, _f, volume in player.played} == {0.3}


def test_the_sound_is_cut_off_when_the_session_ends(voice_root):
    controller, _card, player = wired(voice_root)
    sign_in(controller)
    stops = player.stops
    controller.finish()
    assert player.stops == stops + 1
    assert player.keys[-1] == ("remove_card.title",)


def test_an_error_speaks_the_message_on_screen(voice_root):
    controller, card, player = wired(voice_root)
    sign_in(controller)
    card.read_error = removed_error()
    controller.card_removed()  # pulled in the middle of the session
    assert controller.state.screen is Screen.MESSAGE
    assert player.keys[-1] == ("card.removed",)


def test_the_spoken_words_are_the_screens_words(voice_root):
    """Each prompt's text is what the screen shows for that state (views.message_text's rule:
    the message's text, then its then_key line), in every language."""
    for lang in LANGUAGES:
        cases = [
            (KioskState(screen=Screen.PIN, language=lang), tr("pin.prompt", lang)),
            (KioskState(screen=Screen.REMOVE_CARD, language=lang), tr("remove_card.title", lang)),
            (
                KioskState(
                    screen=Screen.MESSAGE,
                    language=lang,
                    message=Message("printer.no_paper", {"then_key": "print.failed_kept"}, is_error=True),
                ),
                f"{tr('printer.no_paper', lang)}\n{tr('print.failed_kept', lang)}",
            ),
            (
                KioskState(screen=Screen.PIN, language=lang, pin_message=Message("pin.wrong", {"tries": 1})),
                tr("pin.wrong", lang, tries=1),
            ),
            (KioskState(screen=Screen.MENU, language=lang, countdown=9), tr("idle.title", lang)),
        ]
        for state, screen_text in cases:
            utterance = prompt_for(state)
            assert utterance is not None and utterance.language == lang
            assert "\n".join(clip.text(lang) for clip in utterance.clips) == screen_text


def test_no_prompt_holds_personal_data_or_free_text():
    """A name, the gateway's own words or an unlisted number is never spoken: such messages have no clip."""
    assert prompt_for(KioskState(screen=Screen.MESSAGE, message=Message("backend.rejected", {"reason": "x"}))) is None
    assert prompt_for(KioskState(screen=Screen.PIN, pin_message=Message("pin.wrong", {"tries": "?"}))) is None
    for clip in clips():
        for lang in LANGUAGES:
            assert not re.search(r"\{\w+\}", tr(clip.key, lang)) or clip.params, clip.name
        assert all(name == "tries" for name, _value in clip.params)


def test_missing_prompts_are_logged_once_and_never_fail_the_kiosk(tmp_path, caplog):
    controller, _card, *_ = make_controller()
    player = RecordingPlayer()
    controller.subscribe(VoicePrompter(player, lambda: controller.config.voice, root=tmp_path).observe)
    with caplog.at_level(logging.WARNING, logger="kiosk.voice"):
        sign_in(controller)
        controller.set_language("en")
        controller.set_language("zh_CN")
    assert player.played == []
    missing = [record for record in caplog.records if "not built" in record.getMessage()]
    assert len(missing) == 1 and "zh_CN/reading.title.wav" in missing[0].getMessage()


def test_every_kiosk_language_has_an_espeak_voice():
    assert set(ESPEAK_VOICES) == set(LANGUAGES)


def test_a_pushed_voice_setting_applies_live_at_the_next_idle_moment(voice_root):
    """voice.* is a live key (no restart), and the prompter reads the config the controller holds now."""
    controller, _card, player = wired(voice_root)
    for key in ("voice.enabled", "voice.volume"):
        assert not Accepted(1, controller.config, {}, {key}).needs_restart, key
    controller.apply_config(load_config(overrides=[parse_override("voice.enabled=false")]))
    sign_in(controller)
    assert player.played == []


def test_the_camera_step_speaks_its_instructions_once_each_but_not_the_framing_hints(voice_root):
    """ "Look at the camera", then each liveness action; the quick framing hints (closer, into the
    oval) change many times a second and stay on screen only."""
    face = FakeFacePort()
    face.progress = [
        FaceProgress(b"\x00" * 12, 2, 2, key)
        for key in (
            "face.quality.no_face",
            "face.liveness.blink",
            "face.quality.too_small",
            "face.liveness.blink",
            "face.liveness.turn_left",
        )
    ]
    controller, _card, player = wired(voice_root, face=face)
    controller.card_inserted()
    controller.choose_face()
    assert player.keys == [
        ("reading.title",),
        ("pin.prompt",),
        ("face.capture.look",),
        ("face.liveness.blink",),
        ("face.liveness.turn_left",),
        ("menu.title",),
    ]
