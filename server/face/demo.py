"""Enrolled photos of the demo persons, from images that ship inside registry packages.

``demo_photo_jpeg("astronaut")`` is an untouched portrait crop of scikit-image's
``data.astronaut()`` - the same woman the simulated camera's ``match:astronaut`` scene shows,
but a different crop, size and light from the live frames. The seed gives it to the demo persons
who get a face (only they are offered face verification).
"""

from __future__ import annotations

import logging

import cv2

logger = logging.getLogger(__name__)

DEMO_PHOTO_KEYS = ("astronaut",)


def demo_photo_jpeg(key: str = "astronaut") -> bytes:
    """JPEG bytes of the demo person ``key``'s enrolled photo; ValueError for an unknown key."""
    if key != "astronaut":
        raise ValueError(f"no demo photo {key!r}; known: {DEMO_PHOTO_KEYS}")
    from skimage import data  # scikit-image==0.26.0 ships astronaut.png

    rgb = data.astronaut()[0:300, 60:330]  # head and shoulders, like an ID photo
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()
