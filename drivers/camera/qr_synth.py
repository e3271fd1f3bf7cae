"""Synthetic camera frames of a phone showing a QR code (the demo camera's ``qr:<payload>`` scene).

:class:`PhoneCode` draws the code with OpenCV's own ``cv2.QRCodeEncoder`` on a white phone screen
in a dark body, then renders each frame as a hand would hold it in front of the terminal: tilted
and turned a little, swaying slowly (a ~4 s loop), with sensor noise on a plain wall.
"""

from __future__ import annotations

import logging
import math

import cv2
import numpy as np

from drivers.camera.synth import FRAME_H, FRAME_W

logger = logging.getLogger(__name__)

WALL_BGR = (176, 186, 190)
MODULE_PX = 8  # of the phone image before it is warped into the frame
QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks


def qr_modules(payload: str) -> np.ndarray:
    """The code as a uint8 image, one pixel per module (0 dark, 255 light), without a quiet zone.

    Raises ValueError when OpenCV cannot encode ``payload`` (empty, or too long for a QR code).
    """
    if not payload:
        raise ValueError("a QR code needs a payload")
    try:
        image = cv2.QRCodeEncoder.create(cv2.QRCodeEncoder.Params()).encode(payload)
    except cv2.error as exc:
        raise ValueError(f"cannot encode a QR code of {len(payload)} characters") from exc
    if image is None or image.size == 0:
        raise ValueError(f"cannot encode a QR code of {len(payload)} characters")
    return image


class PhoneCode:
    """Frames of a phone showing ``payload``; ``render(index, fps)`` is frame ``index`` of the loop."""

    def __init__(self, payload: str, seed: int = 7) -> None:
        modules = qr_modules(payload)
        code = cv2.resize(modules, None, fx=MODULE_PX, fy=MODULE_PX, interpolation=cv2.INTER_NEAREST)
        side = code.shape[0] + 2 * QUIET_ZONE * MODULE_PX
        # A phone's outline: dark body, white screen, the code in the screen's upper half.
        width, height = int(side * 1.25), int(side * 2.1)
        phone = np.full((height, width), 28, dtype=np.uint8)
        bezel = side // 16
        phone[bezel : height - bezel, bezel : width - bezel] = 245
        top, left = int(height * 0.18), (width - code.shape[0]) // 2
        phone[top : top + code.shape[0], left : left + code.shape[1]] = code
        self._phone = cv2.cvtColor(phone, cv2.COLOR_GRAY2BGR)
        self._rng = np.random.default_rng(seed)

    def render(self, index: int, fps: float = 25.0) -> np.ndarray:
        """One 640×480 BGR frame: the phone held at an angle, moved a little from frame to frame."""
        t = index / fps
        phase = 2 * math.pi * t / 4.0
        roll = math.radians(12 + 6 * math.sin(phase))  # turned in the plane of the screen
        tilt = 0.12 + 0.05 * math.sin(phase * 0.5)  # top edge further away than the bottom
        centre = (FRAME_W / 2 + 25 * math.sin(phase), FRAME_H / 2 + 10 * math.cos(phase))
        ph, pw = self._phone.shape[:2]
        scale = 0.85 * FRAME_H / ph
        corners = np.array([[-pw / 2, -ph / 2], [pw / 2, -ph / 2], [pw / 2, ph / 2], [-pw / 2, ph / 2]]) * scale
        corners[:2, 0] *= 1 - tilt
        rotation = np.array([[math.cos(roll), -math.sin(roll)], [math.sin(roll), math.cos(roll)]])
        target = (corners @ rotation.T + centre).astype(np.float32)
        source = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
        matrix = cv2.getPerspectiveTransform(source, target)
        frame = np.full((FRAME_H, FRAME_W, 3), WALL_BGR, dtype=np.uint8)
        cv2.warpPerspective(
            self._phone,
            matrix,
            (FRAME_W, FRAME_H),
            dst=frame,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_TRANSPARENT,
        )
        noise = self._rng.normal(0, 3, frame.shape)
        return np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8)
