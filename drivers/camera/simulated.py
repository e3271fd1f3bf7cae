"""The demo camera: plays a scene the demo dock switches at run time.

Scenes (``show(scene)``):

* ``"none"`` - an empty room (no face);
* ``"match:<key>"`` - the live person ``key`` of :data:`DEMO_FACES` (blinks, opens the mouth,
  turns left and right in a ~6 s loop, so any random pair of liveness challenges completes);
* ``"other"`` - a different live person (passes liveness, fails 1:1 verification);
* ``"still_photo"`` - a printed photo of the matching person held up and moved around (fails
  liveness);
* ``"portrait:<key>"`` - the person ``key`` keeping still, frontal, eyes open, in front of a plain
  light wall: passes the 社保卡 photo's rules (drivers.camera.photo_rules);
  ``"portrait:<key>:<fault>"`` fails one of them: ``busy`` (their own busy background),
  ``eyes_closed``, ``turned`` (the head turned aside), ``dark`` (a dim room);
* ``"qr:<payload>"`` - a phone showing a QR code of ``payload`` (a 电子社保卡 code), held at an
  angle and moved a little (:class:`drivers.camera.qr_synth.PhoneCode`); ``show_code(payload)``.

Fault injection: ``unplug()`` (next ``read()`` raises ``CameraError(DISCONNECTED)``) and
``replug()``. Frames are rendered on demand by :class:`drivers.camera.synth.FaceSynth` from
images shipped by scikit-image, paced at ``fps`` when ``realtime``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from drivers.camera.base import Camera, CameraError, CameraStatus
from drivers.camera.face_engine import FaceEngine
from drivers.camera.qr_synth import PhoneCode
from drivers.camera.synth import (
    FRAME_H,
    FRAME_W,
    FaceSynth,
    Pose,
    astronaut_bgr,
    lfw_face_bgr,
    live_script,
    plain_background,
    portrait_script,
    still_photo_script,
)

logger = logging.getLogger(__name__)

# Demo persons who have a face: key → source portrait. The server's demo photo for the same key
# comes from server.face.demo (an untouched crop of the same portrait).
DEMO_FACES: dict[str, Callable[[], np.ndarray]] = {"astronaut": astronaut_bgr}
OTHER_FACE: Callable[[], np.ndarray] = lfw_face_bgr
SCENES = ("none", "match:<key>", "other", "still_photo", "portrait:<key>[:<fault>]", "qr:<payload>")
# What each fault of a portrait scene holds throughout (drivers.camera.synth.Pose fields).
PORTRAIT_FAULTS: dict[str, dict[str, float]] = {
    "busy": {},
    "eyes_closed": {"eyes": 1.0},
    "turned": {"yaw_deg": 30.0},
    "dark": {"light": 0.28},
}
PORTRAIT_FACE_FRACTION = 0.27  # a little farther than for the face check: head and shoulders in frame


class SimulatedCamera(Camera):
    """A camera whose scene the demo dock sets; thread-safe ``show``/``unplug``."""

    def __init__(
        self, fps: float = 25.0, realtime: bool = True, scene: str = "none", engine: FaceEngine | None = None
    ) -> None:
        self.name = "simulated"
        self.fps = fps
        self.realtime = realtime
        self._engine = engine
        self._lock = threading.Lock()
        self._synths: dict[str, FaceSynth] = {}
        self._scene = ""
        self._poses: list[Pose] = []
        self._synth: FaceSynth | None = None
        self._phone: PhoneCode | None = None
        self._index = 0
        self._opened = False
        self._unplugged = False
        self._next_due = 0.0
        self.show(scene)

    @property
    def scene(self) -> str:
        return self._scene

    def show(self, scene: str) -> None:
        """Switch scene; raises ValueError for an unknown scene or demo face key, or a payload no QR code holds."""
        phone = None
        if scene.startswith("qr:"):
            synth, poses, phone = None, [], PhoneCode(scene.split(":", 1)[1])
        elif scene == "none":
            synth, poses = None, []
        elif scene.startswith("match:"):
            key = scene.split(":", 1)[1]
            if key not in DEMO_FACES:
                raise ValueError(f"no demo face {key!r}; known: {sorted(DEMO_FACES)}")
            synth, poses = self._synth_for(key, DEMO_FACES[key]), live_script(self.fps)
        elif scene.startswith("portrait:"):
            synth, poses = self._portrait(scene)
        elif scene == "other":
            synth, poses = self._synth_for("(other)", OTHER_FACE), live_script(self.fps)
        elif scene == "still_photo":
            key = next(iter(DEMO_FACES))  # a photo of the first demo person
            synth, poses = self._synth_for(key, DEMO_FACES[key]), still_photo_script(self.fps)
        else:
            raise ValueError(f"unknown camera scene {scene!r}; known: {SCENES}")
        with self._lock:
            self._scene, self._synth, self._poses, self._phone, self._index = scene, synth, poses, phone, 0
        # A code is a credential: the log names the scene, never the payload.
        logger.info("simulated camera shows %s", "a QR code" if phone is not None else scene)

    def show_code(self, payload: str) -> None:
        """A phone showing a QR code of ``payload`` (e.g. a 电子社保卡 code) in front of the camera."""
        self.show(f"qr:{payload}")

    def _synth_for(self, key: str, loader: Callable[[], np.ndarray], face_fraction: float = 0.34) -> FaceSynth:
        if key not in self._synths:
            self._synths[key] = FaceSynth(loader(), self._engine, face_fraction=face_fraction)
        return self._synths[key]

    def _portrait(self, scene: str) -> tuple[FaceSynth, list[Pose]]:
        _, key, *rest = scene.split(":")
        fault = rest[0] if rest else ""
        if key not in DEMO_FACES or len(rest) > 1 or (fault and fault not in PORTRAIT_FAULTS):
            raise ValueError(
                f"no portrait scene {scene!r}; faces {sorted(DEMO_FACES)}, faults {sorted(PORTRAIT_FAULTS)}"
            )
        loader = DEMO_FACES[key]
        if fault == "busy":  # the person where they stand, whatever is behind them
            synth = self._synth_for(f"(busy) {key}", loader, PORTRAIT_FACE_FRACTION)
        else:
            engine = self._engine

            def plain() -> np.ndarray:
                return plain_background(loader(), engine)

            synth = self._synth_for(f"(portrait) {key}", plain, PORTRAIT_FACE_FRACTION)
        return synth, portrait_script(self.fps, **PORTRAIT_FAULTS.get(fault, {}))

    def unplug(self) -> None:
        with self._lock:
            self._unplugged = True

    def replug(self) -> None:
        with self._lock:
            self._unplugged = False

    def open(self) -> None:
        with self._lock:
            if self._unplugged:
                raise CameraError(CameraStatus.NO_DEVICE, "simulated camera unplugged")
            self._opened = True
            self._next_due = time.monotonic()

    def read(self) -> np.ndarray:
        with self._lock:
            if self._unplugged:
                raise CameraError(CameraStatus.DISCONNECTED, "simulated camera unplugged")
            if not self._opened:
                raise CameraError(CameraStatus.ERROR, "simulated camera not open")
            synth, poses, phone, index = self._synth, self._poses, self._phone, self._index
            pose = poses[index % len(poses)] if poses else None
            self._index += 1
            delay = self._next_due - time.monotonic() if self.realtime else 0.0
            self._next_due = max(self._next_due, time.monotonic() - 1.0) + 1.0 / self.fps
        if delay > 0:
            time.sleep(delay)
        if phone is not None:
            return phone.render(index, self.fps)
        if synth is None or pose is None:
            return _empty_room()
        return synth.render(pose)

    def status(self) -> CameraStatus:
        with self._lock:
            if self._unplugged:
                return CameraStatus.DISCONNECTED if self._opened else CameraStatus.NO_DEVICE
            return CameraStatus.READY if self._opened else CameraStatus.NO_DEVICE

    def close(self) -> None:
        with self._lock:
            self._opened = False


def _empty_room() -> np.ndarray:
    """A plain wall with a little sensor noise."""
    rng = np.random.default_rng()
    base = np.full((FRAME_H, FRAME_W, 3), (176, 186, 190), dtype=np.int16)
    return np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.uint8)
