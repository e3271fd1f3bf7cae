"""Reusable widgets and the rule files that style them."""

from __future__ import annotations

from pathlib import Path

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label

_KV_LOADED = False


class KioskLabel(Label):
    pass


class KioskButton(Button):
    """A large button; ``intent`` names what it does, so scripts and tests can find it.
    ``secondary`` buttons are light grey with dark text (style.kv SecondaryButton)."""

    secondary = BooleanProperty(False)

    def __init__(self, intent: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.intent = intent


class HeaderBar(BoxLayout):
    pass


class AnnouncementPanel(BoxLayout):
    """A band showing one notice; ``level`` "warning" gives it an amber fill and a thick bar (the
    text also carries a 【重要】 prefix, so colour is never the only sign). Takes no room when not
    ``shown``, and it is laid out in the flow of the screen, so it never covers a touch target."""

    level = StringProperty("info")
    shown = BooleanProperty(False)


def load_rules() -> None:
    global _KV_LOADED
    if not _KV_LOADED:
        Builder.load_file(str(Path(__file__).with_name("style.kv")))
        _KV_LOADED = True


def make(rule: str, **kwargs):
    """Instantiate a dynamic class from style.kv (e.g. 'TitleLabel', 'SecondaryButton', 'PinKey')."""
    return getattr(Factory, rule)(**kwargs)
