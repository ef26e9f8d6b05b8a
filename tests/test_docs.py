"""The Python examples of the README and docs run, from the repository root, and print what
they show.

Every ```` ```python ```` block of a page runs, in order, in one namespace per page (as a reader
runs them one after another). A block followed at once by a ```` ```text title="Output" ````
block must print exactly that output (trailing spaces aside), so that the output shown in the
docs is what the code prints. After a deliberate change of the model or of an example,
``RISKMC_UPDATE_DOCS=1 pytest tests/test_docs.py`` writes the new outputs into the pages; read
the diff before committing it.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.util
import inspect
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import riskmc

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r'```python\n(.*?)```(?:[ \t]*\n\s*```text title="Output"\n(.*?)```)?', re.S)
UPDATE = os.environ.get("RISKMC_UPDATE_DOCS") == "1"


@dataclass(frozen=True)
class Mismatch:
    """An example whose printed output differs from the output shown under it."""

    line: int
    shown: str
    printed: str

    def diff(self, name: str) -> str:
        lines = difflib.unified_diff(
            self.shown.splitlines(), self.printed.splitlines(), "shown", "printed", lineterm=""
        )
        return f"{name}, block at line {self.line}:\n" + "\n".join(lines)


def _clean(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def run_page(text: str, name: str) -> tuple[list[Mismatch], str]:
    """Run a page's Python blocks in order; the mismatched outputs, and the page with the outputs
    as printed. An example that raises raises here."""
    namespace: dict[str, object] = {"__name__": "__docs__"}
    mismatches: list[Mismatch] = []
    pieces: list[str] = []
    end = 0
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(match.group(1), f"{name}:{line}", "exec"), namespace)
        if match.group(2) is None:
            continue
        got = _clean(printed.getvalue())
        if got != _clean(match.group(2)):
            mismatches.append(Mismatch(line, match.group(2), got))
        pieces += [text[end : match.start(2)], got + "\n"]
        end = match.end(2)
    return mismatches, "".join([*pieces, text[end:]])


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_examples_run_and_print_what_is_shown(path):
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        text = path.read_text(encoding="utf-8")
        mismatches, updated = run_page(text, str(path.relative_to(ROOT)))
    finally:
        os.chdir(here)
    if UPDATE and updated != text:
        path.write_text(updated, encoding="utf-8")
        return
    assert not mismatches, "\n\n".join(m.diff(path.name) for m in mismatches) + (
        "\n\nRISKMC_UPDATE_DOCS=1 pytest tests/test_docs.py writes the printed outputs."
    )


def test_each_user_of_the_spec_has_a_page_with_a_worked_example():
    pages = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "users").glob("*.md")}
    assert set(pages) == {"analyst", "lender", "logistics", "quant"}
    for name, text in pages.items():
        outputs = [m for m in BLOCK.finditer(text) if m.group(2) is not None]
        assert outputs, f"docs/users/{name}.md shows no output of its example"


def test_a_wrong_output_is_found_and_rewritten():
    page = 'Text.\n\n```python\nprint(1 + 1)\n```\n\n```text title="Output"\n3\n```\nMore.\n'
    mismatches, updated = run_page(page, "page.md")
    assert [(m.line, m.shown, m.printed) for m in mismatches] == [(3, "3\n", "2")]
    assert updated == page.replace("\n3\n", "\n2\n")
    assert run_page(updated, "page.md")[0] == []


def test_an_example_that_raises_fails():
    page = "```python\nx = 1\n```\n\n```python\nimport riskmc\nriskmc.no_such_thing\n```\n"
    with pytest.raises(AttributeError, match="no_such_thing"):
        run_page(page, "page.md")


def test_blocks_of_a_page_share_their_names():
    page = (
        '```python\nx = 41\n```\n\n```python\nprint(x + 1)\n```\n```text title="Output"\n42\n```\n'
    )
    assert run_page(page, "page.md")[0] == []


@pytest.mark.parametrize(
    "function",
    [riskmc.simulate, riskmc.sample_hazard, riskmc.compare, riskmc.load_scenario],
    ids=lambda f: f.__name__,
)
def test_docstring_documents_every_parameter(function):
    """The API reference renders the numpydoc Parameters section: it must name every keyword."""
    doc = inspect.getdoc(function) or ""
    section = re.search(r"Parameters\n-+\n(.*?)(?:\n\n[A-Z][a-z]+\n-+\n|\Z)", doc, flags=re.S)
    assert section is not None
    documented = set(re.findall(r"^\**(\w+)(?: :|$)", section.group(1), flags=re.M))
    assert set(inspect.signature(function).parameters) <= documented


@pytest.mark.skipif(
    "RISKMC_DOCS_SITE" not in os.environ, reason="needs a built site: RISKMC_DOCS_SITE=DIR"
)
def test_site_api_page_of_simulate_lists_every_keyword():
    """.ci/run builds the site with ``mkdocs build --strict`` and then runs this test on it."""
    page = Path(os.environ["RISKMC_DOCS_SITE"]) / "api" / "engine" / "index.html"
    html = page.read_text(encoding="utf-8")
    start = html.index('<h2 id="riskmc.engine.simulate.simulate"')
    section = html[start : html.index("<h2 ", start + 1)]  # up to the next object
    for name in inspect.signature(riskmc.simulate).parameters:
        assert f"<code>{name}</code>" in section, name


def test_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, flags=re.S)
    assert first_block is not None
    lines = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert lines[:2] == ["pip install . && riskmc run", 'pip install -e ".[test]" && pytest']


def test_docstring_cross_references_become_links_of_the_site():
    """The griffe extension of mkdocs.yml resolves reST roles as Sphinx would, in scope."""
    griffe = pytest.importorskip("griffe")
    spec = importlib.util.spec_from_file_location("sphinx_roles", ROOT / "docs/ext/sphinx_roles.py")
    assert spec is not None
    assert spec.loader is not None
    roles = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(roles)
    package = griffe.load("riskmc", search_paths=[str(ROOT)])
    simulate = package["engine.simulate.simulate"]
    assert roles.target("SimulationResult", simulate) == "riskmc.engine.simulate.SimulationResult"
    assert roles.target("riskmc.load_scenario", simulate) == "riskmc.scenario.loading.load_scenario"
    assert roles.target("riskmc.simulate", simulate) == "riskmc.engine.simulate.simulate"
    assert roles.target("numpy.random.Generator", simulate) == "numpy.random.Generator"
    text = "See :func:`~riskmc.load_scenario` and :class:`SimulationResult`. A folder holds::"
    assert roles.rewrite(text, simulate) == (
        'See <autoref identifier="riskmc.scenario.loading.load_scenario" optional>'
        "<code>load_scenario</code></autoref> and "
        '<autoref identifier="riskmc.engine.simulate.SimulationResult" optional>'
        "<code>SimulationResult</code></autoref>. A folder holds:"
    )
    assert roles.rewrite("    .. [1] Klein (2003).", simulate) == "    [1] Klein (2003)."
