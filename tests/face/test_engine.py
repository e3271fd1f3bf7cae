"""Detection, landmarks and embeddings of the real models on the shared evaluation faces."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from drivers.camera.face_engine import FaceEngine
from drivers.camera.quality import FrameAnalyzer


def load(faces_dir: Path, name: str) -> np.ndarray:
    image = cv2.imread(str(faces_dir / name))
    assert image is not None, name
    scale = 1024 / max(image.shape[:2])
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image


def test_detects_one_face_in_each_single_portrait(
    engine: FaceEngine, faces_dir: Path, identities: dict[str, str]
) -> None:
    singles = [name for name, person in identities.items() if not person.startswith("(")]
    missed = [name for name in singles if len(engine.detect(load(faces_dir, name))) != 1]
    assert missed == []


def test_two_people_and_landmarks(engine: FaceEngine, faces_dir: Path) -> None:
    image = load(faces_dir, "fr_two_people.jpg")
    boxes = engine.detect(image)
    assert len(boxes) == 2 and boxes[0].area >= boxes[1].area
    pts = engine.landmarks(image, boxes[0])
    assert pts.shape == (68, 2)
    b = boxes[0]
    inside = (pts[:, 0] > b.x - b.w * 0.3) & (pts[:, 0] < b.x + b.w * 1.3)
    assert inside.all()


def test_embeddings_same_vs_different(engine: FaceEngine, faces_dir: Path) -> None:
    def emb(name: str) -> np.ndarray:
        image = load(faces_dir, name)
        return engine.embedding(image, engine.detect(image)[0])

    a, b, other = emb("fr_obama_1.jpg"), emb("fr_obama_2.jpg"), emb("fr_biden_1.jpg")
    assert a.shape == (128,)
    assert np.linalg.norm(a - b) < 0.55 < np.linalg.norm(a - other)


def test_analyzer_gates_on_real_photos(analyzer: FrameAnalyzer, faces_dir: Path) -> None:
    two = analyzer.analyze(load(faces_dir, "fr_two_people.jpg"))
    assert two.metrics.faces == 2 and "multiple_faces" in two.quality.reasons
    partial = analyzer.analyze(load(faces_dir, "fr_obama_partial.jpg"))
    assert "not_centred" in partial.quality.reasons
    empty = analyzer.analyze(np.full((480, 640, 3), 128, np.uint8))
    assert empty.metrics.faces == 0 and empty.quality.reasons == ["no_face"] and empty.landmarks is None
