"""The pinyin input method: syllable split, initials, candidates, paging, backspace, and that its
dictionary comes from the pypinyin and jieba packages (no hand-written word lists)."""

from __future__ import annotations

from pathlib import Path

import jieba
import pytest
from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict

from kiosk import pinyin_index
from kiosk.pinyin_index import PinyinIndex, load_index, toneless
from kiosk.pinyin_input import PinyinInput, candidates, split
from tests.kiosk.fakes import make_controller
from tests.kiosk.test_session_core import log_in


@pytest.fixture(scope="module")
def index() -> PinyinIndex:
    return load_index()


def texts(letters: str, index: PinyinIndex, count: int = 6) -> list[str]:
    return [c.text for c in candidates(split(letters, index.syllables), index)[:count]]


def test_split_into_full_syllables(index: PinyinIndex) -> None:
    assert [t.letters for t in split("beijing", index.syllables)] == ["bei", "jing"]
    assert [t.letters for t in split("moumoukejiyouxiangongsi", index.syllables)] == [
        "mou", "mou", "ke", "ji", "you", "xian", "gong", "si",
    ]  # fmt: skip
    assert [t.letters for t in split("xian", index.syllables)] == ["xian"]
    assert [t.letters for t in split("xi'an", index.syllables)] == ["xi", "an"]
    assert all(t.full for t in split("zhongguo", index.syllables))


def test_split_initials(index: PinyinIndex) -> None:
    tokens = split("bj", index.syllables)
    assert [(t.letters, t.full) for t in tokens] == [("b", False), ("j", False)]
    assert [(t.letters, t.full) for t in split("sh", index.syllables)] == [("sh", False)]


@pytest.mark.parametrize(
    ("letters", "word"),
    [("beijing", "北京"), ("bj", "北京"), ("shanghai", "上海"), ("youxiangongsi", "有限公司"),
     ("jiedao", "街道"), ("xiaoqu", "小区"), ("sh", "上")],
)  # fmt: skip
def test_common_words_on_the_first_page(index: PinyinIndex, letters: str, word: str) -> None:
    assert word in texts(letters, index)


def test_phrases_before_characters(index: PinyinIndex) -> None:
    found = candidates(split("beijing", index.syllables), index)
    covers = [c.covers for c in found]
    assert covers == sorted(covers, reverse=True)
    assert found[0].text == "北京" and found[-1].covers == 1


def test_choose_consumes_the_pinyin_it_covers(index: PinyinIndex) -> None:
    typing = PinyinInput(index=index)
    for letter in "moumoukejiyouxiangongsi":
        typing.type(letter)
    chosen = []
    while typing.letters:
        chosen.append(typing.choose(0))
    assert typing.text == "某某科技有限公司"
    assert chosen == ["某某", "科技", "有限公司"]


def test_choose_a_single_character_keeps_the_rest(index: PinyinIndex) -> None:
    typing = PinyinInput(index=index)
    for letter in "beijing":
        typing.type(letter)
    slot = [c.text for c in typing.candidates()].index("被")
    typing.choose(slot)
    assert (typing.text, typing.letters) == ("被", "jing")


def test_paging(index: PinyinIndex) -> None:
    typing = PinyinInput(index=index, page_size=6)
    typing.type("s")
    first = typing.candidates()
    assert len(first) == 6 and not typing.has_prev() and typing.has_next()
    typing.next_page()
    second = typing.candidates()
    assert typing.has_prev() and not set(c.text for c in first) & set(c.text for c in second)
    typing.prev_page()
    assert typing.candidates() == first
    typing.type("h")
    assert typing.page == 0  # new pinyin starts the bar again


def test_backspace_removes_pinyin_then_characters(index: PinyinIndex) -> None:
    typing = PinyinInput(text="上海", index=index)
    for letter in "jd":
        typing.type(letter)
    typing.backspace()
    assert (typing.text, typing.letters) == ("上海", "j")
    typing.backspace()
    typing.backspace()
    assert (typing.text, typing.letters) == ("上", "")
    assert typing.candidates() == []


def test_index_is_built_from_the_packages(tmp_path: Path) -> None:
    built = pinyin_index.build()
    jieba_dict = Path(jieba.__file__).with_name("dict.txt").read_text(encoding="utf-8")
    freq = dict(line.split(" ")[:2] for line in jieba_dict.splitlines() if line)
    # Every character of a syllable is one pypinyin reads so, every phrase is pypinyin's or jieba's.
    for syllable, chars in list(built.chars.items())[:50]:
        for char, _ in chars:
            assert syllable in {toneless(r) for r in pinyin_dict[ord(char)].split(",")}
    for phrase, syllables, count in built.bucket("bj")[:200]:
        assert phrase in phrases_dict or phrase in freq
        assert count == int(freq.get(phrase, 0))
        assert [s[0] for s in syllables] == ["b", "j"]
    # The cache round-trips the same index, in a file named after the packages' versions.
    path = pinyin_index.write_cache(tmp_path)
    assert "pypinyin-0.55.0" in path.name
    assert load_index(tmp_path).bucket("bj")[:20] == built.bucket("bj")[:20]


def test_the_dispute_wizard_takes_its_respondent_in_pinyin() -> None:
    """The flow: letters are pinyin on a free text, the bar's choice goes into the answer, 退格
    takes pinyin first, 中/英 switches to the letters pad, and the review shows the Chinese."""
    controller, *_ = make_controller("services.enabled=['dispute_mediation']")
    log_in(controller)
    controller.choose_service("dispute_mediation")
    controller.intent("tick")
    controller.intent("next")
    controller.intent("next")
    view = controller.state.wizard
    assert view.question.name == "respondent" and view.ime.chinese and view.ime.candidates == ()
    for letter in "MOUMOUKEJIYOUXIANGONGSIX":
        controller.intent("type", letter)
    controller.intent("delete")  # the stray x: a pinyin letter, not a character of the answer
    view = controller.state.wizard
    assert view.ime.syllables[:3] == ("mou", "mou", "ke") and view.ime.candidates[0] == "某某"
    assert len(view.ime.candidates) == 4 and view.ime.has_next and view.value == ""
    controller.intent("candidates", "+1")
    assert controller.state.wizard.ime.has_prev
    controller.intent("candidates", "-1")
    while controller.state.wizard.ime.syllables:
        controller.intent("candidate", "0")
    assert controller.state.wizard.value == "某某科技有限公司"
    controller.intent("delete")
    controller.intent("ime")  # 英: letters go into the answer as typed
    controller.intent("type", "A")
    assert controller.state.wizard.value == "某某科技有限公A"
    assert not controller.state.wizard.ime.chinese
    controller.intent("delete")
    controller.intent("ime")
    controller.intent("type", "S")
    controller.intent("type", "I")
    while "司" not in controller.state.wizard.ime.candidates:
        assert controller.state.wizard.ime.has_next
        controller.intent("candidates", "+1")
    controller.intent("candidate", str(controller.state.wizard.ime.candidates.index("司")))
    assert controller.state.wizard.value == "某某科技有限公司"
    controller.intent("next")
    assert controller.state.wizard.question.name == "category"
