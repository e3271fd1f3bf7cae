"""Liveness state machine on synthetic landmark sequences (pure Python + numpy)."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from kiosk.liveness import (
    Challenge,
    LivenessConfig,
    LivenessFailure,
    LivenessSession,
    LivenessState,
    eye_openness,
    mouth_openness,
    random_challenges,
    yaw_degrees,
)
from tests.face.landmarks import face_landmarks

FPS = 25.0


def play(session: LivenessSession, frames: list[np.ndarray | None], t0: float = 0.0) -> float:
    t = t0
    for pts in frames:
        session.feed(t, pts)
        t += 1 / FPS
    return t


def idle(n: int, **kw: float) -> list[np.ndarray | None]:
    return [face_landmarks(**kw) for _ in range(n)]


def blink() -> list[np.ndarray | None]:
    return idle(5) + [face_landmarks(eyes_open=v) for v in (0.6, 0.2, 0.0, 0.2, 0.7)] + idle(5)


def mouth() -> list[np.ndarray | None]:
    return idle(5) + [face_landmarks(mouth_open=v) for v in (0.3, 0.8, 1.0, 1.0, 0.6)] + idle(3)


def turn(deg: float) -> list[np.ndarray | None]:
    return idle(5) + [face_landmarks(yaw_deg=deg * v) for v in (0.3, 0.6, 1.0, 1.0, 1.0, 0.5)] + idle(3)


ACTIONS = {
    Challenge.BLINK: blink,
    Challenge.OPEN_MOUTH: mouth,
    Challenge.TURN_LEFT: lambda: turn(30),
    Challenge.TURN_RIGHT: lambda: turn(-30),
}


def test_measures_on_template() -> None:
    assert yaw_degrees(face_landmarks(yaw_deg=30)) == pytest.approx(30, abs=1)
    assert yaw_degrees(face_landmarks(yaw_deg=30), mirrored=True) == pytest.approx(-30, abs=1)
    assert eye_openness(face_landmarks(eyes_open=0.0)) < 0.05 < eye_openness(face_landmarks())
    assert mouth_openness(face_landmarks(mouth_open=1.0)) > 0.45 > mouth_openness(face_landmarks())


def test_ratios_ignore_photo_motion_and_tilt() -> None:
    base = face_landmarks()
    moved = face_landmarks(scale=0.6, angle_deg=25, shift=(80, -40))
    tilted = face_landmarks(squash_y=0.6)  # photo tilted back: everything squashed vertically
    for pts in (moved, tilted):
        assert eye_openness(pts) == pytest.approx(eye_openness(base), rel=1e-6)
        assert mouth_openness(pts) == pytest.approx(mouth_openness(base), rel=1e-6)
        assert yaw_degrees(pts) == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize(("first", "second"), list(itertools.permutations(Challenge, 2)))
def test_every_pair_passes_when_performed(first: Challenge, second: Challenge) -> None:
    session = LivenessSession([first, second])
    play(session, ACTIONS[first]() + ACTIONS[second]())
    assert session.state is LivenessState.PASSED


def test_order_matters_and_wrong_action_times_out() -> None:
    session = LivenessSession([Challenge.TURN_LEFT, Challenge.BLINK], LivenessConfig(challenge_timeout_s=2))
    t = play(session, turn(-30) + blink() + idle(60))
    assert session.state is LivenessState.FAILED
    assert session.failure is LivenessFailure.TIMEOUT
    assert t > 2


@pytest.mark.parametrize("challenge", list(Challenge))
def test_still_photo_moved_around_fails(challenge: Challenge) -> None:
    rng = np.random.default_rng(1)
    frames = [
        face_landmarks(
            scale=1 + 0.2 * np.sin(i / 7),
            angle_deg=10 * np.sin(i / 5),
            shift=tuple(rng.normal(0, 20, 2)),
            squash_y=1 - 0.3 * abs(np.sin(i / 9)),
        )
        for i in range(300)
    ]
    second = Challenge.BLINK if challenge is not Challenge.BLINK else Challenge.OPEN_MOUTH
    session = LivenessSession([challenge, second])
    play(session, frames)
    assert session.state is LivenessState.FAILED


def test_photo_with_closed_eyes_or_open_mouth_fails() -> None:
    closed = LivenessSession([Challenge.BLINK])
    play(closed, idle(300, eyes_open=0.0))
    assert closed.state is LivenessState.FAILED
    gaping = LivenessSession([Challenge.OPEN_MOUTH])
    play(gaping, idle(300, mouth_open=1.0))
    assert gaping.state is LivenessState.FAILED


def test_turned_photo_does_not_pass_turn() -> None:
    session = LivenessSession([Challenge.TURN_LEFT])  # a profile photo never starts frontal
    play(session, idle(300, yaw_deg=40))
    assert session.state is LivenessState.FAILED


def test_missing_face_frames_do_not_break_a_blink() -> None:
    session = LivenessSession([Challenge.BLINK])
    play(session, idle(5) + [None, None] + blink())
    assert session.state is LivenessState.PASSED


def test_timeout_with_no_face() -> None:
    session = LivenessSession([Challenge.BLINK], LivenessConfig(challenge_timeout_s=1.0))
    play(session, [None] * 40)
    assert session.status().state is LivenessState.FAILED
    assert session.status().message_key == "face.liveness.timeout"
    assert session.status().instruction_zh == "活体检测超时，请重试或输入密码"


def test_random_challenges_are_distinct_and_not_both_turns() -> None:
    rng = random.Random(7)
    seen = set()
    for _ in range(200):
        pair = random_challenges(2, rng)
        assert len(set(pair)) == 2
        assert {Challenge.TURN_LEFT, Challenge.TURN_RIGHT} != set(pair)
        seen.add(tuple(pair))
    assert len(seen) == 10  # 12 ordered pairs minus the two both-turn ones


def test_status_texts() -> None:
    session = LivenessSession([Challenge.OPEN_MOUTH])
    assert session.status().instruction_zh == "请张张嘴"
    assert Challenge.BLINK.message_key == "face.liveness.blink"
    with pytest.raises(ValueError):
        LivenessSession([])
