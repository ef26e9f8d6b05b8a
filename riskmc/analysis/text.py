"""Names shown as the text they are, on a terminal.

Scenario, district, place and project names come from the user's file. Rich
reads ``[red]...[/]`` in printed text as markup and a terminal obeys escape
sequences, so a name could restyle or hide what riskmc prints. Each name is
printed through :func:`terminal_text`: control characters (escape sequences
among them) are dropped and markup brackets escaped.
"""

from __future__ import annotations

import unicodedata

from rich.markup import escape

__all__ = ["plain_text", "short_number", "terminal_text"]


def plain_text(name: object) -> str:
    """``name`` without control characters (tabs and line ends become spaces).

    Examples
    --------
    >>> plain_text("Mine\\x1b[2J\\tA")
    'Mine[2J A'
    """
    return "".join(
        " " if ch in "\t\n\r" else ch
        for ch in str(name)
        if ch in "\t\n\r" or unicodedata.category(ch) != "Cc"
    )


def terminal_text(name: object) -> str:
    """``name`` as literal text for a rich console.

    Examples
    --------
    >>> terminal_text("[red]Mine[/red]\\x1b[2J")
    '\\\\[red]Mine\\\\[/red][2J'
    """
    return escape(plain_text(name))


def short_number(x: float) -> str:
    """A number for a notebook table: four significant digits, or whole from 10,000 on.

    Examples
    --------
    >>> short_number(12.3456), short_number(1234567.8)
    ('12.35', '1,234,568')
    """
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"
