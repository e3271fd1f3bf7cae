"""Import rules of the project, read from the source with ``ast`` (nothing is imported or run).

Every project ``.py`` file is parsed and every import in it counts, wherever it sits: at module
level, under ``if TYPE_CHECKING:``, inside a function (a lazy import is still a dependency).

1. ``server/`` imports nothing of kiosk, drivers, screens or cli: what it shares with the terminal
   is in ``common/``.
2. ``kiosk/`` (the plain-Python domain) imports nothing of kivy, cv2, smartcard, screens, cli or
   drivers.
3. ``common/`` imports no other project package, nor the terminal's device libraries or the
   server's web and database libraries, so both sides can load it.
4. No import cycle among project modules, in the graph of module-level imports: those that run
   when the module is imported, plus those under ``if TYPE_CHECKING:`` (a type checker follows
   them, and a circle hidden there is still a circle). Imports inside functions run later and are
   left out of this graph only; rules 1-3 count them. An edge goes to the module an import names,
   not to its parent packages, whose ``__init__`` Python runs first anyway.
"""

from __future__ import annotations

import ast
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
# Not project code: caches, build output and the runtime data directory (dot-directories such as
# .venv and .git are skipped too).
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "build", "dist"})
SKIPPED_TOP = frozenset({"data"})

SERVER_MUST_NOT_IMPORT = ("kiosk", "drivers", "screens", "cli")
KIOSK_MUST_NOT_IMPORT = ("kivy", "cv2", "smartcard", "screens", "cli", "drivers")
COMMON_THIRD_PARTY_BANNED = ("kivy", "cv2", "smartcard", "dlib", "fastapi", "starlette", "sqlalchemy")
# No cycle is allowed (the last one, kiosk.controller ↔ kiosk.face_flow, went with the session core).
TOLERATED_CYCLES: frozenset[frozenset[str]] = frozenset()


@dataclass(frozen=True)
class Import:
    """One import statement's target as written (absolute), where it is, and the name it brings in."""

    importer: str  # module doing the import
    target: str  # absolute dotted name: "a.b" for ``import a.b``, "a.b.c" for ``from a.b import c``
    base: str  # "a.b" for both: the module the statement certainly imports
    path: Path
    line: int
    in_function: bool  # inside a def or lambda: runs when called, not when the module is imported

    @property
    def top(self) -> str:
        return self.target.split(".", 1)[0]


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name → file, for every project .py file under ``root``."""
    out: dict[str, Path] = {}
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        # Pruned while walking, so the virtual environment is never read.
        subdirs[:] = sorted(
            d
            for d in subdirs
            if not d.startswith(".") and d not in SKIPPED_DIRS and not (here == root and d in SKIPPED_TOP)
        )
        for name in sorted(f for f in files if f.endswith(".py")):
            names = list((here / name).relative_to(root).with_suffix("").parts)
            if names[-1] == "__init__":
                names.pop()
            if names:
                out[".".join(names)] = here / name
    return out


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _walk(node: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node below ``node``, and whether a function body encloses it."""
    for child in ast.iter_child_nodes(node):
        yield child, in_function
        yield from _walk(child, in_function or isinstance(child, _FUNCTIONS))


def imports_of(module: str, path: Path) -> Iterator[Import]:
    """Every import in the file, with relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node, in_function in _walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, alias.name, path, node.lineno, in_function)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                target = base if alias.name == "*" else f"{base}.{alias.name}"
                yield Import(module, target, base, path, node.lineno, in_function)


def all_imports(root: Path) -> list[Import]:
    return [imp for module, path in module_files(root).items() for imp in imports_of(module, path)]


def resolve(imp: Import, modules: set[str]) -> str | None:
    """The project module an import loads: ``a.b.c`` if it is a module, else the longest known
    prefix of ``a.b``; None for anything outside the project."""
    if imp.target in modules:
        return imp.target
    name = imp.base
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(root: Path, with_functions: bool = False) -> dict[str, set[str]]:
    """Module → the project modules it imports; imports inside functions only if ``with_functions``."""
    modules = set(module_files(root))
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in all_imports(root):
        if imp.in_function and not with_functions:
            continue
        target = resolve(imp, modules)
        if target is not None and target != imp.importer:
            graph[imp.importer].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _violations(package: str, banned: tuple[str, ...], root: Path = ROOT) -> list[str]:
    return [
        f"{imp.path.relative_to(root)}:{imp.line} {imp.importer} imports {imp.target}"
        for imp in all_imports(root)
        if imp.importer.split(".", 1)[0] == package and imp.top in banned
    ]


def test_server_imports_nothing_of_the_terminal() -> None:
    assert _violations("server", SERVER_MUST_NOT_IMPORT) == []


def test_kiosk_domain_imports_no_ui_device_or_driver_code() -> None:
    assert _violations("kiosk", KIOSK_MUST_NOT_IMPORT) == []


def test_common_imports_no_other_project_package_nor_side_specific_libraries() -> None:
    others = tuple(sorted({m.split(".", 1)[0] for m in module_files(ROOT)} - {"common"}))
    assert "kiosk" in others and "server" in others
    assert _violations("common", others + COMMON_THIRD_PARTY_BANNED) == []


def test_no_import_cycles() -> None:
    # Imports inside functions count too: a lazy import that closes a loop only hides it.
    found = [c for c in cycles(import_graph(ROOT, with_functions=True)) if frozenset(c) not in TOLERATED_CYCLES]
    assert found == [], f"import cycles: {found}"


# The checks above are only as good as the parsing: prove it on a small made-up project.


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n",
        "pkg/b.py": "class K:\n    from . import c\n\n\ndef f():\n    import kivy.uix\n",
        "pkg/c.py": "from .a import thing\n",
        "pkg/d.py": "import pkg.a\nfrom pkg import a\n",
        "pkg/e.py": "def later():\n    import pkg.f\n",
        "pkg/f.py": "import pkg.e\n",
        "other/__init__.py": "from pkg.d import *\n",
        ".venv/x.py": "import pkg.a\n",
        "data/y.py": "import pkg.a\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_parsing_counts_type_checking_relative_and_function_level_imports(toy: Path) -> None:
    assert set(module_files(toy)) == {"pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.d", "pkg.e", "pkg.f", "other"}
    graph = import_graph(toy)
    assert graph["pkg.a"] == {"pkg.b"}  # under TYPE_CHECKING
    assert graph["pkg.b"] == {"pkg.c"}  # relative, in a class body (runs at import)
    assert graph["pkg.c"] == {"pkg.a"}
    assert graph["pkg.d"] == {"pkg.a"}
    assert graph["pkg.e"] == set()  # inside a function: not a module-level import
    assert graph["other"] == {"pkg.d"}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
    assert cycles(import_graph(toy, with_functions=True)) == [["pkg.a", "pkg.b", "pkg.c"], ["pkg.e", "pkg.f"]]
    assert _violations("pkg", ("kivy",), toy) == ["pkg/b.py:6 pkg.b imports kivy.uix"]  # a function's import counts
