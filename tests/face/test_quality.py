"""Quality gates over measured numbers (kiosk.face_quality, plain Python)."""

from __future__ import annotations

import pytest

from kiosk.face_quality import FaceMetrics, QualityIssue, QualityThresholds, evaluate, guide_oval

GOOD = dict(
    frame_width=640,
    frame_height=480,
    faces=1,
    box=(220.0, 140.0, 200.0, 200.0),
    brightness=130.0,
    sharpness=120.0,
    yaw_deg=2.0,
)


def metrics(**change: object) -> FaceMetrics:
    return FaceMetrics(**{**GOOD, **change})  # type: ignore[arg-type]


def test_good_frame_passes() -> None:
    result = evaluate(metrics())
    assert result.ok and result.reasons == [] and result.instruction_zh == "" and result.message_key is None


@pytest.mark.parametrize(
    ("change", "issue", "text"),
    [
        ({"faces": 0, "box": None}, QualityIssue.NO_FACE, "请将脸部对准屏幕"),
        ({"faces": 2}, QualityIssue.MULTIPLE_FACES, "请保持画面中只有一人"),
        ({"box": (290.0, 210.0, 60.0, 60.0)}, QualityIssue.TOO_SMALL, "请靠近一点"),
        ({"box": (50.0, 0.0, 540.0, 480.0)}, QualityIssue.TOO_LARGE, "请离远一点"),
        ({"box": (10.0, 140.0, 200.0, 200.0)}, QualityIssue.NOT_CENTRED, "请将脸部移到框内"),
        ({"box": (-40.0, 140.0, 200.0, 200.0)}, QualityIssue.NOT_CENTRED, "请将脸部移到框内"),
        ({"yaw_deg": -25.0}, QualityIssue.NOT_FRONTAL, "请正对屏幕"),
        ({"brightness": 30.0}, QualityIssue.TOO_DARK, "光线太暗"),
        ({"brightness": 240.0}, QualityIssue.TOO_BRIGHT, "光线太亮"),
        ({"sharpness": 5.0}, QualityIssue.BLURRY, "请保持不动"),
    ],
)
def test_each_gate(change: dict[str, object], issue: QualityIssue, text: str) -> None:
    result = evaluate(metrics(**change))
    assert not result.ok
    assert result.issues == (issue,)
    assert result.reasons == [issue.value]
    assert result.instruction_zh == text
    assert result.message_key == f"face.quality.{issue.value}"


def test_issues_are_ordered_by_priority() -> None:
    result = evaluate(metrics(faces=2, brightness=20.0, sharpness=1.0, box=(300.0, 220.0, 50.0, 50.0)))
    assert result.reasons == ["multiple_faces", "too_small", "too_dark", "blurry"]
    assert result.instruction_zh == "请保持画面中只有一人"


def test_unknown_yaw_is_not_judged_and_thresholds_are_configurable() -> None:
    assert evaluate(metrics(yaw_deg=None)).ok
    strict = QualityThresholds(min_sharpness=500.0)
    assert evaluate(metrics(), strict).reasons == ["blurry"]


def test_face_filling_the_guide_oval_passes() -> None:
    cx, cy, rx, ry = guide_oval(640, 480)
    assert (cx, cy) == (320, 240) and ry > rx
    assert evaluate(metrics(box=(cx - rx, cy - rx, 2 * rx, 2 * rx))).ok
