"""Frame sources and their faults: unplugging gives a typed error, never a crash or a None."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from drivers.camera.base import CameraError, CameraStatus
from drivers.camera.opencv_camera import OpenCvCamera
from drivers.camera.sequence import ImageSequenceCamera
from drivers.camera.simulated import SimulatedCamera
from kiosk.errors import KioskError


def frames(n: int) -> list[np.ndarray]:
    return [np.full((48, 64, 3), i * 10, np.uint8) for i in range(n)]


def test_sequence_plays_loops_and_unplugs() -> None:
    cam = ImageSequenceCamera(frames(3), loop=True)
    assert cam.status() is CameraStatus.NO_DEVICE
    with cam:
        assert cam.status() is CameraStatus.READY
        values = [int(cam.read()[0, 0, 0]) for _ in range(4)]
        assert values == [0, 10, 20, 0]
        cam.unplug()
        with pytest.raises(CameraError) as info:
            cam.read()
    assert info.value.status is CameraStatus.DISCONNECTED
    assert info.value.message_key == "camera.disconnected"
    assert isinstance(info.value, KioskError)


def test_sequence_end_and_files(tmp_path: Path) -> None:
    path = tmp_path / "f.png"
    cv2.imwrite(str(path), np.zeros((10, 12), np.uint8))
    cam = ImageSequenceCamera([path], loop=False)
    cam.open()
    assert cam.read().shape == (10, 12, 3)
    with pytest.raises(CameraError) as info:
        cam.read()
    assert info.value.status is CameraStatus.ERROR
    with pytest.raises(CameraError):
        ImageSequenceCamera([tmp_path / "missing.png"])


def test_opencv_camera_missing_device() -> None:
    cam = OpenCvCamera(source="/nonexistent/video.mp4")
    with pytest.raises(CameraError) as info:
        cam.open()
    assert info.value.status is CameraStatus.NO_DEVICE and info.value.message_key == "camera.no_device"


def test_opencv_camera_file_that_disappears(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    assert writer.isOpened()
    for frame in frames(5):
        writer.write(frame)
    writer.release()
    cam = OpenCvCamera(source=str(path), width=64, height=48, max_failed_reads=2)
    cam.open()
    assert cam.read().shape == (48, 64, 3)
    path.unlink()  # the "device" is gone: the stream runs dry and the file no longer exists
    with pytest.raises(CameraError) as info:
        for _ in range(10):
            cam.read()
    assert info.value.status is CameraStatus.DISCONNECTED
    assert cam.status() is CameraStatus.DISCONNECTED
    cam.close()


def test_simulated_camera_scenes_and_unplug() -> None:
    cam = SimulatedCamera(realtime=False)
    cam.open()
    assert cam.read().shape == (480, 640, 3)
    cam.show("match:astronaut")
    assert cam.read().shape == (480, 640, 3)
    with pytest.raises(ValueError):
        cam.show("match:nobody")
    with pytest.raises(ValueError):
        cam.show("dog")
    cam.unplug()
    with pytest.raises(CameraError) as info:
        cam.read()
    assert info.value.status is CameraStatus.DISCONNECTED
    cam.replug()
    assert cam.read().shape == (480, 640, 3)


def test_factory() -> None:
    from drivers.camera.factory import build_camera

    assert isinstance(build_camera("opencv", "0"), OpenCvCamera)
    assert isinstance(build_camera("simulated"), SimulatedCamera)
    with pytest.raises(ValueError):
        build_camera("webcam")
