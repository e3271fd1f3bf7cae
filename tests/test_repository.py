"""The repository stands alone: nothing in it points at a file a user's clone does not have."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_no_file_refers_to_the_teams_design_notes_or_a_folder_beside_the_repository():
    files = subprocess.run(
        ["git", "ls-files", "*.py", "*.md", "*.sh", "*.toml", "*.kv", "*.cfg"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    design = "DESIGN" + ".md"  # both spelled apart so this file does not match itself
    sibling = ".." + "/shared"
    offenders = [
        name
        for name in files
        if name != "tests/test_repository.py"
        and (REPO / name).is_file()
        and (design in (text := (REPO / name).read_text(encoding="utf-8", errors="replace")) or sibling in text)
    ]
    assert offenders == []


def test_the_readme_links_the_documentation():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for doc in ("docs/architecture.md", "docs/commands.md"):
        assert doc in readme
        assert (REPO / doc).is_file()
