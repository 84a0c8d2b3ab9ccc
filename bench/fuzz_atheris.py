"""Coverage-guided fuzzing of one front end with atheris (libFuzzer for Python).

    pip install -e '.[fuzz]'
    python bench/fuzz_atheris.py FRONT [-runs=N] [-max_total_time=S] [libFuzzer flags] [CORPUS_DIR ...]

FRONT is yaml, clk, clock or predicate. The same checks as the campaign
(tests/fuzz/checks.py) run on every input; libFuzzer stops at the first failure and
writes it to ./crash-*, and treats an input slower than -timeout (1 s here unless given)
as a failure too. Without a corpus directory it starts from the repository's seeds; without
-dict it uses the campaign's words for the front end.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
with atheris.instrument_imports(include=["clockspec", "lark", "yaml"]):
    from tests.fuzz.harness import FRONT_ENDS


def target(front: str):
    check = FRONT_ENDS[front].check
    if front in ("yaml", "clk"):
        return check  # the spec front ends read bytes, as from a file

    def text_target(data: bytes) -> None:
        check(data.decode("utf-8", "replace"))

    return text_target


def seed_corpus(front: str) -> str:
    folder = Path(tempfile.mkdtemp(prefix=f"clockspec-atheris-{front}-"))
    for i, seed in enumerate(FRONT_ENDS[front].seeds()):
        (folder / f"seed-{i}").write_bytes(seed.encode("utf-8", "surrogatepass"))
    return str(folder)


def dictionary(front: str) -> str:
    """The mutators' words as a libFuzzer dictionary, so mutations speak the syntax."""
    from tests.fuzz import harness, mutators

    words = {"clock": harness.CLOCK_WORDS, "predicate": harness.PREDICATE_WORDS}.get(front, mutators.WORDS)
    path = Path(tempfile.mkstemp(prefix=f"clockspec-atheris-{front}-", suffix=".dict")[1])
    lines = ['"' + "".join(f"\\x{b:02x}" for b in w.encode("utf-8", "surrogatepass")) + '"' for w in words if w]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in FRONT_ENDS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(FRONT_ENDS)}}} [libFuzzer flags] [corpus dirs]")
    front, args = sys.argv[1], sys.argv[2:]
    if not any(a.startswith("-timeout=") for a in args):
        args.append("-timeout=1")
    if not any(a.startswith("-dict=") for a in args):
        args.append("-dict=" + dictionary(front))
    if not any(not a.startswith("-") for a in args):
        args.append(seed_corpus(front))
    atheris.Setup([sys.argv[0], *args], target(front))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
