"""Class 2 of issue 20: no check costs more than near-linear time in the size of the spec.

Times are measured by bench/hostile_classes.py (no timed asserts); these tests pin what the
linear versions report: the same cycles, capped suggestions, a bad family value once.
"""
import pytest

import clockspec
from clockspec.families.expand import expand
from clockspec.syntax.checks import MAX_CLOCKS, MAX_SUGGESTIONS, after_cycles

HEAD = "name: x\ntask: {kind: modular}\nmodel: {kind: embed_mlp}\n"
BASE = "{name: x, task: {kind: modular}, model: {kind: embed_mlp}}"


def clocks(lines) -> str:
    return HEAD + "clocks:\n" + "".join(f"  {line}\n" for line in lines)


def messages(text: str) -> list[str]:
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.loads(text)
    return [d.message for d in info.value.diagnostics]


def test_after_cycles_are_found_once_each_from_the_clock_written_first():
    afters = {"a": "c", "b": "a", "c": "b", "d": "d", "e": "a", "f": None}
    assert after_cycles(afters) == [["a", "c", "b"], ["d"]]


def test_a_long_chain_into_a_cycle_reports_only_the_cycle():
    n = MAX_CLOCKS
    chain = [f"c{i}: first train_loss <= 0.1 after c{i + 1}" for i in range(n - 2)]
    chain += [f"c{n - 2}: first train_loss <= 0.1 after c{n - 1}", f"c{n - 1}: first train_loss <= 0.1 after c{n - 2}"]
    assert messages(clocks(chain)) == [f"clocks form an 'after' cycle: c{n - 2} -> c{n - 1} -> c{n - 2}"]


def test_the_longest_allowed_chain_is_valid():
    chain = [f"c{i}: first train_loss <= 0.1" + (f" after c{i - 1}" if i else "") for i in range(MAX_CLOCKS)]
    assert len(clockspec.loads(clocks(chain)).clocks) == MAX_CLOCKS


def test_more_clocks_than_the_cap_are_refused_before_any_is_parsed():
    many = [f"c{i}: not even an expression (" for i in range(MAX_CLOCKS + 1)]
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.loads(clocks(many))
    (d,) = info.value.diagnostics
    assert (d.line, d.col) == (4, 1) and f"at most {MAX_CLOCKS:,}" in d.message


def test_stop_after_is_capped_too():
    names = ", ".join(f"n{i}" for i in range(MAX_CLOCKS + 1))
    assert messages(HEAD + f"stop: {{after: [{names}]}}\n") == [
        f"stop.after: {MAX_CLOCKS + 1:,} clocks; a spec may have at most {MAX_CLOCKS:,}"]


def test_suggestions_stop_after_a_few_and_the_hint_lists_a_few_clocks():
    good = [f"clock{i}: first train_loss <= 0.1" for i in range(30)]
    bad = [f"x{i}: first train_loss <= 0.1 after clock{i}x" for i in range(40)]
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.loads(clocks(good + bad))
    hints = [d.hint for d in info.value.diagnostics]
    assert sum(h.startswith("did you mean") for h in hints) == MAX_SUGGESTIONS
    assert all(h.startswith("did you mean") or h.endswith(f"and {70 - MAX_SUGGESTIONS} more") for h in hints)


def family(grid: str, extra: str = "") -> clockspec.Family:
    return clockspec.loads(f"family: f\nbase: {BASE}\nvary:\n  grid:\n{grid}{extra}")


def test_a_bad_value_is_reported_once_for_every_member_that_has_it():
    seeds = ", ".join(str(i) for i in range(300))
    fracs = ", ".join(str(0.001 * (i + 1)) for i in range(299))
    with pytest.raises(clockspec.SpecError) as info:
        expand(family(f"    seed: [{seeds}]\n    task.train_fraction: [{fracs}, 7.5, 7.5]\n"))
    (d,) = info.value.diagnostics
    assert d.message == ("600 members with frac=7.5: task.train_fraction: expected a number in (0, 1); got 7.5")


def test_an_exclusion_can_still_remove_the_members_a_bad_value_would_break():
    fam = family("    seed: [0, 1]\n    task.train_fraction: [0.3, 7.5]\n", "exclude: ['task.train_fraction > 1']\n")
    assert len(expand(fam)) == 2


def test_a_value_another_axis_reaches_above_is_judged_per_member():
    fam = family("    task: [{kind: modular, modulus: 7}, {kind: modular, modulus: 11}]\n"
                 "    task.train_fraction: [0.5, 1.5]\n")
    with pytest.raises(clockspec.SpecError, match="2 members"):
        expand(fam)


def test_a_cross_field_error_of_one_value_is_judged_per_member():
    fam = family("    task.op: [add, div]\n    task.modulus: [7, 8]\n")
    with pytest.raises(clockspec.SpecError) as info:
        expand(fam)
    assert "member op=div,modulus=8" in str(info.value) and "every" not in str(info.value)
