"""The four fuzzed front ends, shared by the fast test, the campaign (bench/fuzz.py) and
the atheris targets (bench/fuzz_atheris.py).

Each `FrontEnd` makes one input from a `random.Random` (a seed from the repository,
mutated at byte, token and structure level, or for the expression languages often
generated from the grammar) and checks it (`checks.py`): a valid IR / parsed object or a
clean positioned error, never another exception.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import checks, generate, hostile, mutators, seeds, store_fronts

ROOT = seeds.ROOT
REGRESSIONS = ROOT / "tests/corpus/fuzz"

Input = str | bytes


@dataclass(frozen=True)
class FrontEnd:
    name: str
    suffix: str  # of its inputs in the regression corpus
    seeds: Callable[[], Sequence[str]]
    make: Callable[[random.Random], Input]
    check: Callable[[Input], str]

    def load(self, path: Path) -> list[Input]:
        """A regression file as the inputs to replay: specs as bytes and (if UTF-8) as text."""
        data = path.read_bytes()
        if self.name == "datafile":  # a file's bytes, as they are
            return [data]
        try:
            text = data.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return [data] if self.name in ("yaml", "clk") else []
        return [data, text] if self.name in ("yaml", "clk") else [text]


@cache
def _spec_texts(syntax: str) -> tuple[str, ...]:
    return tuple(data.decode("utf-8", "surrogateescape") for data in seeds.spec_seeds(syntax))


def _spec_maker(syntax: str) -> Callable[[random.Random], Input]:
    structure = [mutators.line_op, mutators.group_op, hostile.hostile_op] + (
        [mutators.yaml_tree_op] if syntax == "yaml" else [])

    def make(rng: random.Random) -> Input:
        pool = _spec_texts(syntax)
        text = rng.choice(pool)
        if rng.random() > 0.03:
            text = mutators.mutate(text, rng, pool, structure=structure)
        return mutators.to_bytes(text, rng) if rng.random() < 0.3 else text

    return make


def _expression_maker(pool: Callable[[], Sequence[str]], generated: Callable[[random.Random], str],
                      dictionary: Sequence[str]) -> Callable[[random.Random], Input]:
    """Half grammar-generated, half seeds; most of either mutated a little."""
    def make(rng: random.Random) -> Input:
        text = generated(rng) if rng.random() < 0.5 else rng.choice(pool())
        if rng.random() < 0.6:
            text = mutators.mutate(text, rng, list(pool()), dictionary)
        return text

    return make


CLOCK_WORDS = [*generate.METRIC_NAMES, *generate.NAMES, "first", "settle", "within", "for", "steps", "step",
                "after", "relative", "%", "<=", "<", ">=", ">", "=", "==", "(", ")", "'", "#", "\n"]
PREDICATE_WORDS = [*generate.PATHS, *generate.WORDS, *generate.STRINGS, "and", "or", "not", "in", "(", ")", "[",
                    "]", ",", "==", "!=", "<", "<=", ">", ">=", "null", "true", "false", "'", '"', "\n", "."]

FRONT_ENDS = {
    "yaml": FrontEnd("yaml", ".yaml", lambda: _spec_texts("yaml"), _spec_maker("yaml"),
                     lambda data: checks.check_spec(data, "yaml")),
    "clk": FrontEnd("clk", ".clk", lambda: _spec_texts("clk"), _spec_maker("clk"),
                    lambda data: checks.check_spec(data, "clk")),
    "clock": FrontEnd("clock", ".clock", seeds.clock_seeds,
                      _expression_maker(seeds.clock_seeds, generate.clock_expression, CLOCK_WORDS),
                      checks.check_clock),
    "predicate": FrontEnd("predicate", ".pred", seeds.predicate_seeds,
                          _expression_maker(seeds.predicate_seeds, generate.predicate, PREDICATE_WORDS),
                          checks.check_predicate),
    "expand": FrontEnd("expand", ".family", hostile.family_seeds, hostile.make_family, hostile.check_family),
    "revision": FrontEnd("revision", ".rev", hostile.revision_seeds, hostile.make_revision, hostile.check_revision),
    # issue 30: data files, store files, runs --where, --set/--grid (tests/fuzz/store_fronts.py)
    "datafile": FrontEnd("datafile", ".data", store_fronts.data_seeds, store_fronts.make_data, store_fronts.check_data),
    "storefile": FrontEnd("storefile", ".store", store_fronts.store_seeds, store_fronts.make_store,
                          store_fronts.check_store),
    "where": FrontEnd("where", ".where", store_fronts.where_seeds, store_fronts.make_where, store_fronts.check_where),
    "override": FrontEnd("override", ".args", store_fronts.override_seeds, store_fronts.make_override,
                         store_fronts.check_override),
}


def regressions() -> list[tuple[str, Path]]:
    """(front end, file) for every input in the regression corpus tests/corpus/fuzz/<front>/."""
    return [(front, path) for front in FRONT_ENDS for path in sorted((REGRESSIONS / front).glob("*"))
            if path.is_file() and path.suffix == FRONT_ENDS[front].suffix]
