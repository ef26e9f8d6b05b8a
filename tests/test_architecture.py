"""The house rules of STYLE.md and issue 23, read from the source with ``ast``.

- no module of ``riskmc/`` over 600 lines, no function over 150;
- imports point one way down the pipeline: data and scenario, then hazard and network,
  then supply and calibration, then engine, then analysis, then the command line and the
  package root; a module never imports one of a later stage (lazy imports included);
- no import cycle between modules.

The rooms too big when these rules were written down (session 13) were listed in ``KNOWN``
sets, and issue 23 split them all (session 14): the sets are empty. A test fails when a
listed room has been mended but is still listed, so the lists can only shrink.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "riskmc"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 150
#: Pipeline stage of each sub-package; the package root and the command line are last.
STAGES = {
    "data": 0,
    "scenario": 0,
    "hazard": 1,
    "network": 1,
    "supply": 2,
    "calibration": 2,
    "engine": 3,
    "analysis": 4,
}
LAST = 5

#: Exceptions to the rules: none since issue 23 split the rooms (session 14). A room that
#: must stay long for a reason gets an entry here with that reason in a comment.
KNOWN_LONG_MODULES: set[str] = set()
KNOWN_LONG_FUNCTIONS: set[tuple[str, str]] = set()
KNOWN_UPWARD: set[tuple[str, str]] = set()
KNOWN_CYCLES: set[frozenset[str]] = set()


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in sorted(ROOT.rglob("*.py"))}
TREES = {m: ast.parse(p.read_text(encoding="utf-8"), str(p)) for m, p in MODULES.items()}


def _stage(module: str) -> int:
    parts = module.split(".")
    return STAGES.get(parts[1], LAST) if len(parts) > 1 else LAST


def _package(module: str) -> str:
    return module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]


def _imports(module: str) -> set[str]:
    """The riskmc modules ``module`` imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(TREES[module]):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "riskmc")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package(module).split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "riskmc":
                continue
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
            found.update(subs or [target])
    return {m for m in found if m in MODULES and m != module}


IMPORTS = {m: _imports(m) for m in MODULES}


def _long_modules() -> set[str]:
    return {
        m
        for m, p in MODULES.items()
        if len(p.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES
    }


def _long_functions() -> set[tuple[str, str]]:
    return {
        (m, node.name)
        for m, tree in TREES.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.end_lineno or node.lineno) - node.lineno + 1 > MAX_FUNCTION_LINES
    }


def _upward() -> set[tuple[str, str]]:
    return {(m, t) for m, targets in IMPORTS.items() for t in targets if _stage(t) > _stage(m)}


def _cycles() -> set[frozenset[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    groups: set[frozenset[str]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in IMPORTS[v]:
            if w.startswith(v + ".") or v.startswith(w + "."):
                continue  # a package and its own modules
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.add(frozenset(group))

    for v in MODULES:
        if v not in index:
            visit(v)
    return groups


@pytest.mark.parametrize(
    ("found", "known", "rule"),
    [
        (_long_modules, KNOWN_LONG_MODULES, f"modules over {MAX_MODULE_LINES} lines"),
        (_long_functions, KNOWN_LONG_FUNCTIONS, f"functions over {MAX_FUNCTION_LINES} lines"),
        (_upward, KNOWN_UPWARD, "imports of a later pipeline stage"),
        (_cycles, KNOWN_CYCLES, "import cycles"),
    ],
    ids=["module-length", "function-length", "one-way", "cycles"],
)
def test_the_house_rules_hold_but_for_the_known_rooms(found, known, rule):  # type: ignore[no-untyped-def]
    now = found()
    assert not now - known, f"new {rule}: {sorted(map(str, now - known))}"
    assert not known - now, f"mended, remove from the known list: {sorted(map(str, known - now))}"


def test_the_rules_see_what_they_look_for(monkeypatch):  # type: ignore[no-untyped-def]
    # the checker itself: known cases it must find
    assert _stage("riskmc.hazard.kernel") == 1
    assert _stage("riskmc") == LAST
    assert _stage("riskmc.cli") == LAST
    # report.py read the version from the package root, an import of the last stage (until
    # issue 23 gave analysis its own reader): such a line would be seen, and be upward
    tree = ast.parse("def f():\n    from riskmc import __version__\n")
    monkeypatch.setitem(TREES, "riskmc.analysis.report", tree)
    assert "riskmc" in _imports("riskmc.analysis.report")
    assert _stage("riskmc") > _stage("riskmc.analysis.report")
    assert any(t.startswith("riskmc.scenario") for t in IMPORTS["riskmc.hazard.sample"])
    by_length = defaultdict(set)
    for m, p in MODULES.items():
        by_length[len(p.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES].add(m)
    assert by_length[True] == _long_modules()


def test_the_architecture_page_describes_every_folder_and_names_real_files():
    # docs/architecture.md: a paragraph per sub-package, and every file or folder it names in
    # backticks exists, so that the page cannot drift from the house unnoticed
    page = (ROOT.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    folders = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert folders >= {"analysis", "calibration", "data", "engine", "hazard", "network"}
    missing = {f for f in folders if f"**`riskmc/{f}`**" not in page}
    assert not missing, f"no paragraph for {sorted(missing)}"
    names = {p.name for p in ROOT.rglob("*.py")} | {p.name + "/" for p in ROOT.rglob("*/")}
    named = {t.rpartition("/")[2] or t.rstrip("/").rpartition("/")[2] + "/" for t in _ticked(page)}
    unknown = sorted(n for n in named if n not in names)
    assert not unknown, f"docs/architecture.md names files that do not exist: {unknown}"


def _ticked(page: str) -> list[str]:
    """Backticked tokens of a page that name a Python file or a folder of riskmc."""
    tokens = re.findall(r"`([A-Za-z_/]+(?:\.py|/))`", page)
    return [t for t in tokens if not t.startswith(("tests/", "docs/", "benchmarks/"))]
