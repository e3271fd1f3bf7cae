"""The 社保卡 photo's rules on the demo camera's synthesized frames: the portrait scene passes every
rule and gives a 358 × 441 JPEG with one face; each fault scene fails its own rule; the port takes
the photo of a resident keeping still and reports the camera gone."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from drivers.camera.base import CameraStatus
from drivers.camera.face_engine import FaceEngine
from drivers.camera.photo_port import CameraPhotoPort
from drivers.camera.photo_rules import PHOTO_HEIGHT, PHOTO_WIDTH, PhotoChecker
from drivers.camera.quality import FrameAnalyzer
from drivers.camera.simulated import SimulatedCamera
from kiosk.photo_rules import RULES, PhotoProblem, rule_of
from kiosk.ports import FaceProgress


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine()


@pytest.fixture(scope="module")
def camera(engine: FaceEngine) -> SimulatedCamera:
    return SimulatedCamera(realtime=False, engine=engine)


@pytest.fixture(scope="module")
def checker(engine: FaceEngine) -> PhotoChecker:
    return PhotoChecker(FrameAnalyzer(engine))


def _problems(camera: SimulatedCamera, checker: PhotoChecker, scene: str, frames: int = 4) -> set[PhotoProblem | None]:
    camera.show(scene)
    camera.open()
    try:
        seen = set()
        for index in range(frames * 7):
            frame = camera.read()
            if index % 7 == 0:  # spread over the scene's sway
                seen.add(checker.check(frame).problem)
        return seen
    finally:
        camera.close()


@pytest.mark.parametrize(
    ("scene", "problem"),
    [
        ("portrait:astronaut", None),
        ("portrait:astronaut:busy", PhotoProblem.BACKGROUND),
        ("portrait:astronaut:eyes_closed", PhotoProblem.EYES_CLOSED),
        ("portrait:astronaut:turned", PhotoProblem.NOT_FRONTAL),
        ("portrait:astronaut:dark", PhotoProblem.TOO_DARK),
        ("none", PhotoProblem.NO_FACE),
    ],
)
def test_each_rule_fails_on_its_fault(
    camera: SimulatedCamera, checker: PhotoChecker, scene: str, problem: PhotoProblem | None
) -> None:
    assert _problems(camera, checker, scene) == {problem}


def test_two_faces_are_one_too_many(camera: SimulatedCamera, checker: PhotoChecker) -> None:
    camera.show("portrait:astronaut")
    camera.open()
    frame = camera.read()
    camera.close()
    small = cv2.resize(frame, (320, 240))
    pair = np.full_like(frame, 236)
    pair[120:360, :320], pair[120:360, 320:] = small, small
    assert checker.check(pair).problem is PhotoProblem.MANY_FACES


def test_every_problem_names_a_rule_shown() -> None:
    assert {problem.rule for problem in PhotoProblem} == set(RULES)
    assert rule_of(PhotoProblem.BACKGROUND.message_key) == "background" and rule_of("photo.hold_still") is None


def test_the_port_takes_a_card_photo(camera: SimulatedCamera, checker: PhotoChecker, engine: FaceEngine) -> None:
    camera.show("portrait:astronaut")
    port = CameraPhotoPort(camera, checker, steady_frames=4)
    previews: list[FaceProgress] = []
    outcome = port.run(threading.Event(), previews.append)
    assert outcome.taken, outcome.message_key
    photo = cv2.imdecode(np.frombuffer(outcome.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert photo.shape[:2] == (PHOTO_HEIGHT, PHOTO_WIDTH)
    assert len(engine.detect(photo)) == 1
    assert all(p.message_key == "photo.hold_still" for p in previews)


def test_the_port_reports_the_camera_gone_and_a_timeout(camera: SimulatedCamera, checker: PhotoChecker) -> None:
    camera.show("portrait:astronaut:eyes_closed")
    ticks = iter(range(0, 1000, 10))
    port = CameraPhotoPort(camera, checker, max_seconds=25, clock=lambda: float(next(ticks)))
    previews: list[FaceProgress] = []
    outcome = port.run(threading.Event(), previews.append)
    assert (outcome.taken, outcome.message_key) == (False, "photo.timeout")
    assert previews and previews[0].message_key == PhotoProblem.EYES_CLOSED.message_key
    camera.unplug()
    try:
        outcome = CameraPhotoPort(camera, checker).run(threading.Event(), previews.append)
    finally:
        camera.replug()
    assert (outcome.taken, outcome.message_key) == (False, f"camera.{CameraStatus.NO_DEVICE.value}")
