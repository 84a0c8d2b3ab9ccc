"""Seed inputs for each front end, all taken from the repository.

Spec files come from the examples, the error corpora and the golden inputs; clock
expressions and exclude predicates are lifted out of those files (the text of every
`clocks:` entry and `exclude:` item, broken ones included) and out of the family tests.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC_FOLDERS = ("specs", "tests/corpus", "tests/golden/clk", "tests/golden/yaml_printer", "tests/fixtures")
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".clk": "clk"}

# A clock expression written anywhere in a spec or test: `first ...` / `settle ...` to the
# end of the line, a quote or a comment.
_CLOCK = re.compile(r"\b(?:first|settle)\s[^\n#\"'\]}]*")
# One quoted exclude condition in a test or a spec.
_EXCLUDE_LIST = re.compile(r"exclude\s*[:=]\s*\[(.*)$", re.M)
_EXCLUDE_ITEM = re.compile(r"^\s*-\s*(.+?)\s*$", re.M)
_QUOTED = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")


@cache
def spec_files() -> tuple[tuple[str, bytes], ...]:
    """(syntax, bytes) of every spec-like file in the repository, in a stable order."""
    out = []
    for folder in SPEC_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES:
                out.append((SUFFIXES[path.suffix], path.read_bytes()))
    return tuple(out)


def spec_seeds(syntax: str) -> list[bytes]:
    return [data for s, data in spec_files() if s == syntax]


@cache
def clock_seeds() -> tuple[str, ...]:
    found: dict[str, None] = {}
    for _, data in spec_files():
        for match in _CLOCK.finditer(data.decode("utf-8", "replace")):
            found[match.group().strip()] = None
    return tuple(found)


@cache
def predicate_seeds() -> tuple[str, ...]:
    found: dict[str, None] = {}
    texts = [data.decode("utf-8", "replace") for _, data in spec_files()]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests").rglob("test_family*.py"))]
    for text in texts:
        for listed in _EXCLUDE_LIST.finditer(text):
            for quoted in _QUOTED.finditer(listed.group(1)):
                found[quoted.group(1) or quoted.group(2) or ""] = None
        for block in re.finditer(r"exclude:\s*\n((?:[ \t]+-[^\n]*\n)+)", text):
            for item in _EXCLUDE_ITEM.finditer(block.group(1)):
                found[item.group(1).strip("'\"")] = None
    strategies = (ROOT / "tests/strategies.py").read_text(encoding="utf-8")
    for listed in re.findall(r"PREDICATES = \[(.*?)\]\n", strategies, re.S):
        for quoted in _QUOTED.finditer(listed):
            found[quoted.group(1) or quoted.group(2)] = None
    found.pop("", None)
    return tuple(found)
