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

from riskmc.engine.summary import short_number  # a notebook's numbers: the engine shows them too

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
