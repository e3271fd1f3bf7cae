"""drivers.camera.qr_port.CameraQrScanPort over the simulated camera: a code shown on the demo
phone is reported once, a code to ignore is passed over until the scan times out, a camera that
fails ends the scan with its reason, and nothing is reported after ``cancel()``."""

from __future__ import annotations

import queue
import threading
from typing import Any

import numpy as np
import pytest

from common.esscard import new_code
from drivers.camera.base import Camera, CameraStatus
from drivers.camera.qr_port import TIMEOUT_KEY, CameraQrScanPort
from drivers.camera.simulated import SimulatedCamera
from kiosk.ports import FaceProgress

WAIT = 20.0


class Recorder:
    """Collects the port's callbacks (they arrive on the scan thread)."""

    def __init__(self) -> None:
        self.ends: queue.Queue[tuple[str, str]] = queue.Queue()
        self.previews: list[FaceProgress] = []

    def start(self, port: CameraQrScanPort, ignore: tuple[str, ...] = ()) -> None:
        port.start(
            lambda code: self.ends.put(("code", code)),
            lambda key: self.ends.put(("stop", key)),
            self.previews.append,
            ignore,
        )

    def end(self) -> tuple[str, str]:
        return self.ends.get(timeout=WAIT)


def test_a_code_on_the_demo_phone_is_reported_with_previews() -> None:
    code = new_code()
    camera = SimulatedCamera(realtime=False)
    camera.show_code(code)
    port, seen = CameraQrScanPort(camera, preview_fps=1000.0), Recorder()
    seen.start(port)
    assert seen.end() == ("code", code)
    assert seen.previews and seen.previews[0].width == 480 and seen.previews[0].message_key is None
    preview = seen.previews[0]
    assert len(preview.rgb) == preview.width * preview.height * 3
    assert _closes(camera)


def _closes(camera: SimulatedCamera) -> bool:
    """The scan thread closes the camera right after reporting; give it a moment."""
    for _ in range(200):
        if camera.status() is not CameraStatus.READY:
            return True
        threading.Event().wait(0.01)
    return False


def test_an_ignored_code_is_passed_over_until_the_scan_times_out() -> None:
    code = new_code()
    camera = SimulatedCamera(realtime=False)
    camera.show_code(code)
    port, seen = CameraQrScanPort(camera, timeout_s=0.5), Recorder()
    seen.start(port, ignore=(code,))
    assert seen.end() == ("stop", TIMEOUT_KEY)
    camera.show("none")
    seen.start(port)
    assert seen.end() == ("stop", TIMEOUT_KEY)
    fresh = new_code()
    camera.show_code(fresh)
    seen.start(port, ignore=(code,))
    assert seen.end() == ("code", fresh)


def test_a_camera_that_fails_ends_the_scan_with_its_reason() -> None:
    camera = SimulatedCamera(realtime=False)
    camera.unplug()
    port, seen = CameraQrScanPort(camera), Recorder()
    seen.start(port)
    assert seen.end() == ("stop", "camera.no_device")


class BrokenFrames(Camera):
    """Opens, then delivers frames no decoder accepts (a driver bug): the scan must still end."""

    def open(self) -> None:
        pass

    def read(self) -> np.ndarray:
        return np.zeros((4, 4, 4), np.uint8)

    def status(self) -> CameraStatus:
        return CameraStatus.READY

    def close(self) -> None:
        pass


def test_an_unexpected_failure_still_ends_the_scan() -> None:
    port, seen = CameraQrScanPort(BrokenFrames()), Recorder()
    seen.start(port)
    assert seen.end() == ("stop", "camera.error")


class SlowCamera(SimulatedCamera):
    """Lets the test hold the scan thread inside ``read`` until released."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reading = threading.Event()
        self.release = threading.Event()

    def read(self) -> np.ndarray:
        self.reading.set()
        self.release.wait(WAIT)
        return super().read()


def test_nothing_is_reported_after_cancel() -> None:
    camera = SlowCamera(realtime=False)
    camera.show_code(new_code())
    port, seen = CameraQrScanPort(camera), Recorder()
    seen.start(port)
    assert camera.reading.wait(WAIT)
    port.cancel()  # while the frame with the code is being read
    camera.release.set()
    with pytest.raises(queue.Empty):
        seen.ends.get(timeout=1.0)
    assert seen.previews == []


def test_a_new_scan_replaces_the_running_one() -> None:
    camera = SimulatedCamera(realtime=False)
    port, first, second = CameraQrScanPort(camera, timeout_s=30), Recorder(), Recorder()
    first.start(port)
    second.start(port)
    code = new_code()
    camera.show_code(code)  # only now: the first scan, cancelled, must not be the one that sees it
    assert second.end() == ("code", code)
    with pytest.raises(queue.Empty):
        first.ends.get(timeout=0.5)
