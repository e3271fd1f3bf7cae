"""The table of the tour's screens in docs/screens.md (demo.tour_index): derived from tour.json,
rewritten in place, and a screen it does not list is reported."""

from __future__ import annotations

from demo.tour_index import BEGIN, END, table, undocumented, with_table

ENTRIES = [
    {"service": None, "screen": "attract", "language": "zh_CN", "mode": "normal", "file": "01.png"},
    {"service": "contributions", "screen": "records", "language": "zh_CN", "mode": "normal", "file": "02.png"},
    {"service": "contributions", "screen": "period-editor", "language": "zh_CN", "mode": "normal", "file": "03.png"},
    {"service": "contributions", "screen": "records", "language": "en", "mode": "elder", "file": "04.png"},
]


def test_the_table_lists_each_service_s_screens_and_counts():
    block = table(ENTRIES)
    assert block.startswith(BEGIN) and block.endswith(END)
    assert "**4 screens** in 2 passes" in block
    assert "| `session` | `attract` | 1 |" in block
    assert "| `contributions` | `records`, `period-editor` | 3 |" in block


def test_a_screen_missing_from_the_document_is_reported():
    doc = with_table("# Screens\n\nWords.\n", ENTRIES[:2])
    assert doc.startswith("# Screens\n\nWords.\n\n" + BEGIN)
    assert undocumented(ENTRIES, doc) == [("contributions", "period-editor")]
    assert undocumented(ENTRIES, "no table at all") == [
        ("session", "attract"),
        ("contributions", "records"),
        ("contributions", "period-editor"),
    ]


def test_rewriting_replaces_the_block_and_keeps_the_words_around_it():
    doc = with_table("before\n", ENTRIES[:1]) + "after\n"
    again = with_table(doc, ENTRIES)
    assert again.count(BEGIN) == 1 and again.startswith("before\n") and again.endswith("after\n")
    assert undocumented(ENTRIES, again) == []
