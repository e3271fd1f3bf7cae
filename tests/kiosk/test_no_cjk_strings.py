"""No Chinese words in the kiosk's Python outside the message catalogue.

Every text a resident reads is a key in kiosk/locale; a Chinese string literal in kiosk/ or
screens/ (or demo/) is a text that the language buttons cannot switch. Not counted: docstrings and comments
(for developers), log and exception messages (for the log and staff), punctuation alone (layout
separators such as "：" and "】"), and the places allowed below, each with its reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("kiosk", "screens", "demo")
# CJK ideographs (unified, extension A, compatibility); punctuation and full-width forms are not words.
IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})

# (file, enclosing function or class, or "*" for the whole file) → why its Chinese literals stay.
ALLOWED = {
    ("demo/stories.py", "*"): "the scripted journey's expected on-screen words: test data",
    ("demo/dock.py", "*"): "the demo operator's dock beside the kiosk: bilingual on purpose, not resident UI",
    (
        "kiosk/layouts.py",
        "build_test_page",
    ): "staff's printer test page: bilingual on purpose, and a CJK punctuation sample",
    ("kiosk/application_forms/unemployment.py", "*"): "codes sent to the gateway (the screen shows their form.* keys)",
    ("kiosk/application_forms/pension_card.py", "*"): "codes sent to the gateway (the screen shows their form.* keys)",
    ("kiosk/application_forms/services.py", "*"): "codes sent to the gateway (the screen shows their form.* keys)",
    ("demo/wizard_stories.py", "*"): "the wizard journeys' expected on-screen words: test data",
    ("demo/wizard_answers.py", "sample_answer"): "the Chinese answers the tour types in pinyin: test data",
}


class _Finder(ast.NodeVisitor):
    """Collects (line, enclosing qualified name, text) of string literals holding ideographs."""

    def __init__(self) -> None:
        self.scope: list[str] = []
        self.skip: set[int] = set()
        self.found: list[tuple[int, str, str]] = []

    def _scoped(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._skip_docstring(node)
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _scoped

    def visit_Module(self, node: ast.Module) -> None:
        self._skip_docstring(node)
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        self.skip.update(id(n) for n in ast.walk(node))  # exception messages are for the log and staff

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr in LOG_METHODS:
            self.skip.update(id(n) for n in ast.walk(node))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and id(node) not in self.skip and IDEOGRAPH.search(node.value):
            self.found.append((node.lineno, ".".join(self.scope), node.value))

    def _skip_docstring(self, node: ast.AST) -> None:
        body = getattr(node, "body", [])
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            self.skip.add(id(body[0].value))


def chinese_literals(path: Path) -> list[tuple[int, str, str]]:
    finder = _Finder()
    finder.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return finder.found


def allowed(relative: str, scope: str) -> bool:
    """Allowed for the whole file, or for the function or class it is in (or one enclosing that)."""
    parts = scope.split(".") if scope else []
    enclosing = {".".join(parts[:i]) for i in range(1, len(parts) + 1)} | {"*"}
    return any((relative, name) in ALLOWED for name in enclosing)


def test_no_chinese_string_literal_outside_the_catalogue() -> None:
    offenders = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            for line, scope, text in chinese_literals(path):
                if not allowed(relative, scope):
                    offenders.append(f"{relative}:{line} ({scope or 'module'}): {text[:40]!r}")
    assert offenders == [], "put these texts in kiosk/locale (docs/i18n.md):\n" + "\n".join(offenders)


def test_the_scan_finds_a_table_and_spares_docstrings_logs_and_errors(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""模块说明。"""\n'
        "import logging\n"
        "LABELS = {'name': '姓名'}\n"
        "def f():\n"
        '    """函数说明。"""\n'
        "    logging.getLogger().info('补打 %s', 1)\n"
        "    raise ValueError('简体')\n"
        "SEPARATOR = '：'\n",
        encoding="utf-8",
    )
    assert chinese_literals(sample) == [(3, "", "姓名")]
