"""The X-display checks themselves (tests/ui/xscreen.py), on made-up grabs: a screen as designed
passes; the black body with dark grey text that a window with no clear colour showed, a black
grab and a grab with transparent pixels each fail."""

from __future__ import annotations

from PIL import Image, ImageDraw

from tests.ui.xscreen import check_screen, opaque_rgb

WHITE = (255, 255, 255)
TEXT = (26, 31, 41)  # theme.TEXT
HEADER = (10, 92, 168)
LAYOUT = {
    "shot": "01-attract",
    "screen": "attract",
    "window": [0, 0, 400, 300],
    "kiosk_area": [0, 0, 400, 300],
    "header": [0, 0, 400, 60],
    "body": [0, 60, 400, 240],
    "body_padding": [20, 20, 20, 20],
    "dialog": False,
    "background": list(WHITE),
    "texts": [
        {"text": "Insert card", "widget": "KioskLabel", "box": [20, 120, 360, 40], "clipped": False, "opacity": 1.0},
        {"text": "Title", "widget": "KioskLabel", "box": [10, 10, 200, 40], "clipped": False, "opacity": 1.0},
    ],
}


def screen(body: tuple[int, int, int], text: tuple[int, int, int], mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (400, 300), body if mode == "RGB" else (*body, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 399, 59), fill=HEADER)
    for x in range(40, 340, 12):  # strokes of "text", as solid as glyph stems
        draw.rectangle((x, 128, x + 5, 152), fill=text)
    for x in range(20, 180, 12):  # the header's white title
        draw.rectangle((x, 20, x + 5, 40), fill=WHITE)
    return image


def test_a_light_body_with_dark_text_passes():
    report = check_screen(screen(WHITE, TEXT), LAYOUT)
    assert report.problems == []
    assert report.body_colour == WHITE
    contrasts = dict(report.contrasts)
    assert contrasts["Insert card"] > 16 and 6.5 < contrasts["Title"] < 7  # dark on white; white on blue


def test_the_black_body_with_dark_grey_text_fails():
    report = check_screen(screen((0, 0, 0), TEXT), LAYOUT)
    assert any("background is (0, 0, 0)" in problem for problem in report.problems), report.problems
    assert any("'Insert card'" in problem and "1.27:1" in problem for problem in report.problems), report.problems


def test_a_black_grab_fails():
    report = check_screen(Image.new("RGB", (400, 300)), LAYOUT)
    assert report.problems == ["the image is black"]


def test_a_grab_with_transparent_pixels_fails():
    image = screen(WHITE, TEXT, mode="RGBA")
    image.putpixel((200, 200), (255, 255, 255, 0))
    report = check_screen(image, LAYOUT)
    assert report.problems == ["the image has transparent pixels"]
    _pixels, problem = opaque_rgb(screen(WHITE, TEXT, mode="RGBA"))
    assert problem is None  # RGBA with every pixel opaque is fine
