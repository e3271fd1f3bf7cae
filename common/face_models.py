"""Locate the dlib model files shipped by the ``face-recognition-models`` PyPI package.

Nothing is downloaded at run time: the files come with the package (pip install
face-recognition-models==0.3.0). The package's own ``__init__`` imports the deprecated
``pkg_resources``, so the directory is found through importlib's spec without importing it.
Plain Python (no dlib import), so the terminal's face engine (drivers/camera) and the server's
verifier (server/face) share it.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

logger = logging.getLogger(__name__)

PACKAGE = "face_recognition_models"
SHAPE_68 = "shape_predictor_68_face_landmarks.dat"
SHAPE_5 = "shape_predictor_5_face_landmarks.dat"
RESNET = "dlib_face_recognition_resnet_model_v1.dat"


class FaceModelsMissing(RuntimeError):
    """The model package is not installed (a set-up problem, not a resident's one)."""


def model_path(filename: str) -> Path:
    """Absolute path of one model file; raises :class:`FaceModelsMissing` naming the fix."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelsMissing(f"{PACKAGE} is not installed: pip install face-recognition-models==0.3.0")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / filename
    if not path.is_file():
        raise FaceModelsMissing(f"model file {path} missing: reinstall face-recognition-models==0.3.0")
    return path
