"""Diagnostics and the one exception the library raises for bad input.

Every problem with a spec becomes a `Diagnostic` carrying its position, so the
CLI can print `path:line:col: error: message` and a notebook can inspect it.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnostic:
    message: str
    file: str = "<string>"
    line: int = 1
    col: int = 1
    hint: str | None = None
    severity: str = "error"
    details: tuple[str, ...] = ()  # items of a list the message introduces, one indented line each

    def format(self) -> str:
        """One line (then its details' lines, and a hint line): a file name or message holding
        a newline or a terminal escape is printed escaped, so no input can forge a line of the
        output. A diagnostic about an argument (line 0) names it without a position."""
        where = f"{self.line}:{self.col}:" if self.line else ""
        text = f"{printable(self.file)}:{where} {self.severity}: {printable(self.message)}"
        text += "".join(f"\n  {printable(item)}" for item in self.details)
        if self.hint:
            text += f"\n  hint: {printable(self.hint)}"
        return text


def argument_error(argument: str, message: str, hint: str | None = None) -> Diagnostic:
    """A problem with a command-line argument (`--device`, a directory) rather than with a
    place in a file: printed `argument: error: message`, with no invented line and column."""
    return Diagnostic(message, argument, line=0, col=0, hint=hint)


class SpecError(Exception):
    """Bad input: a spec, a family, a clock expression, a command's arguments.

    Carries every diagnostic found in one pass, sorted by position.
    """

    def __init__(self, diagnostics: Iterable[Diagnostic] | str):
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic(diagnostics)]
        diags = sorted(set(diagnostics), key=lambda d: (d.file, d.line, d.col, d.message))
        self.diagnostics: list[Diagnostic] = diags
        super().__init__("\n".join(d.format() for d in diags))


class SourceError(ValueError):
    """A problem at an offset into one piece of source text (a clock expression, an exclude
    condition, a name template). The text's parser knows only the offset; the caller that
    knows where the text sits turns it into a positioned `Diagnostic`."""

    def __init__(self, message: str, offset: int, hint: str | None = None):
        super().__init__(message)
        self.message, self.offset, self.hint = message, offset, hint


class RunError(Exception):
    """A run that cannot go on for a reason outside the spec: the output directory, the disk,
    memory, or another process holding the run. `exit_status` is what the CLI exits with
    (3: the environment failed; 75: busy, try again later)."""

    def __init__(self, message: str, where: str, hint: str | None = None, exit_status: int = 3):
        self.diagnostic = Diagnostic(message, where, hint=hint)
        self.exit_status = exit_status
        super().__init__(message)

    def format(self) -> str:
        """`where: error: message`: no line or column, the place is a directory or a file."""
        text = f"{printable(self.diagnostic.file)}: error: {printable(self.diagnostic.message)}"
        return text + (f"\n  hint: {printable(self.diagnostic.hint)}" if self.diagnostic.hint else "")


EXCERPT = 24  # characters of foreign or huge text a message may echo


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """`text` quoted for a message, cut in the middle past `limit` characters, anything
    unprintable escaped: a message never echoes a whole huge literal or forges a line."""
    if len(text) > limit:
        text = text[: limit * 2 // 3] + "\u2026" + text[-(limit // 3):]
    return "'" + printable(text) + "'"


def printable(text: str) -> str:
    """`text` with every unprintable character (a newline, a terminal escape) as its escape."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


# Other fields' words for what clockspec names otherwise: a name built of them is tried in
# clockspec's words before any near spelling (`val_acc` means `test_acc`, not `train_acc`).
SYNONYMS = {"val": "test", "valid": "test", "validation": "test", "eval": "test", "heldout": "test",
            "accuracy": "acc", "learning_rate": "lr", "learningrate": "lr", "iterations": "steps",
            "num_steps": "steps", "max_steps": "steps", "epochs": "steps", "batch_size": "batch"}


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The name `word` means in clockspec's words (SYNONYMS), else a near name for a typo, or None."""
    known = sorted(set(choices))
    word = str(word)
    said = SYNONYMS.get(word.lower()) or "_".join(SYNONYMS.get(part, part) for part in word.lower().split("_"))
    if said != word and said in known:
        return f"did you mean '{said}'?"
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
