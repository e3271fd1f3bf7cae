"""The 社保卡 photo's rules as the resident reads them, and the problems a frame can have.

Plain Python: drivers/camera/photo_rules.py measures frames and names a :class:`PhotoProblem`;
the wizard's photo step (kiosk.flows.wizard_photo) lists :data:`RULES` beside the preview and
marks, in words, the rule the current problem breaks.
"""

from __future__ import annotations

import enum
import logging

logger = logging.getLogger(__name__)

# The rules shown beside the preview, in this order; each is ``photo.rule.<name>`` in the catalogue.
RULES = ("one_face", "frontal", "light", "eyes", "background")


class PhotoProblem(enum.Enum):
    """Why a frame cannot be the card's photo; declaration order = the order they are told."""

    NO_FACE = "no_face"
    MANY_FACES = "many_faces"
    NOT_FRONTAL = "not_frontal"
    TOO_DARK = "too_dark"
    EYES_CLOSED = "eyes_closed"
    BACKGROUND = "background"

    @property
    def message_key(self) -> str:
        return f"photo.problem.{self.value}"

    @property
    def rule(self) -> str:
        """The rule this problem breaks (one of :data:`RULES`)."""
        return _RULE_OF[self]


_RULE_OF = {
    PhotoProblem.NO_FACE: "one_face",
    PhotoProblem.MANY_FACES: "one_face",
    PhotoProblem.NOT_FRONTAL: "frontal",
    PhotoProblem.TOO_DARK: "light",
    PhotoProblem.EYES_CLOSED: "eyes",
    PhotoProblem.BACKGROUND: "background",
}


def rule_of(message_key: str | None) -> str | None:
    """The rule a problem's message key breaks, or None for any other key (or none)."""
    for problem in PhotoProblem:
        if problem.message_key == message_key:
            return problem.rule
    return None
