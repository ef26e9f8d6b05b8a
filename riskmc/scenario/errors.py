"""Turn validation failures into one-line messages: ``file: field.path: rule``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from riskmc.scenario.distributions import DISTRIBUTIONS

__all__ = ["ScenarioError", "format_path", "from_validation_error"]


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with every problem found.

    ``str(error)`` is one line: the file, the field path and the rule of the
    first problem, e.g.
    ``bad.yaml: districts[3].attacks_per_year: must be >= 0, got -2``,
    followed by the count of further problems, if any.

    Attributes
    ----------
    file : str
        The file that was being loaded ('<memory>' for a mapping).
    problems : list of (str, str)
        ``(field path, rule)`` pairs, in document order. The path is empty for
        a problem of the whole file (e.g. malformed YAML).
    """

    def __init__(
        self,
        file: str | Path,
        problems: Sequence[tuple[str, str]],
        files: Sequence[str | Path] | None = None,
    ) -> None:
        self.file = str(file)
        self.problems = list(problems) or [("", "invalid scenario")]
        #: The file each problem is in: ``file``, or a file it ``extends:`` that set the value.
        self.files = [str(f) for f in files] if files else [self.file] * len(self.problems)
        super().__init__(self.lines()[0] + self._more())

    def lines(self) -> list[str]:
        """One line per problem."""
        return [
            f"{file}: {path}: {rule}" if path else f"{file}: {rule}"
            for file, (path, rule) in zip(self.files, self.problems, strict=True)
        ]

    def _more(self) -> str:
        n = len(self.problems) - 1
        return f" (and {n} more problem{'s' * (n > 1)})" if n else ""


def format_path(loc: Sequence[int | str]) -> str:
    """``('districts', 3, 'attacks_per_year')`` -> ``districts[3].attacks_per_year``.

    Union tags (``<number>``, ``<lognormal>``, ...) are internal and dropped.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("<") and part.endswith(">"):
            continue
        elif not out:
            out = part
        else:
            out += f".{part}"
    return out


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "null"
    return repr(value)


def _rule(err: ErrorDetails) -> str:
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    got = _show(err.get("input"))
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        op, key = bounds[kind]
        return f"must be {op} {_show(ctx[key])}, got {got}"
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing"):
        return f"must be a number, got {got}"
    if kind == "finite_number":
        return f"must be a finite number, got {got}"
    if kind == "string_type":
        return f"must be a string, got {got}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} items, got {ctx.get('actual_length')}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "bool_type":
        return f"must be true or false, got {got}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, got {got}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping of keys to values, got {got}"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}, got {got}"
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag", "")).strip("<>")
        expected = [t.strip(" '<>") for t in str(ctx.get("expected_tags", "")).split(",")]
        what = "distribution" if set(expected) <= set(DISTRIBUTIONS) else "kind"
        return f"unknown {what} {tag!r}; expected one of {', '.join(expected)}"
    if kind == "union_tag_not_found":
        if len(err["loc"]) == 2 and err["loc"][0] == "stress":
            return "needs a 'kind' key, one of closure, blackout, seizure, attack"
        names = ", ".join(DISTRIBUTIONS)
        return f"a distribution needs a 'dist' key, one of {names}"
    if kind in ("riskmc_rule", "riskmc_reference"):
        return err["msg"]
    if kind == "value_error":
        return err["msg"].removeprefix("Value error, ")
    return err["msg"]


def from_validation_error(
    file: str | Path,
    error: ValidationError,
    origin: Callable[[Sequence[int | str]], str | Path] | None = None,
) -> ScenarioError:
    """Convert a pydantic ``ValidationError`` into a :class:`ScenarioError`.

    ``origin`` maps a problem's location to the file that set it (for a
    scenario merged by ``extends:``); by default every problem is ``file``'s.
    """
    problems = []
    files: list[str | Path] = []
    for err in error.errors(include_url=False):
        loc = list(err["loc"])
        if err["type"] == "riskmc_reference":
            # Cross-checks name their field relative to where they run.
            loc.extend(str((err.get("ctx") or {})["path"]).split("."))
        problems.append((format_path(loc), _rule(err)))
        files.append(file if origin is None else origin(loc))
    return ScenarioError(file, problems, files)
