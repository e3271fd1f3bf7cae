"""Code and tests read nothing from a folder beside the repository.

Tests once read their face images from a shared folder next to the developer's checkout; a user's
clone has no such folder, so those tests failed there. Test data lives under tests/data. (Citations
of documents outside the repository are guarded by tests/test_repository.py.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Not the project's files: the virtualenv, caches, version control, and data/ (what runs leave).
SKIPPED_DIRS = {".venv", ".git", ".ruff_cache", ".pytest_cache", "__pycache__", "node_modules"}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".sh", ".txt", ".in", ".cfg", ".ini", ".yml", ".yaml", ".html", ".mako"}
SIBLING = "shared"
PATTERNS = [
    re.compile(r"['\"]" + SIBLING + r"['\"]\s*[/,)]"),  # Path(...) / "shared" / ..., os.path.join(..., "shared")
    re.compile(SIBLING + r"/data/"),  # the sibling folder's data/faces
    re.compile(r"(?:parents\[\d+\]|REPO|ROOT|REPO_ROOT)\.parent\b"),  # the folder above the repository
]


def _project_files() -> list[Path]:
    files = []
    for folder, dirs, names in os.walk(REPO):
        here = Path(folder)
        # Pruned in place so os.walk never enters the virtualenv or the run data.
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not (here == REPO and d == "data")]
        for name in names:
            path = here / name
            if path == Path(__file__).resolve():
                continue  # its patterns are what it looks for
            if path.suffix in TEXT_SUFFIXES or path.relative_to(REPO).parts[0] == ".ci":
                files.append(path)
    return files


def test_nothing_refers_to_a_folder_beside_the_repository() -> None:
    files = _project_files()
    assert any(path.name == "main.py" for path in files)
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if any(pattern.search(line) for pattern in PATTERNS):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert found == []


def test_test_data_is_inside_the_repository() -> None:
    data = REPO / "tests" / "data"
    assert (data / "faces" / "pairs.csv").is_file()
    assert data.resolve().is_relative_to(REPO)
