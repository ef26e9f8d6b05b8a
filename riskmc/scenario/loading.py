"""Read scenario files (YAML or TOML), resolve ``extends:``, validate.

``extends: base.yaml`` names another scenario file, relative to the file that
extends it, or the name of a shipped scenario (``extends: balochistan.yaml``).
The extending file is merged onto its base:

- mappings merge key by key, recursively;
- lists whose items all carry a ``name`` (districts, places, segments,
  projects) merge item by item on that name: an item with a known name is
  merged onto it, a new name is appended;
- anything else (numbers, distributions' fields, ``stress:``, other lists)
  replaces what the base had.

A distribution is replaced whole when its ``dist`` changes, so that
``{dist: fixed, value: 3}`` never inherits a base's ``median``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Hashable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import ValidationError

from riskmc.scenario.errors import ScenarioError, from_validation_error
from riskmc.scenario.files import SCENARIO_MAX_BYTES, file_problem
from riskmc.scenario.schema import Scenario

__all__ = [
    "as_scenario",
    "default_scenario",
    "load_scenario",
    "merge",
    "read_document",
    "resolve_document",
    "scenario_from_dict",
    "shipped_scenarios",
]

DEFAULT_SCENARIO = "balochistan.yaml"
SUFFIXES = (".yaml", ".yml", ".toml")


class _Loader(yaml.SafeLoader):
    """Safe YAML loader that reads ``1e6`` as a number and rejects duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor`: its keys may be overridden, not duplicated
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    "a key must be a plain value, not a list or mapping",
                    key_node.start_mark,
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Dates stay text here and are parsed by the schema, so that `2026-13-01` is
# reported against its field rather than failing inside the YAML parser.
def _timestamp_as_text(loader: _Loader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)

# PyYAML follows YAML 1.1, where ``1e6`` (no dot) is a string; YAML 1.2 and every
# user expect a number.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.VERBOSE,
    ),
    list("-+0123456789."),
)


def _shipped_dir() -> Path:
    packaged = Path(str(resources.files("riskmc"))) / "scenarios"
    if packaged.is_dir():
        return packaged
    # A source checkout or an editable install: scenarios/ sits beside riskmc/.
    return Path(__file__).resolve().parents[2] / "scenarios"


def shipped_scenarios() -> dict[str, Path]:
    """The scenario files shipped with riskmc, by file name."""
    folder = _shipped_dir()
    return {p.name: p for p in sorted(folder.iterdir()) if p.suffix in SUFFIXES}


def read_document(path: str | Path) -> dict[str, Any]:
    """Parse one scenario file into a mapping, without resolving ``extends:``.

    Raises
    ------
    ScenarioError
        If the file is missing, not YAML or TOML, malformed, or not a mapping.
    """
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ScenarioError(path, [("", "unsupported file type; use .yaml, .yml or .toml")])
    problem = file_problem(path, SCENARIO_MAX_BYTES)
    if problem is not None:
        raise ScenarioError(path, [("", problem)])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, [("", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, [("", f"cannot read: {exc}")]) from None
    doc: Any
    if path.suffix == ".toml":
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(path, [("", f"malformed TOML: {exc}")]) from None
        except RecursionError:
            raise ScenarioError(path, [("", "malformed TOML: nested too deeply")]) from None
    else:
        try:
            doc = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
        except yaml.MarkedYAMLError as exc:
            where = exc.problem_mark or exc.context_mark
            at = f"line {where.line + 1}, column {where.column + 1}: " if where else ""
            what = exc.problem or exc.context or "syntax error"
            raise ScenarioError(path, [("", f"{at}malformed YAML: {what}")]) from None
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            what = " ".join(str(exc).split())
            raise ScenarioError(path, [("", f"malformed YAML: {what}")]) from None
        except RecursionError:
            raise ScenarioError(path, [("", "malformed YAML: nested too deeply")]) from None
    if doc is None:
        raise ScenarioError(path, [("", "the file is empty")])
    if not isinstance(doc, dict):
        raise ScenarioError(path, [("", "must be a mapping of keys to values at the top level")])
    return doc


def _is_named_list(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(x, dict) and "name" in x for x in items)


def merge(base: Any, overlay: Any) -> Any:
    """Merge ``overlay`` onto ``base`` by the rules of the module docstring."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        if "dist" in overlay and overlay.get("dist") != base.get("dist"):
            return dict(overlay)
        out = dict(base)
        for key, value in overlay.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    if _is_named_list(base) and _is_named_list(overlay) and overlay:
        out_list = list(base)
        index = {item["name"]: i for i, item in enumerate(out_list)}
        for item in overlay:
            if item["name"] in index:
                out_list[index[item["name"]]] = merge(out_list[index[item["name"]]], item)
            else:
                index[item["name"]] = len(out_list)
                out_list.append(item)
        return out_list
    return overlay


def _resolved(path: Path, owner: Path | None = None) -> Path:
    """``path.resolve()``, or the one-line error of a link loop (a RuntimeError in 3.11)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        problem = file_problem(path, SCENARIO_MAX_BYTES) or "cannot read: a symbolic link loop"
        if owner is None:
            raise ScenarioError(path, [("", problem)]) from None
        raise ScenarioError(owner, [("extends", f"{path}: {problem}")]) from None


def _find_base(name: Any, child: Path) -> Path:
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(child, [("extends", "must be the path of a scenario file")])
    candidate = _resolved(child.parent / name, child)
    if candidate.is_file():
        return candidate
    if candidate.exists():  # there, but not a file to read (a FIFO, a device, a folder)
        return candidate  # read_document names the problem
    shipped = shipped_scenarios()
    for key in (name, f"{name}.yaml"):
        if key in shipped:
            return shipped[key].resolve()
    raise ScenarioError(
        child,
        [
            (
                "extends",
                f"no such scenario {name!r} (a path relative to this file, or one of "
                f"{', '.join(shipped)})",
            )
        ],
    )


#: A file of an ``extends:`` chain and what it says itself (without ``extends``).
_Layer = tuple[Path, dict[str, Any]]


#: Longest ``extends:`` chain (a guard: each link is a nested call).
MAX_EXTENDS = 100


def _resolve(path: Path, chain: tuple[Path, ...]) -> tuple[dict[str, Any], list[_Layer]]:
    here = _resolved(path)
    if here in chain:
        loop = " -> ".join(p.name for p in (*chain, here))
        raise ScenarioError(chain[0], [("extends", f"loop: {loop}")])
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(chain[0], [("extends", f"more than {MAX_EXTENDS} files deep")])
    doc = read_document(path)
    if "extends" not in doc:
        return doc, [(path, doc)]
    base, layers = _resolve(_find_base(doc["extends"], here), (*chain, here))
    overlay = {k: v for k, v in doc.items() if k != "extends"}
    return cast(dict[str, Any], merge(base, overlay)), [(path, overlay), *layers]


def resolve_document(path: str | Path) -> dict[str, Any]:
    """Read ``path`` and everything it ``extends:``, merged into one mapping."""
    return _resolve(Path(path), ())[0]


def extends_chain(path: str | Path) -> list[Path]:
    """The files a scenario is read from: itself, then each file it ``extends:``, resolved.

    A base found among the shipped scenarios, or outside the scenario's own
    folder, shows here with its full path.
    """
    return [p.resolve() for p, _ in _resolve(Path(path), ())[1]]


def _depth_in(layer: Any, merged: Any, loc: Sequence[int | str]) -> tuple[int, int | None]:
    """How many steps of ``loc`` (a location in ``merged``) one file's own text contains.

    Also returns the depth of the first list on the way that the merge takes
    whole from this file (a list not merged by name), or None: a file that
    extends this one cannot own anything below it.
    """
    depth = 0
    whole = None
    for part in loc:
        if isinstance(part, int):
            if not isinstance(layer, list) or not isinstance(merged, list):
                break
            if whole is None and not _is_named_list(layer):
                whole = depth
            if part >= len(merged):
                break
            item = merged[part]
            if _is_named_list(layer) and isinstance(item, dict) and "name" in item:
                # lists of named items merge by name: find the item by its name
                same = [x for x in layer if x["name"] == item["name"]]
                if not same:
                    break
                layer = same[0]
            elif part < len(layer):
                layer = layer[part]
            else:
                break
            merged = item
        elif isinstance(part, str) and part.startswith("<") and part.endswith(">"):
            continue  # a union tag, not a key
        else:
            if not isinstance(layer, dict) or part not in layer:
                break
            layer = layer[part]
            merged = merged.get(part) if isinstance(merged, dict) else None
        depth += 1
    return depth, whole


def origin_of(loc: Sequence[int | str], layers: Sequence[_Layer], merged: dict[str, Any]) -> Path:
    """The file of an ``extends:`` chain that set the value at ``loc``.

    The file whose own text reaches deepest into ``loc``; on a tie, the one
    that extends the others (it was merged last). Below a list that a file
    replaces whole, the files it extends own nothing. ``layers`` runs from
    the file loaded to its furthest base.
    """
    best, where = -1, layers[0][0]
    cap = len(loc)
    for path, doc in layers:
        depth, whole = _depth_in(doc, merged, loc)
        depth = min(depth, cap)
        if depth > best:
            best, where = depth, path
        if whole is not None:
            cap = min(cap, whole)
    return where


def _anchor_history(doc: dict[str, Any], layers: Sequence[_Layer]) -> None:
    """Make ``hazard.history.events`` absolute, from the folder of the file that set it."""
    hazard = doc.get("hazard")
    history = hazard.get("history") if isinstance(hazard, dict) else None
    events = history.get("events") if isinstance(history, dict) else None
    if not isinstance(history, dict) or not isinstance(events, str) or not events:
        return
    if Path(events).is_absolute():
        return
    owner = origin_of(("hazard", "history", "events"), layers, doc)
    history["events"] = str(owner.parent / events)


def scenario_from_dict(doc: dict[str, Any], file: str | Path = "<memory>") -> Scenario:
    """Validate a mapping (as read from a file) into a :class:`Scenario`.

    Raises
    ------
    ScenarioError
        Naming ``file``, the field path and the rule of every problem.
    """
    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        raise from_validation_error(file, exc) from None


def as_scenario(value: object, argument: str = "scenario") -> Scenario:
    """A scenario given as a :class:`Scenario` or as the path of a scenario file.

    What every entry point that takes "a scenario or a path" calls, so that all
    of them load a path the same way and refuse anything else with the same
    one-line :class:`TypeError`, naming ``argument``.

    >>> from riskmc.scenario import shipped_scenarios
    >>> as_scenario(shipped_scenarios()["tiny.yaml"]).name
    'tiny'
    >>> as_scenario(3.5)
    Traceback (most recent call last):
    ...
    TypeError: scenario: must be a Scenario or the path of a scenario file, got float
    """
    if isinstance(value, Scenario):
        return value
    if isinstance(value, str | os.PathLike):
        return load_scenario(os.fspath(value))
    raise TypeError(
        f"{argument}: must be a Scenario or the path of a scenario file, got {type(value).__name__}"
    )


def load_scenario(path: str | Path) -> Scenario:
    """Load, merge (``extends:``) and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        A ``.yaml``, ``.yml`` or ``.toml`` file.

    Returns
    -------
    Scenario
        The validated, frozen scenario.

    Raises
    ------
    ScenarioError
        With a one-line message naming the file, the field and the rule.

    Examples
    --------
    >>> import riskmc
    >>> from riskmc.scenario import shipped_scenarios
    >>> s = riskmc.load_scenario(shipped_scenarios()["tiny.yaml"])
    >>> s.name, s.districts[0].attacks_per_year
    ('tiny', 24.0)
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path: must be the path of a scenario file, got {type(path).__name__}")
    doc, layers = _resolve(Path(path), ())
    _anchor_history(doc, layers)
    if len(layers) == 1:
        return scenario_from_dict(doc, path)
    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        raise from_validation_error(path, exc, lambda loc: origin_of(loc, layers, doc)) from None


def default_scenario() -> Scenario:
    """The shipped default scenario: Balochistan, Reko Diq and Saindak.

    Examples
    --------
    >>> import riskmc
    >>> [p.name for p in riskmc.default_scenario().projects]
    ['Reko Diq', 'Saindak']
    """
    return load_scenario(shipped_scenarios()[DEFAULT_SCENARIO])
