"""Issue 20's classes as fuzz inputs: huge and odd number literals, long `after` chains and
name lists, every line-break character (`hostile_op`, a structure mutator for whole specs),
and families whose base is a link out of the folder, a FIFO or a directory, with option-like
revisions (the `expand` front end, `make_family` / `check_family`).
"""
from __future__ import annotations

import contextlib
import os
import random
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import clockspec
from clockspec.core.errors import SpecError
from clockspec.diff.gitrev import git_show

from .checks import expect

BREAKS = ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"]
LITERALS = ["1" * 41, "9" * 5000, "-" + "7" * 4400, "0x" + "f" * 60, "0o17", "0x1F", "1_000", "1e99999",
            "1" * 300 + ".5", "12abc", "+0x10"]
REVISIONS = ["--output={out}", "-o{out}", "--textconv", "-p", "HEAD", "--end-of-options", "-", "HEAD~0"]


def hostile_op(text: str, rng: random.Random) -> str:
    """Put one of issue 20's classes into a spec: a literal, a long chain or list, a break."""
    lines = text.split("\n")
    at = rng.randrange(len(lines) + 1)
    roll = rng.random()
    if roll < 0.35:  # a literal where a number goes
        words = [i for i, w in enumerate(lines[at - 1].split(" ")) if w[:1].isdigit()] if at else []
        literal = rng.choice(LITERALS)
        if words:
            parts = lines[at - 1].split(" ")
            parts[rng.choice(words)] = literal
            lines[at - 1] = " ".join(parts)
        else:
            lines.insert(at, f"seed: {literal}" if rng.random() < 0.5 else f"  seed = {literal}")
        return "\n".join(lines)
    if roll < 0.6:  # a long after chain, or many unknown names
        n = rng.choice([10, 300, 1200])
        yaml_form = not text.lstrip().startswith(("experiment", "family"))
        chain = [(f"  c{i}: " if yaml_form else f"  clock c{i} = ") + "first train_loss <= 0.1" +
                 (f" after {rng.choice(['c', 'gone'])}{i - 1}" if i else "") for i in range(n)]
        block = (["clocks:"] if yaml_form else []) + chain
        return "\n".join(lines[:at] + block + lines[at:]) if yaml_form else text.rstrip()[:-1] + "\n".join(block) + "\n}\n"
    break_char = rng.choice(BREAKS)  # a line break of another kind, once or everywhere
    if roll < 0.8:
        return text.replace("\n", break_char)
    pos = rng.randrange(len(text) + 1)
    return text[:pos] + break_char + text[pos:]


BASE = "name: b\ntask: {kind: modular}\nmodel: {kind: embed_mlp}\n"


@cache
def _scratch() -> Path:
    """One folder per process: `repo/` holds the families, `outside/` what no base may reach."""
    root = Path(tempfile.mkdtemp(prefix="clockspec-fuzz-expand-"))
    (root / "outside").mkdir()
    (root / "outside" / "secret.yaml").write_text("root: s3cr3t-hash\n")
    (root / "repo" / "specs").mkdir(parents=True)
    (root / "repo" / "specs" / "base.yaml").write_text(BASE)
    (root / "repo" / "specs" / "out.yaml").symlink_to(root / "outside" / "secret.yaml")
    (root / "repo" / "specs" / "dir.yaml").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "repo" / "specs" / "fifo.yaml")
    git = ["git", "-C", str(root / "repo"), "-c", "user.name=f", "-c", "user.email=f@f", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "specs/base.yaml"], ["commit", "-qm", "base"]):
        subprocess.run(git + args, capture_output=True, check=False)
    return root


def make_family(rng: random.Random) -> str:
    """A family text: a base (good, linked out, special), axes with odd values, sometimes big."""
    base = rng.choice(["base.yaml", "out.yaml", "dir.yaml", "fifo.yaml", "../../outside/secret.yaml",
                       "missing.yaml", "/etc/passwd", "../specs/base.yaml"])
    exclude, overlap = rng.random() < 0.2, rng.random() < 0.2
    # Only the pre-pass (a bad value, no exclude, no overlapping axis) makes a big grid cheap;
    # every other family is judged member by member at ~150 us each, so those stay small.
    bad = rng.random() < 0.5
    big = bad and not exclude and not overlap
    n = rng.choice([1, 3, 50, 400] if big else [1, 3, 50])
    values = [str(round(0.001 * (i + 1), 3)) for i in range(n)]
    if bad:
        values[rng.randrange(n)] = rng.choice(["7.5", "-1", '"0.5"', "1_0", *LITERALS[:3]])
    elif rng.random() < 0.3:
        values[rng.randrange(n)] = "null"  # valid: it removes the field, so the default holds
    axes = {"task.train_fraction": values, "seed": [str(i) for i in range(rng.choice([1, 2, 250 if big else 5]))]}
    if overlap:
        axes["task"] = ["{kind: modular, modulus: 7}"]
    grid = "".join(f"    {path}: [{', '.join(vals)}]\n" for path, vals in axes.items())
    extra = "exclude: ['seed > 150']\n" if exclude else ""
    return f"family: f\nbase: {base}\nvary:\n  grid:\n{grid}{extra}"


def check_family(text: str) -> str:
    """Expanding is an Expansion or a clean SpecError; no base outside the tree is echoed."""
    fam = _scratch() / "repo" / "specs" / "f.yaml"
    fam.write_text(text)
    try:
        clockspec.expand(fam)
    except SpecError as exc:
        shown = str(exc)
        expect("s3cr3t" not in shown, f"echoed a file outside the tree: {shown[:200]}")
        expect(all(d.line >= 1 and d.col >= 1 for d in exc.diagnostics), f"unpositioned: {shown[:200]}")
        return "error"
    return "ok"


def make_revision(rng: random.Random) -> str:
    """A revision: an option git knows (some writing a file), a real one, or one mangled."""
    rev = rng.choice(REVISIONS).format(out=_scratch() / "outside" / f"written-{rng.randrange(10**6)}")
    return rev if rng.random() < 0.7 else rng.choice(["-", "--", " -", ""]) + rev + rng.choice(["", ":x", "\n"])


def revision_seeds() -> tuple[str, ...]:
    return tuple(make_revision(random.Random(i)) for i in range(12))


def check_revision(rev: str) -> str:
    """An option-like revision never reaches git as an option: nothing is written."""
    before = set((_scratch() / "outside").iterdir())
    try:
        with contextlib.chdir(_scratch() / "repo"):
            git_show(rev, "specs/base.yaml")
        outcome = "ok"
    except SpecError as exc:
        expect("\n" not in exc.diagnostics[0].format().split("\n  hint")[0], "an unescaped line break")
        outcome = "error"
    written = set((_scratch() / "outside").iterdir()) - before
    expect(not written, f"git wrote {sorted(written)} for revision {rev!r}")
    return outcome


def family_seeds() -> tuple[str, ...]:
    return tuple(make_family(random.Random(i)) for i in range(12))
