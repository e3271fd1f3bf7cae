"""Frame timings for the kiosk benchmark (benchmarks/bench_kiosk.py); off unless asked for.

With ``RENSHE_FRAME_LOG=<file>`` in the environment, ``install(app)`` appends one JSON line to
that file for:

- ``{"event": "frame", "t", "seq", "screen", "targets", "window"}``: the first frame presented
  (after the buffer swap) once the app started, and the first one after each state the controller
  published (``seq`` counts the publications, 0 is the state at start). ``targets`` maps each
  enabled intent of the view on show (and, in demo mode, ``dock:<name>`` for the dock's controls) to its
  centre in X screen pixels; ``window`` is [left, top, width, height].
- ``{"event": "touch", "t"}``: a touch (or mouse press) as Kivy dispatches it to the window.

``t`` is ``time.monotonic()`` (CLOCK_MONOTONIC, the same clock in every process of the machine),
so the benchmark compares it with its own clock. Without the variable nothing is installed and
the app runs exactly as it does in service.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import IO, Any

logger = logging.getLogger(__name__)

ENV = "RENSHE_FRAME_LOG"


class FrameProbe:
    """Logs the first swap after each published state; see the module docstring for the lines."""

    def __init__(self, app: Any, window: Any, out: IO[str]) -> None:
        self._app = app
        self._window = window
        self._out = out
        self._seq = -1  # subscribe() replays the state at start: that one is seq 0
        self._pending: tuple[int, str] | None = None
        self._flip = window.flip
        window.flip = self._flip_and_log  # the instance attribute shadows WindowSDL.flip
        window.bind(on_touch_down=self._on_touch)
        app.controller.subscribe(self._on_state)

    def _on_state(self, state: Any) -> None:
        self._seq += 1
        self._pending = (self._seq, state.screen.value)

    def _on_touch(self, _window: Any, _touch: Any) -> bool:
        self._write({"event": "touch", "t": time.monotonic()})
        return False

    def _flip_and_log(self) -> None:
        self._flip()
        if self._pending is None:
            return
        now = time.monotonic()
        seq, screen = self._pending
        self._pending = None
        self._write({"event": "frame", "t": now, "seq": seq, "screen": screen, **self._geometry()})

    def _geometry(self) -> dict[str, Any]:
        window = self._window
        left, top, height = int(window.left), int(window.top), int(window.height)
        widgets = dict(self._app.current_view().intents)
        dock = getattr(self._app, "dock", None)
        if dock is not None:
            widgets.update({f"dock:{name}": widget for name, widget in dock.controls.items()})
        targets = {}
        for name, widget in widgets.items():
            if widget.disabled:
                continue  # only what a touch would act on
            x, y = widget.to_window(*widget.center)
            targets[name] = [left + round(x), top + round(height - y)]
        return {"targets": targets, "window": [left, top, int(window.width), height]}

    def _write(self, record: dict[str, Any]) -> None:
        self._out.write(json.dumps(record) + "\n")
        self._out.flush()


def install(app: Any) -> FrameProbe | None:
    """Start logging frames for ``app`` (a started KioskApp) when RENSHE_FRAME_LOG is set; else None."""
    path = os.environ.get(ENV)
    if not path:
        return None
    from kivy.core.window import Window

    logger.info("frame probe: logging frame times to %s", path)
    return FrameProbe(app, Window, open(path, "a", encoding="utf-8"))  # noqa: SIM115 - open for the app's life
