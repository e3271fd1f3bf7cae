"""Synthetic "live" camera frames from a single photo, for the demo camera and the evaluation.

Only images shipped inside registry packages are used: scikit-image's ``data.astronaut()`` (a
real portrait, the demo's matching person) and a face of ``data.lfw_subset()`` (25×25 LFW crops,
upscaled and sharpened; the demo's "other person" - the only other real face shipped in the
installed packages).

:class:`FaceSynth` finds the face and its 68 landmarks once, then renders 640×480 frames for a
:class:`Pose`: framing (shift, scale, in-plane rotation), light, and three local warps driven by
the landmarks - eyelids squashed towards the eye's centre line (blink), the lower face pulled
down with a dark opening between the lips (open mouth), and a cylindrical re-projection of the
head (yaw: the nose moves towards one cheek while the jaw outline stays). The real detector and
landmark predictor then measure these frames, so liveness is exercised end to end.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from drivers.camera.face_engine import FaceEngine

logger = logging.getLogger(__name__)

FRAME_W, FRAME_H = 640, 480


@dataclass(frozen=True)
class Pose:
    """One rendered frame's state. ``eyes``/``mouth`` 0 = neutral .. 1 = closed / wide open."""

    dx: float = 0.0  # shift in frame pixels
    dy: float = 0.0
    scale: float = 1.0  # relative to the default framing
    roll_deg: float = 0.0  # in-plane rotation
    light: float = 1.0  # multiplies the pixel values
    eyes: float = 0.0
    mouth: float = 0.0
    yaw_deg: float = 0.0  # positive = the person turns to their own left (image right)
    noise: float = 2.0  # sensor noise sigma


def astronaut_bgr() -> np.ndarray:
    from skimage import data  # imported here: only the demo and the evaluation need scikit-image

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def lfw_face_bgr(index: int = 93) -> np.ndarray:
    """An LFW face (one of the first 100 of ``lfw_subset``) upscaled to a usable portrait."""
    from skimage import data

    small = data.lfw_subset()[index]
    small = (small * 255).astype(np.uint8) if small.dtype != np.uint8 else small
    big = cv2.resize(small, (220, 220), interpolation=cv2.INTER_CUBIC)
    blur = cv2.GaussianBlur(big, (0, 0), 3)
    big = cv2.addWeighted(big, 3.0, blur, -2.0, 0)  # unsharp mask: upscaling left it very soft
    big = cv2.copyMakeBorder(big, 90, 90, 110, 110, cv2.BORDER_REPLICATE)
    return cv2.cvtColor(big, cv2.COLOR_GRAY2BGR)


LIGHT_WALL = (238, 236, 232)  # BGR: the pale grey of a photo booth's backdrop


def plain_background(image: np.ndarray, engine: FaceEngine | None = None) -> np.ndarray:
    """``image`` with everything but the person (head, neck, shoulders) painted a plain light wall.

    The person is found from the 68 landmarks: an ellipse over the head and hair, and a trapezoid
    of the neck and shoulders down to the bottom edge, feathered so no seam reads as an edge."""
    engine = engine or FaceEngine(upsample=1)
    boxes = engine.detect(image)
    if not boxes:
        raise ValueError("no face in the source image")
    pts = engine.landmarks(image, boxes[0])
    width = float(pts[16, 0] - pts[0, 0])
    cx, chin, brows = float(pts[[0, 16], 0].mean()), float(pts[8, 1]), float(pts[17:27, 1].min())
    mask = np.zeros(image.shape[:2], np.uint8)
    centre = (int(round(cx)), int(round(brows + 0.28 * width)))
    cv2.ellipse(mask, centre, (int(0.70 * width), int(0.92 * width)), 0, 0, 360, 255, -1)
    bottom = image.shape[0]
    shoulders = [
        (cx - 0.27 * width, chin),
        (cx + 0.27 * width, chin),
        (cx + 0.45 * width, chin + 0.4 * width),
        (cx + 1.5 * width, chin + 0.8 * width),
        (cx + 1.9 * width, bottom),
        (cx - 1.9 * width, bottom),
        (cx - 1.5 * width, chin + 0.8 * width),
        (cx - 0.45 * width, chin + 0.4 * width),
    ]
    cv2.fillPoly(mask, [np.array(shoulders, np.int32)], 255)
    alpha = (cv2.GaussianBlur(mask, (0, 0), 3).astype(np.float32) / 255.0)[..., None]
    wall = np.empty_like(image)
    wall[:] = LIGHT_WALL
    return (image * alpha + wall * (1.0 - alpha)).astype(np.uint8)


class FaceSynth:
    """Renders posed 640×480 frames of the single face in ``image`` (BGR)."""

    def __init__(
        self, image: np.ndarray, engine: FaceEngine | None = None, face_fraction: float = 0.34, seed: int = 0
    ) -> None:
        engine = engine or FaceEngine(upsample=1)
        boxes = engine.detect(image)
        if not boxes:
            raise ValueError("no face in the source image")
        self.image = image
        self.box = boxes[0]
        self.pts = engine.landmarks(image, self.box).astype(np.float64)
        self.face_fraction = face_fraction
        self._rng = np.random.default_rng(seed)
        self._grid = np.mgrid[0 : image.shape[0], 0 : image.shape[1]].astype(np.float32)

    # ------------------------------------------------------------------ local warps (source space)
    def _blink(self, img: np.ndarray, amount: float) -> np.ndarray:
        ys, xs = self._grid
        map_y = ys.copy()
        for idx in (range(36, 42), range(42, 48)):
            eye = self.pts[list(idx)]
            cx, cy = eye[:, 0].mean(), eye[:, 1].mean()
            half_w = (eye[:, 0].max() - eye[:, 0].min()) * 0.8
            half_h = max(4.0, (eye[:, 1].max() - eye[:, 1].min()) * 1.6)
            # Weight 1 on the eye, falling smoothly to 0 at the ellipse border.
            r = ((xs - cx) / half_w) ** 2 + ((ys - cy) / half_h) ** 2
            w = np.clip(1.0 - r, 0.0, 1.0) ** 0.5
            # Sample farther from the centre line: the lids' skin slides over the eye.
            map_y += (w * amount * 0.85 * (ys - cy) * 3.0).astype(np.float32)
        return cv2.remap(img, self._grid[1], map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    def _open_mouth(self, img: np.ndarray, amount: float) -> np.ndarray:
        ys, xs = self._grid
        mouth = self.pts[48:68]
        inner_top = self.pts[[61, 62, 63], 1].mean()
        inner_bottom = self.pts[[65, 66, 67], 1].mean()
        split = (inner_top + inner_bottom) / 2
        cx = mouth[:, 0].mean()
        half_w = (mouth[:, 0].max() - mouth[:, 0].min()) * 1.4
        chin_y = self.pts[8, 1]
        drop = amount * (chin_y - split) * 0.45
        wx = np.clip(1.0 - ((xs - cx) / half_w) ** 2, 0.0, 1.0)
        # Below the lips everything moves down by `drop`, fading out past the chin.
        below = np.clip((ys - split) / 3.0, 0.0, 1.0) * np.clip(
            1.0 - (ys - chin_y) / (0.6 * (chin_y - split) + 1), 0.0, 1.0
        )
        map_y = (ys - drop * wx * below).astype(np.float32)
        out = cv2.remap(img, self._grid[1], map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        if drop >= 2:
            width = (self.pts[64, 0] - self.pts[60, 0]) * 0.5
            centre = (int(round(cx)), int(round(split + drop / 2)))
            axes = (max(2, int(width)), max(1, int(drop / 2)))
            cv2.ellipse(out, centre, axes, 0, 0, 360, (25, 20, 45), -1, cv2.LINE_AA)
        return out

    def _yaw(self, img: np.ndarray, yaw_deg: float) -> np.ndarray:
        ys, xs = self._grid
        cx = (self.pts[0, 0] + self.pts[16, 0]) / 2
        radius = (self.pts[16, 0] - self.pts[0, 0]) / 2 * 1.15
        top = self.pts[19:25, 1].min() - 0.6 * radius
        bottom = self.pts[8, 1] + 0.25 * radius
        u = np.clip((xs - cx) / radius, -0.999, 0.999)
        theta = np.arcsin(u) - math.radians(yaw_deg)
        src_x = cx + radius * np.sin(np.clip(theta, -math.pi / 2, math.pi / 2))
        # Confine the turn to the head; fade out above the forehead and below the chin.
        wy = np.clip(np.minimum(ys - top, bottom - ys) / (0.3 * radius), 0.0, 1.0)
        wx = np.clip((1.0 - np.abs(u)) / 0.1, 0.0, 1.0)
        w = wx * wy
        map_x = (xs * (1 - w) + src_x * w).astype(np.float32)
        return cv2.remap(img, map_x, self._grid[0], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    # ------------------------------------------------------------------ frame
    def render(self, pose: Pose) -> np.ndarray:
        """A 640×480 BGR frame of the face in ``pose``."""
        img = self.image
        if pose.eyes > 0:
            img = self._blink(img, pose.eyes)
        if pose.mouth > 0:
            img = self._open_mouth(img, pose.mouth)
        if pose.yaw_deg:
            img = self._yaw(img, pose.yaw_deg)
        face_w = self.pts[16, 0] - self.pts[0, 0]
        scale = FRAME_W * self.face_fraction / max(1.0, face_w) * pose.scale
        centre = (float(self.pts[:, 0].mean()), float(self.pts[:, 1].mean()))
        m = cv2.getRotationMatrix2D(centre, pose.roll_deg, scale)
        m[0, 2] += FRAME_W / 2 + pose.dx - centre[0]
        m[1, 2] += FRAME_H / 2 + pose.dy - centre[1]
        frame = cv2.warpAffine(img, m, (FRAME_W, FRAME_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        if pose.light != 1.0 or pose.noise > 0:
            f = frame.astype(np.float32) * pose.light
            if pose.noise > 0:
                f += self._rng.normal(0.0, pose.noise, f.shape).astype(np.float32)
            frame = np.clip(f, 0, 255).astype(np.uint8)
        return frame


# ---------------------------------------------------------------------- pose scripts


def _ramp(n: int, **peak: float) -> list[dict[str, float]]:
    """n poses going 0 → peak → 0 (a raised cosine)."""
    return [{k: v * math.sin(math.pi * (i + 1) / (n + 1)) for k, v in peak.items()} for i in range(n)]


def _hold(n: int, ramp: int, **peak: float) -> list[dict[str, float]]:
    up = [{k: v * (i + 1) / ramp for k, v in peak.items()} for i in range(ramp)]
    return up + [dict(peak)] * n + list(reversed(up[:-1])) + [{}]


def live_script(fps: float = 25.0) -> list[Pose]:
    """About 6 s of a live person: idle sway, a blink, mouth open, turns left and right, in a loop.

    Every challenge occurs within one loop, so any random pair completes within its time limit.
    """

    def idle(n: int) -> list[dict[str, float]]:
        return [{} for _ in range(n)]

    segments: list[dict[str, float]] = []
    segments += idle(int(0.8 * fps))
    segments += _ramp(5, eyes=1.0)
    segments += idle(int(0.6 * fps))
    segments += _hold(int(0.4 * fps), 4, mouth=1.0)
    segments += idle(int(0.6 * fps))
    segments += _hold(int(0.3 * fps), 6, yaw_deg=35.0)
    segments += idle(int(0.5 * fps))
    segments += _hold(int(0.3 * fps), 6, yaw_deg=-35.0)
    segments += idle(int(0.5 * fps))
    poses = []
    for i, delta in enumerate(segments):
        t = i / fps
        sway = Pose(
            dx=6 * math.sin(t * 1.3),
            dy=4 * math.sin(t * 0.9 + 1),
            scale=1 + 0.02 * math.sin(t * 0.7),
            roll_deg=2 * math.sin(t * 0.5),
            light=1 + 0.04 * math.sin(t * 0.4),
        )
        poses.append(replace(sway, **delta))
    return poses


def still_photo_script(fps: float = 25.0, seconds: float = 6.0) -> list[Pose]:
    """A photo held up and moved around: shift, scale, rotation; nothing on the face changes."""
    poses = []
    for i in range(int(fps * seconds)):
        t = i / fps
        poses.append(
            Pose(
                dx=25 * math.sin(t * 1.1),
                dy=15 * math.sin(t * 0.8),
                scale=1 + 0.08 * math.sin(t * 0.6),
                roll_deg=6 * math.sin(t * 0.9),
                light=1.05,
                noise=2.0,
            )
        )
    return poses


def portrait_script(fps: float = 25.0, seconds: float = 4.0, **hold: float) -> list[Pose]:
    """A resident keeping still for the 社保卡 photo: a slight sway only; ``hold`` (e.g. ``eyes=1``,
    ``yaw_deg=30``, ``light=0.3``) is kept throughout, to fail one of the photo's rules."""
    poses = []
    for i in range(int(fps * seconds)):
        t = i / fps
        sway = Pose(dx=2 * math.sin(t * 1.1), dy=1.5 * math.sin(t * 0.8 + 1), roll_deg=0.5 * math.sin(t * 0.6))
        poses.append(replace(sway, **hold))
    return poses


def eyes_closed_script(fps: float = 25.0, closed_frames: int = 6, seconds: float = 3.0) -> list[Pose]:
    """Open eyes, then eyes closed for ``closed_frames`` frames, then open again (a slow blink)."""
    n = int(fps * seconds)
    start = n // 2 - closed_frames // 2
    return [Pose(eyes=1.0 if start <= i < start + closed_frames else 0.0) for i in range(n)]
