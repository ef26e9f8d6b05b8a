"""The report's HTML pieces: escaping, tables, numbers with intervals, CSS and the page.

Also :func:`_describe` and :func:`_tags`, a parameter as written and the source
tags cited by source notes, which the workbook's scenario sheet uses too.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], table_id: str) -> str:
    """An HTML table; the cells of ``rows`` are already escaped HTML."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _number(x: float) -> str:
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"  # an interval the sample does not bound
    if not math.isfinite(x):
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.1f}" if abs(x) >= 1 else f"{x:.3g}"


def _with_interval(value: float, low: float, high: float) -> str:
    return (
        f"{_e(_number(value))} <span class='ci'>[{_e(_number(low))} - {_e(_number(high))}]</span>"
    )


def _probability(p: float, low: float, high: float) -> str:
    if not math.isfinite(low):
        return _e(f"{100 * p:.1f} %")
    return f"{100 * p:.1f} % <span class='ci'>[{100 * low:.1f} - {100 * high:.1f}]</span>"


def _describe(value: object) -> str:
    """A parameter as written: a number, or a distribution with its settings."""
    if isinstance(value, int | float):
        return f"{value:g}"
    dump = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
    if isinstance(dump, dict):
        return ", ".join(f"{k} {v}" for k, v in dump.items())
    return str(dump)


def _flat(doc: object, prefix: str = "") -> str:
    if isinstance(doc, dict):
        return "\n".join(_flat(v, f"{prefix}{k}.") for k, v in doc.items()).strip("\n")
    return f"{prefix.rstrip('.')}: {doc}"


def _tags(notes: Iterable[str | None]) -> list[str]:
    found = {m for note in notes if note for m in re.findall(r"\bS\d+[a-z]?\b", note)}
    return sorted(found, key=lambda t: (int(re.sub(r"\D", "", t)), t))


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
       max-width: 1100px; padding: 1.5em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; border-bottom: 2px solid #3182bd; padding-bottom: .2em; }
h2 { font-size: 1.3em; margin-top: 1.8em; color: #08519c; }
h3 { font-size: 1.05em; margin-top: 1.2em; }
table { border-collapse: collapse; margin: .5em 0; font-size: .88em; }
th, td { border: 1px solid #ddd; padding: .25em .55em; text-align: left; vertical-align: top; }
thead th { background: #f0f5fa; }
table.kv th { background: #f7f7f7; width: 11em; }
td .ci { color: #777; font-size: .9em; }
.note { color: #555; font-size: .88em; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: .88em; }
pre { background: #f7f7f7; padding: .6em; font-size: .82em; overflow-x: auto; }
footer { margin-top: 2em; color: #888; font-size: .8em; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="riskmc {version}">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<h1>{title}</h1>
{body}
<footer>Written by riskmc {version}. Self-contained: the plots are embedded; nothing is
loaded from elsewhere.</footer>
</body>
</html>
"""
