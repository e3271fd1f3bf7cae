"""The pinyin input method's dictionary, generated from registry packages and cached on disk.

Contract: ``load_index()`` returns a ``PinyinIndex`` built only from package data, never from
hand-written lists:

- single characters and all their readings: pypinyin's ``pinyin_dict`` (CJK basic block only, so
  the bar never offers characters the kiosk's font lacks);
- phrases: pypinyin's ``phrases_dict`` (with its readings) and jieba's ``dict.txt`` words of two to
  four Chinese characters (read with ``pypinyin.lazy_pinyin``, which knows the heteronyms);
- ranking: jieba's word frequencies (a character or phrase jieba does not know ranks last).

Reading all of jieba's 349 000 words through pypinyin takes seconds, so the index is built at
set-up (``python -m kiosk.pinyin_index build``, called by scripts/setup.sh) into a git-ignored
cache file named after the packages' versions; loading that file takes a fraction of a second.
A kiosk whose cache is missing builds it on first use (and logs it) rather than fail.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

logger = logging.getLogger(__name__)

FORMAT = 3
CACHE_DIR = Path(__file__).resolve().parents[1] / ".cache" / "pinyin"
MAX_PHRASE = 4


def toneless(reading: str) -> str:
    """``lǜ`` → ``lv``: the letters a resident types for a marked reading (ü is typed v)."""
    plain = unicodedata.normalize("NFD", reading.replace("ü", "v").replace("Ü", "v"))
    return "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()


def is_hanzi(text: str) -> bool:
    """Only CJK unified ideographs of the basic block (U+4E00..U+9FFF), the ones the font has."""
    return bool(text) and all(0x4E00 <= ord(ch) <= 0x9FFF for ch in text)


@dataclass
class PinyinIndex:
    """Characters by syllable and phrases by their syllables' first letters, best first.

    ``chars[syllable]`` is ``[(char, freq), ...]``; ``phrases[initials]`` is one string of
    ``phrase<TAB>syl syl ...<TAB>freq`` lines; both sorted by falling frequency. The phrases stay
    strings until a lookup needs their bucket (then it is split once and kept): that makes the
    cache load in milliseconds and keep a small memory, instead of 330 ms and 100 MB of tuples.
    """

    chars: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    phrases: dict[str, str] = field(default_factory=dict)
    _split: dict[str, list[tuple[str, list[str], int]]] = field(default_factory=dict, repr=False)

    def bucket(self, initials: str) -> list[tuple[str, list[str], int]]:
        """The phrases whose syllables begin with ``initials``' letters, parsed once."""
        if initials not in self._split:
            rows = []
            for line in self.phrases.get(initials, "").splitlines():
                phrase, reading, freq = line.split("\t")
                rows.append((phrase, reading.split(" "), int(freq)))
            self._split[initials] = rows
        return self._split[initials]

    @property
    def syllables(self) -> frozenset[str]:
        return frozenset(self.chars)

    def characters(self, token: str, full: bool) -> list[tuple[str, int]]:
        """Characters read ``token`` (a full syllable) or any syllable it begins (a partial one)."""
        if full:
            return self.chars.get(token, [])
        best: dict[str, int] = {}
        for syllable, chars in self.chars.items():
            if syllable.startswith(token):
                for char, freq in chars:
                    best[char] = max(freq, best.get(char, -1))
        return sorted(best.items(), key=lambda item: -item[1])

    def words(self, tokens: list[tuple[str, bool]]) -> list[tuple[str, int]]:
        """Phrases of exactly ``len(tokens)`` syllables, each matching its token, best first."""
        found: list[tuple[str, int]] = []
        for phrase, syllables, freq in self.bucket("".join(token[0] for token, _ in tokens)):
            if all(
                (syl == tok) if full else syl.startswith(tok)
                for syl, (tok, full) in zip(syllables, tokens, strict=True)
            ):
                found.append((phrase, freq))
        return found


def _frequencies() -> dict[str, int]:
    import jieba

    path = Path(jieba.__file__).with_name("dict.txt")
    freq: dict[str, int] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            parts = line.split(" ")
            if len(parts) >= 2 and parts[1].isdigit():
                freq[parts[0]] = int(parts[1])
    return freq


def build() -> PinyinIndex:
    """Read the packages' dictionaries into an index (seconds: run it at set-up)."""
    from pypinyin import Style, lazy_pinyin
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    freq = _frequencies()
    chars: dict[str, dict[str, int]] = defaultdict(dict)
    for code, readings in pinyin_dict.items():
        char = chr(code)
        if not is_hanzi(char):
            continue
        for rank, reading in enumerate(readings.split(",")):
            # jieba counts a character, not a reading: a secondary reading (见 read xiàn) gets a
            # tenth of it, so 县 and 现 come before 见 on "xian".
            count = freq.get(char, 0) // (10 if rank else 1)
            syllable = toneless(reading)
            chars[syllable][char] = max(count, chars[syllable].get(char, 0))
    readings: dict[str, str] = {}
    for phrase, pinyins in phrases_dict.items():
        if is_hanzi(phrase) and 2 <= len(phrase) <= MAX_PHRASE:
            readings[phrase] = " ".join(toneless(syl[0]) for syl in pinyins)
    for word in freq:
        if word not in readings and is_hanzi(word) and 2 <= len(word) <= MAX_PHRASE:
            readings[word] = " ".join(lazy_pinyin(word, style=Style.NORMAL))
    phrases: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for phrase, reading in readings.items():
        syllables = reading.split(" ")
        if len(syllables) == len(phrase) and all(syl in chars for syl in syllables):
            phrases["".join(syl[0] for syl in syllables)].append((phrase, reading, freq.get(phrase, 0)))
    index = PinyinIndex(
        chars={syl: sorted(found.items(), key=lambda item: -item[1]) for syl, found in chars.items()},
        phrases={
            key: "\n".join(f"{p}\t{r}\t{f}" for p, r, f in sorted(found, key=lambda item: -item[2]))
            for key, found in phrases.items()
        },
    )
    logger.info("pinyin index: %d syllables, %d phrases", len(index.chars), len(readings))
    return index


def cache_path(directory: Path = CACHE_DIR) -> Path:
    """The cache file of these package versions (a new pypinyin or jieba gets a new file)."""
    versions = f"pypinyin-{metadata.version('pypinyin')}-jieba-{metadata.version('jieba')}"
    return directory / f"index-v{FORMAT}-{versions}.pickle"


def write_cache(directory: Path = CACHE_DIR) -> Path:
    """Build the index and write it atomically; returns the file."""
    path = cache_path(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    index = build()
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    with partial.open("wb") as out:
        pickle.dump((index.chars, index.phrases), out, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)
    return path


_loaded: dict[Path, PinyinIndex] = {}


def load_index(directory: Path = CACHE_DIR) -> PinyinIndex:
    """The index from the cache (built first when missing); loaded once per process."""
    path = cache_path(directory)
    if path not in _loaded:
        if not path.exists():
            logger.warning("pinyin index cache %s missing: building it now (scripts/setup.sh should)", path.name)
            write_cache(directory)
        started = time.perf_counter()
        with path.open("rb") as data:
            chars, phrases = pickle.load(data)  # noqa: S301 - our own file, written by write_cache
        _loaded[path] = PinyinIndex(chars=chars, phrases=phrases)
        logger.info("pinyin index loaded in %.0f ms", (time.perf_counter() - started) * 1000)
    return _loaded[path]


def main(argv: list[str]) -> int:
    if argv[:1] != ["build"]:
        print("usage: python -m kiosk.pinyin_index build", file=sys.stderr)
        return 2
    path = cache_path()
    if path.exists():
        print(f"pinyin index: {path.name} is up to date")
        return 0
    started = time.perf_counter()
    write_cache()
    print(f"pinyin index: built {path.name} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main(sys.argv[1:]))
