"""Griffe extension: riskmc's reST cross-references as links of the documentation site.

riskmc's docstrings are numpydoc, written for Sphinx: they cite other objects with roles
(``:func:`load_scenario```, ``:class:`~riskmc.engine.SimulationResult```) and end a paragraph
that introduces a literal block with ``::``. mkdocstrings reads the docstrings as Markdown,
where both would show as typed. This extension, loaded by ``mkdocs.yml``, rewrites them once the
package is loaded:

- a role becomes an optional cross-reference of mkdocs-autorefs, its target resolved in the
  scope of the object whose docstring cites it (as Sphinx resolves it): a link when the target
  is on a page of the site, the name as code otherwise (no warning: the API pages show the public
  names, and docstrings also cite private helpers and other libraries);
- ``~`` shows the last component only, as in Sphinx;
- a paragraph's closing ``::`` becomes ``:`` (the indented block after it is a code block in
  Markdown too);
- a numpydoc reference, ``.. [1] Author (year)``, becomes ``[1] Author (year)``.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|mod|data|obj|exc|const):`([^`]+)`")
LITERAL_INTRO = re.compile(r"(\S)::$", flags=re.M)
CITATION = re.compile(r"^(\s*)\.\. \[(\w+)\] ", flags=re.M)


def target(name: str, obj: griffe.Object) -> str:
    """The canonical path that ``name`` stands for in the docstring of ``obj``.

    A name that cannot be resolved (another library's, a typo) is returned as written. Where
    a package imports a function of the same name as its submodule (``riskmc.engine.simulate``),
    Griffe keeps the submodule and Python the function: the function is meant.
    """
    head, _, rest = name.partition(".")
    try:
        path = name if head == "riskmc" else obj.resolve(head) + (f".{rest}" if rest else "")
        found = obj.modules_collection[path]
        if found.is_alias:
            found = found.final_target
    except (griffe.NameResolutionError, griffe.AliasResolutionError, KeyError):
        return name
    parent = found.parent
    if found.is_module and parent is not None and found.name in parent.imports:
        return parent.imports[found.name]
    return found.path


def rewrite(text: str, obj: griffe.Object) -> str:
    """``text`` with its roles made cross-references, ``::`` made ``:``, references made text."""

    def link(match: re.Match[str]) -> str:
        written = match.group(1).lstrip("!")
        name = written.lstrip("~")
        shown = name.rsplit(".", 1)[-1] if written.startswith("~") else name
        identifier = html.escape(target(name, obj), quote=True)
        code = f"<code>{html.escape(shown)}</code>"
        return f'<autoref identifier="{identifier}" optional>{code}</autoref>'

    return CITATION.sub(r"\1[\2] ", LITERAL_INTRO.sub(r"\1:", ROLE.sub(link, text)))


def _objects(obj: griffe.Object) -> Any:
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _objects(member)


class SphinxRoles(griffe.Extension):
    """Rewrite every docstring of the package when it is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for obj in _objects(pkg):
            if obj.docstring is not None:
                obj.docstring.value = rewrite(obj.docstring.value, obj)
