"""drivers.camera.qr on synthetic camera frames: a code drawn by the ``qrcode`` package on a phone
screen, turned, tilted, scaled and noisy, is read; a frame without a code, or with a payload that
is not printable ASCII, gives None."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import qrcode

from common.esscard import new_code
from drivers.camera.qr import QrDecoder, decode_qr

W, H = 640, 480


def phone_with_code(payload: str, box: int = 8) -> np.ndarray:
    """A phone (dark body, white screen) showing ``payload`` as a QR code, grayscale."""
    code = qrcode.QRCode(border=4, box_size=box, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    image = np.array(code.make_image().convert("L"), dtype=np.uint8)
    side = image.shape[0]
    phone = np.full((int(side * 1.9), int(side * 1.2)), 30, dtype=np.uint8)
    top, left = (phone.shape[0] - side) // 3, (phone.shape[1] - side) // 2
    phone[top - 10 : top + side + 10, left - 5 : left + side + 5] = 240
    phone[top : top + side, left : left + side] = image
    return phone


def in_frame(
    phone: np.ndarray, roll_deg: float = 0.0, height: float = 0.6, tilt: float = 0.0, noise: float = 5.0, seed: int = 0
) -> np.ndarray:
    """The phone in a 640×480 BGR frame: turned by ``roll_deg``, ``height`` of the frame tall, its top
    edge ``tilt`` narrower (held leaning back), with Gaussian sensor noise on a wall."""
    ph, pw = phone.shape
    corners = (np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], dtype=np.float64) - [pw / 2, ph / 2]) * (height * H / ph)
    corners[:2, 0] *= 1 - tilt
    a = math.radians(roll_deg)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    target = (corners @ rotation.T + [W / 2, H / 2]).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]]), target)
    frame = np.full((H, W, 3), (176, 186, 190), dtype=np.uint8)
    cv2.warpPerspective(
        cv2.cvtColor(phone, cv2.COLOR_GRAY2BGR), matrix, (W, H), dst=frame, borderMode=cv2.BORDER_TRANSPARENT
    )
    rng = np.random.default_rng(seed)
    return np.clip(frame.astype(np.int16) + rng.normal(0, noise, frame.shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def decoder() -> QrDecoder:
    return QrDecoder()


@pytest.mark.parametrize(
    ("roll_deg", "height", "tilt", "noise"),
    [
        (0, 0.6, 0.0, 3),
        (20, 0.8, 0.15, 6),
        (-35, 0.5, 0.25, 6),
        (45, 0.7, 0.3, 8),
        (90, 0.4, 0.1, 5),
        (170, 0.9, 0.2, 6),
        (-60, 0.35, 0.2, 6),  # a small code, far away: found only after enlarging its region
    ],
)
def test_a_code_on_a_phone_held_at_an_angle_is_read(
    decoder: QrDecoder, roll_deg: float, height: float, tilt: float, noise: float
) -> None:
    code = new_code()
    frame = in_frame(phone_with_code(code), roll_deg, height, tilt, noise, seed=int(roll_deg) + 100)
    assert decoder.decode(frame) == code


def test_many_random_poses_are_read(decoder: QrDecoder) -> None:
    rng = np.random.default_rng(2024)
    misses = []
    for i in range(40):
        code = new_code()
        pose = (rng.uniform(-60, 60), rng.uniform(0.4, 0.9), rng.uniform(0, 0.3), rng.uniform(2, 8))
        if decoder.decode(in_frame(phone_with_code(code), *pose, seed=i)) != code:
            misses.append(pose)
    assert misses == []


def test_a_blurred_code_and_a_gray_frame_are_read(decoder: QrDecoder) -> None:
    code = new_code()
    frame = cv2.GaussianBlur(in_frame(phone_with_code(code), 15, 0.7, 0.1), (5, 5), 0)
    assert decoder.decode(frame) == code
    assert decoder.decode(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)) == code


def test_frames_without_a_code_give_none(decoder: QrDecoder) -> None:
    rng = np.random.default_rng(7)
    wall = np.clip(np.full((H, W, 3), 180, np.int16) + rng.normal(0, 3, (H, W, 3)), 0, 255).astype(np.uint8)
    assert decoder.decode(wall) is None
    cluttered = wall.copy()
    for _ in range(40):
        x, y = (int(v) for v in rng.integers(0, 600, 2))
        w, h = (int(v) for v in rng.integers(5, 80, 2))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(cluttered, (x, y % H), (x + w, (y % H) + h), colour, -1)
    assert decoder.decode(cluttered) is None
    assert decoder.decode(np.zeros((H, W, 3), np.uint8)) is None
    assert decode_qr(np.full((4, 4, 3), 255, np.uint8)) is None  # tiny frames are no error either


@pytest.mark.parametrize("payload", ["电子社保卡ESSC1", "Zürich-Ausweis", "ESSC1-\x07BELL", "tab\there"])
def test_a_payload_that_is_not_printable_ascii_is_refused(decoder: QrDecoder, payload: str) -> None:
    frame = in_frame(phone_with_code(payload), 10, 0.7, 0.0, 3)
    # Readable as a QR code (so the refusal is the payload's, not the detector's) ...
    assert cv2.QRCodeDetector().detectAndDecode(frame)[1] is not None
    # ... but not handed on.
    assert decoder.decode(frame) is None


def test_a_frame_of_the_wrong_kind_is_a_programming_error(decoder: QrDecoder) -> None:
    with pytest.raises(ValueError, match="uint8"):
        decoder.decode(np.zeros((H, W, 3), np.float32))
    with pytest.raises(ValueError, match="BGR"):
        decoder.decode(np.zeros((H, W, 4), np.uint8))
