"""What the kiosk window really shows: its pixels as opaque RGB, and where its visible text is.

A widget exported with ``export_to_png`` is drawn on a transparent FBO, so every pixel its own
canvas does not paint comes out with alpha 0: image viewers show those as white whatever the
window shows there. Screenshots are therefore read from the window's own framebuffer, drawn the
way the next frame is drawn (cleared to ``Window.clearcolor``, then every widget, dialogs on top),
without its alpha channel: the pixels the display shows.

The text layout is for an outside observer (the UI test that grabs the X display): the boxes of
the labels and buttons a resident can see, in window pixels with the origin at the top left.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.graphics import opengl as gl
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.stencilview import StencilView
from PIL import Image

logger = logging.getLogger(__name__)

Box = tuple[int, int, int, int]  # left, top, width, height in window pixels, origin top left


def window_image() -> Image.Image:
    """The whole window as an RGB image (no alpha), drawn now exactly as the next frame will be."""
    window = EventLoop.window
    window.dispatch("on_draw")  # clear to clearcolor and draw everything into the back buffer
    width, height = (int(value) for value in window.size)
    gl.glPixelStorei(gl.GL_PACK_ALIGNMENT, 1)
    data = gl.glReadPixels(0, 0, width, height, gl.GL_RGB, gl.GL_UNSIGNED_BYTE)
    return Image.frombytes("RGB", (width, height), bytes(data)).transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def widget_box(widget: Any) -> Box:
    """``widget``'s rectangle in window pixels, origin top left (as an X screen grab counts)."""
    height = EventLoop.window.height
    x0, y0 = widget.to_window(widget.x, widget.y)
    x1, y1 = widget.to_window(widget.right, widget.top)
    return round(x0), round(height - y1), round(x1 - x0), round(y1 - y0)


def save_png(widget: Any, path: Path) -> None:
    """Save what the window shows inside ``widget``'s rectangle as an opaque RGB PNG."""
    left, top, width, height = widget_box(widget)
    window_image().crop((left, top, left + width, top + height)).save(path, format="PNG")


def _intersect(a: Box, b: Box) -> Box | None:
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    if right <= left or bottom <= top:
        return None
    return left, top, right - left, bottom - top


def _collect_texts(widget: Any, clip: Box, opacity: float, out: list[dict[str, Any]]) -> None:
    opacity *= widget.opacity
    if opacity <= 0:
        return
    box = widget_box(widget)
    if isinstance(widget, StencilView):  # a ScrollView shows only what is inside its own rectangle
        inside = _intersect(clip, box)
        if inside is None:
            return
        clip = inside
    if isinstance(widget, Label) and widget.text.strip():
        visible = _intersect(clip, box)
        if visible is not None:
            out.append(
                {
                    "text": widget.text,
                    "widget": type(widget).__name__,
                    "box": list(visible),
                    "clipped": visible != box,
                    "opacity": round(opacity, 3),
                }
            )
    for child in widget.children:
        _collect_texts(child, clip, opacity, out)


def visible_texts() -> list[dict[str, Any]]:
    """Every label and button with text a resident can see now: ``text``, ``widget`` (class name),
    ``box`` (its visible rectangle), ``clipped`` (a scroll view shows only part of it) and
    ``opacity`` (with its parents').
    While a dialog is open only the topmost dialog counts: what lies under it is dimmed on purpose."""
    window = EventLoop.window
    full: Box = (0, 0, int(window.width), int(window.height))
    dialogs = [child for child in window.children if isinstance(child, ModalView)]
    roots = dialogs[:1] if dialogs else list(window.children)
    out: list[dict[str, Any]] = []
    for root in roots:
        _collect_texts(root, full, 1.0, out)
    return out
