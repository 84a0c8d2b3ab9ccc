"""Issue 31's task options: regression targets named exactly (a polynomial's coefficients,
He_k of a unit projection) and modular pairs without a zero operand (Grokfast's a * b, b != 0)."""
from __future__ import annotations

import pytest
import torch

import clockspec
from clockspec.compiler.explain import explain
from clockspec.core.errors import SpecError
from clockspec.runtime import run
from clockspec.runtime.tasks import build_task

BASE = "name: t\nmodel: {kind: %s}\ntrain: {steps: 100%s}\nprobes: {every: 10%s}\n"


def load(task: str, model: str = "mlp", loss: str = ", loss: mse", probes: str = ""):
    return clockspec.loads(f"task: {task}\n" + BASE % (model, loss, probes))


def targets(task: str) -> tuple[torch.Tensor, torch.Tensor]:
    spec = load(task)
    spec.compile()
    data = build_task(spec.task)
    return data.x_train, data.y_train


def test_coefficients_name_the_polynomial_of_a_unit_projection():
    x, y = targets("{kind: regression, inputs: 3, target: polynomial, coefficients: [0, 0, 1], train_size: 400}")
    # y = (u . x)^2 = x^T (u u^T) x: a quadratic form of rank one whose matrix has trace |u|^2 = 1
    pairs = [(i, j) for i in range(3) for j in range(i, 3)]
    design = torch.stack([x[:, i] * x[:, j] for i, j in pairs], 1)
    solution = torch.linalg.lstsq(design, y).solution[:, 0]
    m = torch.zeros(3, 3, dtype=torch.float64)
    for (i, j), value in zip(pairs, solution):
        m[i, j] = m[j, i] = value if i == j else value / 2
    assert torch.allclose(design @ solution, y[:, 0], atol=1e-10)
    assert torch.trace(m) == pytest.approx(1.0, abs=1e-10)
    assert torch.linalg.matrix_rank(m, atol=1e-8) == 1


@pytest.mark.parametrize("k, coefficients", [(2, "[-1, 0, 1]"), (3, "[0, -3, 0, 1]"), (4, "[3, 0, -6, 0, 1]")])
def test_hermite_targets_are_the_probabilists_polynomials(k, coefficients):
    common = f"kind: regression, inputs: 4, outputs: 2, degree: {k}, train_size: 64, data_seed: 5"
    x, he = targets(f"{{{common}, target: hermite}}")
    same_x, poly = targets(f"{{{common}, target: polynomial, coefficients: {coefficients}}}")
    assert torch.equal(x, same_x)
    assert torch.allclose(he, poly, atol=1e-12)
    assert f"the Hermite polynomial He_{k} of a seeded unit projection" in explain(load(f"{{{common}, target: hermite}}").compile())


def test_random_targets_are_as_before():
    """The coefficients' absence leaves the random polynomial's data (z = W x / sqrt(d)) as it was."""
    x, y = targets("{kind: regression, inputs: 3, target: polynomial, degree: 1, train_size: 50, data_seed: 2}")
    g = torch.Generator().manual_seed(2)
    w = torch.randn(1, 3, generator=g, dtype=torch.float64)
    c = torch.randn(1, 1, generator=g, dtype=torch.float64)
    assert torch.equal(y, c[0] * (x @ w.T / 3**0.5))


def test_coefficients_need_a_polynomial_target():
    with pytest.raises(SpecError, match="coefficients name a polynomial target, and the target is hermite"):
        load("{kind: regression, target: hermite, coefficients: [1]}")


@pytest.mark.parametrize("nonzero, pairs", [("[b]", 7 * 6), ("[a]", 6 * 7), ("[a, b]", 6 * 6)])
def test_nonzero_operands_leave_out_exactly_their_pairs(nonzero, pairs):
    spec = load(f"{{kind: modular, op: mul, modulus: 7, nonzero: {nonzero}}}", "embed_mlp", "")
    plan = spec.compile()
    data = build_task(spec.task)
    x = torch.cat([data.x_train, data.x_test])
    assert len(x) == pairs == plan.derived["n_train"] + plan.derived["n_test"]
    assert len({tuple(r) for r in x.tolist()}) == pairs
    for column, name in enumerate("ab"):
        assert (x[:, column] == 0).any() == (name not in nonzero)
    assert torch.equal(torch.cat([data.y_train, data.y_test]), x[:, 0] * x[:, 1] % 7)
    assert ("b != 0" in explain(plan)) == ("b" in nonzero) and ("a != 0" in explain(plan)) == ("a" in nonzero)


def test_nonzero_is_in_the_data_node_and_nowhere_when_absent():
    every = load("{kind: modular, op: mul, modulus: 7}", "embed_mlp", "").compile()
    some = load("{kind: modular, op: mul, modulus: 7, nonzero: [b]}", "embed_mlp", "").compile()
    changed = {str(n) for n in every.nodes if every.nodes[n].hash != some.nodes[n].hash}
    assert "data" in changed and "nonzero" not in every.nodes[next(n for n in every.nodes if str(n) == "data")].data


@pytest.mark.parametrize("task, says", [
    ("{kind: modular, op: div, modulus: 7, nonzero: [b]}", "op 'div' already leaves out b = 0"),
    ("{kind: modular, modulus: 7, nonzero: [a, a]}", "an operand is named twice"),
])
def test_a_nonzero_that_says_nothing_is_refused(task, says):
    with pytest.raises(SpecError, match=says):
        load(task, "embed_mlp", "")


def test_nandas_measures_need_every_pair():
    with pytest.raises(SpecError, match="needs modular addition over every pair"):
        load("{kind: modular, modulus: 7, nonzero: [b]}", "embed_mlp", "", ", metrics: [restricted_loss]").compile()


@pytest.mark.parametrize("task, model, loss", [
    ("{kind: regression, inputs: 4, target: polynomial, coefficients: [0, 0, 0.5], train_size: 32}", "mlp", ", loss: mse"),
    ("{kind: modular, op: mul, modulus: 7, nonzero: [b]}", "embed_mlp", ""),
])
def test_a_task_with_a_list_field_trains(tmp_path, task, model, loss):
    """The stack shares one dataset between members with equal tasks; the list fields
    (coefficients, nonzero) are compared, not hashed (a list is not hashable)."""
    result = run(load(task, model, loss).compile(), out=tmp_path, progress=False)
    assert result.status == "complete"
