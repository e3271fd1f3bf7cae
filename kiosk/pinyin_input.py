"""A small pinyin input method for the wizards' text questions (no Kivy).

Contract:

- ``split(letters, syllables)`` cuts typed letters into tokens, each a full syllable or the start
  of one (an initial: ``bj`` → b, j); it prefers the fewest partial tokens, then the fewest
  tokens, so ``xian`` is 先 (one syllable) and ``beijing`` is bei jing; ``'`` forces a cut.
- ``PinyinInput`` is the state of one text answer being typed: ``text`` (the Chinese chosen so far)
  and ``letters`` (the pinyin not yet turned into characters). ``candidates()`` is the current page
  of the bar: phrases covering the most syllables first, then single characters of the first
  syllable, each best first by frequency; ``choose(slot)`` appends one and consumes the letters it
  covered; ``next_page``/``prev_page`` page the bar; ``backspace`` takes a letter off the pinyin,
  and a character off the text once no pinyin is left.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache

from kiosk.pinyin_index import PinyinIndex, load_index

logger = logging.getLogger(__name__)

PAGE_SIZE = 6
MAX_CANDIDATES = 120  # ten pages and more: nobody pages further than that
SEPARATOR = "'"


@dataclass(frozen=True)
class Token:
    """One piece of the pinyin: its letters, whether they are a whole syllable, and where they end."""

    letters: str
    full: bool
    end: int  # index in the typed letters just after this token


@lru_cache(maxsize=8)
def _prefixes(syllables: frozenset[str]) -> frozenset[str]:
    return frozenset(syl[:n] for syl in syllables for n in range(1, len(syl) + 1))


def split(letters: str, syllables: frozenset[str]) -> list[Token]:
    """The tokens of ``letters`` (see the module's contract); letters no syllable starts are dropped."""
    prefixes = _prefixes(syllables)
    tokens: list[Token] = []
    for start, chunk in _chunks(letters):
        tokens.extend(_split_chunk(chunk, start, syllables, prefixes))
    return tokens


def _chunks(letters: str) -> list[tuple[int, str]]:
    chunks, start = [], 0
    for piece in letters.split(SEPARATOR):
        if piece:
            chunks.append((start, piece))
        start += len(piece) + 1
    return chunks


def _split_chunk(chunk: str, offset: int, syllables: frozenset[str], prefixes: frozenset[str]) -> list[Token]:
    size = len(chunk)
    # best[i] = (partials, tokens, cut) for chunk[i:]; filled from the end (a small dynamic programme).
    best: list[tuple[int, int, int] | None] = [None] * (size + 1)
    best[size] = (0, 0, size)
    for i in range(size - 1, -1, -1):
        for j in range(i + 1, min(size, i + 6) + 1):
            piece, rest = chunk[i:j], best[j]
            if rest is None or piece not in prefixes:
                continue
            score = (rest[0] + (piece not in syllables), rest[1] + 1, j)
            if best[i] is None or score[:2] < best[i][:2]:
                best[i] = score
        if best[i] is None:  # a letter no syllable starts (say "i" alone): skip it
            best[i] = (best[i + 1][0] + 1, best[i + 1][1], i + 1) if best[i + 1] else None
    tokens, i = [], 0
    while i < size and best[i] is not None:
        j = best[i][2]
        piece = chunk[i:j]
        if piece in prefixes:
            tokens.append(Token(piece, piece in syllables, offset + j))
        i = j
    return tokens


@dataclass(frozen=True)
class Candidate:
    """A choice on the bar: the characters and how many of the tokens they consume."""

    text: str
    covers: int


def candidates(tokens: list[Token], index: PinyinIndex) -> list[Candidate]:
    """Phrases covering the most tokens first, then the first token's characters; no repeats."""
    found: list[Candidate] = []
    seen: set[str] = set()
    pairs = [(t.letters, t.full) for t in tokens]
    for length in range(min(len(pairs), 4), 1, -1):
        for phrase, _freq in index.words(pairs[:length]):
            if phrase not in seen:
                seen.add(phrase)
                found.append(Candidate(phrase, length))
    if pairs:
        for char, _freq in index.characters(*pairs[0]):
            if char not in seen:
                seen.add(char)
                found.append(Candidate(char, 1))
    return found[:MAX_CANDIDATES]


@dataclass
class PinyinInput:
    """One text answer typed in pinyin; ``text`` starts from an answer already given."""

    text: str = ""
    letters: str = ""
    page: int = 0
    page_size: int = PAGE_SIZE
    index: PinyinIndex | None = field(default=None, repr=False)
    _all: list[Candidate] | None = field(default=None, repr=False)

    def _index(self) -> PinyinIndex:
        if self.index is None:
            self.index = load_index()
        return self.index

    def tokens(self) -> list[Token]:
        return split(self.letters, self._index().syllables)

    def syllables(self) -> list[str]:
        """The pinyin as the bar shows it: its tokens."""
        return [t.letters for t in self.tokens()]

    def _candidates(self) -> list[Candidate]:
        if self._all is None:
            self._all = candidates(self.tokens(), self._index()) if self.letters else []
        return self._all

    def candidates(self) -> list[Candidate]:
        """The current page of the bar (empty when nothing is typed)."""
        every = self._candidates()
        return every[self.page * self.page_size : (self.page + 1) * self.page_size]

    def has_prev(self) -> bool:
        return self.page > 0

    def has_next(self) -> bool:
        return (self.page + 1) * self.page_size < len(self._candidates())

    def _changed(self) -> None:
        self.page, self._all = 0, None

    def type(self, letter: str) -> None:
        """Add a pinyin letter (a–z, or ``'`` to cut syllables)."""
        letter = letter.lower()
        if len(letter) == 1 and ("a" <= letter <= "z" or letter == SEPARATOR):
            self.letters += letter
            self._changed()

    def choose(self, slot: int) -> str | None:
        """Append the candidate in ``slot`` of this page and consume the pinyin it covers."""
        page = self.candidates()
        if not 0 <= slot < len(page):
            return None
        chosen = page[slot]
        tokens = self.tokens()
        cut = tokens[chosen.covers - 1].end if chosen.covers <= len(tokens) else len(self.letters)
        self.text += chosen.text
        self.letters = self.letters[cut:].lstrip(SEPARATOR)
        self._changed()
        return chosen.text

    def next_page(self) -> None:
        if self.has_next():
            self.page += 1

    def prev_page(self) -> None:
        if self.has_prev():
            self.page -= 1

    def backspace(self) -> None:
        """One pinyin letter off, or one character of the text once no pinyin is left."""
        if self.letters:
            self.letters = self.letters[:-1]
        else:
            self.text = self.text[:-1]
        self._changed()

    def clear(self) -> None:
        self.text, self.letters = "", ""
        self._changed()


@dataclass(frozen=True)
class ImeView:
    """What the screen shows of the input method: the mode (中 or 英), the pinyin being typed (its
    syllables), the bar's page of candidates and whether it can page back or on."""

    chinese: bool = True
    syllables: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    has_prev: bool = False
    has_next: bool = False


def ime_view(typing: PinyinInput, chinese: bool) -> ImeView:
    """The screen's snapshot of ``typing`` (no lookup at all while nothing is typed)."""
    if not chinese or not typing.letters:
        return ImeView(chinese=chinese)
    return ImeView(
        chinese=True,
        syllables=tuple(typing.syllables()),
        candidates=tuple(c.text for c in typing.candidates()),
        has_prev=typing.has_prev(),
        has_next=typing.has_next(),
    )
