"""Text from specs and run folders, escaped for where it is printed.

Descriptions, tags, labels and varied values are free text from whoever wrote a spec or
edited a run folder: on a terminal their control characters are shown (`\\x1b`), never sent;
in a CSV cell a text that a spreadsheet would run as a formula is kept as text by a leading
quote; in a Markdown table cell `clockspec.core.markdown_escape.text` keeps it in its cell.
"""
from __future__ import annotations

from typing import Any

from clockspec.core.errors import printable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula


def terminal(text: str) -> str:
    """One line for a terminal: every unprintable character (ESC, a newline, a bidi control) as its escape."""
    return printable(text)


def csv_cell(value: Any) -> Any:
    """A cell for a CSV file: text starting like a formula (`=HYPERLINK(...)`) gets a leading
    `'`; a plain number (`-0.5`, `+1e-3`) stays a number."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _number(value):
        return "'" + value
    return value


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.lower().lstrip("+-") not in ("inf", "infinity", "nan")


def terminal_lines(text: str) -> str:
    """Text of several lines for a terminal: its line breaks kept, everything else unprintable escaped."""
    return "\n".join(printable(line) for line in text.splitlines())
