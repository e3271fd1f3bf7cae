"""Shared fixtures: the evaluation faces (tests/data/faces, in the repository) and loaded models."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from drivers.camera.face_engine import FaceEngine
from drivers.camera.quality import FrameAnalyzer
from server.face.verifier import FaceVerifier, default_verifier

# In the repository, so a fresh clone runs these tests (tests/data/faces/SOURCE.md: origin, licence).
FACES_DIR = Path(__file__).resolve().parents[1] / "data" / "faces"


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    if not (FACES_DIR / "pairs.csv").is_file():
        pytest.fail(f"evaluation faces missing: expected {FACES_DIR / 'pairs.csv'} in the repository")
    return FACES_DIR


@pytest.fixture(scope="session")
def identities(faces_dir: Path) -> dict[str, str]:
    with open(faces_dir / "identities.csv", newline="") as fh:
        return {row["file"]: row["person"] for row in csv.DictReader(fh)}


@pytest.fixture(scope="session")
def engine() -> FaceEngine:
    return FaceEngine()


@pytest.fixture(scope="session")
def analyzer(engine: FaceEngine) -> FrameAnalyzer:
    return FrameAnalyzer(engine)


@pytest.fixture(scope="session")
def verifier() -> FaceVerifier:
    return default_verifier()
