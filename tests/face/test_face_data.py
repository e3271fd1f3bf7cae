"""The evaluation faces live in the repository, complete, small and with their origin stated.

A fresh clone must run every face test and ``scripts/eval_faces.py`` without any folder beside
the repository (they once read one, and failed on every clone but the original checkout).
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2

from tests.face.conftest import FACES_DIR

REPO = Path(__file__).resolve().parents[2]
# The copies are downscaled (SOURCE.md); a larger image would mean an original slipped back in.
MAX_SIDE = 640
MAX_TOTAL_BYTES = 2 * 1024 * 1024


def _named_files(faces_dir: Path) -> set[str]:
    names: set[str] = set()
    with open(faces_dir / "pairs.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            names.update((row["file_x"], row["file_y"]))
    with open(faces_dir / "identities.csv", newline="") as fh:
        names.update(row["file"] for row in csv.DictReader(fh))
    return names


def test_face_data_is_inside_the_repository(faces_dir: Path) -> None:
    assert faces_dir == FACES_DIR
    assert faces_dir.resolve().is_relative_to(REPO)


def test_every_named_image_exists_and_decodes(faces_dir: Path) -> None:
    names = _named_files(faces_dir)
    assert len(names) >= 30
    missing = sorted(name for name in names if not (faces_dir / name).is_file())
    assert missing == []
    for name in sorted(names):
        image = cv2.imread(str(faces_dir / name))
        assert image is not None, name
        assert max(image.shape[:2]) <= MAX_SIDE, name


def test_face_data_is_small_and_its_source_stated(faces_dir: Path) -> None:
    total = sum(path.stat().st_size for path in faces_dir.iterdir() if path.is_file())
    assert total <= MAX_TOTAL_BYTES
    source = (faces_dir / "SOURCE.md").read_text(encoding="utf-8")
    for needed in ("deepface", "Sefik Ilkin Serengil", "face_recognition", "Adam Geitgey", "MIT", "downscaled"):
        assert needed in source
    assert "Permission is hereby granted, free of charge" in source


def test_eval_faces_defaults_to_the_in_repository_copy() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("eval_faces", REPO / "scripts" / "eval_faces.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert Path(module.FACES_DIR).resolve() == FACES_DIR.resolve()
