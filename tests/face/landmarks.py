"""Synthetic iBUG 68-point landmark sets for liveness tests (no cv2, no models)."""

from __future__ import annotations

import math

import numpy as np


def face_landmarks(
    eyes_open: float = 1.0,
    mouth_open: float = 0.0,
    yaw_deg: float = 0.0,
    scale: float = 1.0,
    angle_deg: float = 0.0,
    shift: tuple[float, float] = (0.0, 0.0),
    squash_y: float = 1.0,
) -> np.ndarray:
    """A frontal face ~200 px wide centred at (320, 240).

    ``eyes_open`` 1 open .. 0 closed; ``mouth_open`` 0 closed .. 1 wide; ``yaw_deg`` turns the head
    (positive = the person's own left = image right) on a cylinder model; ``scale``/``angle_deg``/
    ``shift`` move the whole set like a photo moved in the image plane; ``squash_y`` compresses it
    vertically like a photo tilted away from the camera.
    """
    r = 100.0
    pts = np.zeros((68, 3))  # x, y, on-face flag (0 = jaw silhouette)
    for i in range(17):  # jaw: image-left ear → chin → image-right ear
        t = (i - 8) / 8.0
        pts[i] = (t * r, 110 - 130 * t * t, 0)
    for i in range(5):  # eyebrows
        pts[17 + i] = (-75 + 12 * i, -45, 1)
        pts[22 + i] = (27 + 12 * i, -45, 1)
    for i in range(4):  # nose bridge 27-30 (30 = tip)
        pts[27 + i] = (0, -25 + 15 * i, 1 + 0.25 * i)
    for i in range(5):  # nostrils 31-35
        pts[31 + i] = (-16 + 8 * i, 28, 1.1)
    h = 9.0 * eyes_open
    for base, cx in ((36, -45.0), (42, 45.0)):
        eye = [(-18, 0), (-7, -h), (7, -h), (18, 0), (7, h), (-7, h)]
        for k, (ex, ey) in enumerate(eye):
            pts[base + k] = (cx + ex, -20 + ey, 1)
    m = 30.0 * mouth_open
    outer = [
        (-30, 60),
        (-20, 55),
        (-8, 52),
        (0, 53),
        (8, 52),
        (20, 55),
        (30, 60),
        (20, 68 + m),
        (8, 71 + m),
        (0, 72 + m),
        (-8, 71 + m),
        (-20, 68 + m),
    ]
    for k, p in enumerate(outer):
        pts[48 + k] = (*p, 1)
    inner = [(-24, 60), (-8, 58), (0, 58), (8, 58), (24, 60), (8, 61 + m), (0, 61 + m), (-8, 61 + m)]
    for k, p in enumerate(inner):
        pts[60 + k] = (*p, 1)
    # Yaw: points on the face surface (flag 1) rotate on the cylinder; the jaw outline (flag 0)
    # is the silhouette and stays where it is.
    out = np.zeros((68, 2))
    yaw = math.radians(yaw_deg)
    for i, (x, y, on_face) in enumerate(pts):
        if on_face:
            theta = math.asin(max(-1.0, min(1.0, x / r)))
            x = r * math.sin(theta + yaw)
        out[i] = (x, y * squash_y)
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    rot = np.array([[c, -s], [s, c]])
    return (out @ rot.T) * scale + np.array([320.0 + shift[0], 240.0 + shift[1]])
