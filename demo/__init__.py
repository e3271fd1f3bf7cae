"""Demo mode's world on screen: the dock that plays the world around the terminal (demo.dock) and
the scripted stories (demo.stories, played by demo.player). Product code — ``main.py --demo`` with
no display plays a story — kept apart from the resident's screens in screens/.

Nothing here is imported before Kivy is set up, except this list of the stories' names.
"""

STORY_NAMES = (
    "journey",
    "paper-out",
    "foreign-card",
    "idle-timeout",
    "face-match",
    "face-photo",
    "face-other",
    "maintenance",
    "announcement",
    "wizard",
    "elder-mode",
    "staff",
    "tour",
    "wizards",
    "records",
    "change-pin",
    "pinyin",
)
