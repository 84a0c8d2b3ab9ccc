"""Label noise: exactly round(fraction * n_train) training labels move to another class, seeded;
the clean and noisy parts of the training set are measured apart."""
from __future__ import annotations

import json

import pytest
import torch

import clockspec
from clockspec.compiler.explain import explain
from clockspec.core.errors import SpecError
from clockspec.runtime import run
from clockspec.runtime.tasks import build_task

TASKS = ["{kind: modular, modulus: 11, train_fraction: 0.5, %s}",
         "{kind: teacher, inputs: 6, classes: 3, train_size: 90, %s}",
         "{kind: sparse_parity, bits: 8, relevant: 2, train_size: 90, test_size: 20, %s}",
         "{kind: group, group: dihedral, n: 4, %s}",
         "{kind: addition, operands: 6, %s}"]


def spec(task: str, noise: str = "label_noise: {fraction: 0.2, seed: 3}", metrics: str = ""):
    model = "embed_mlp" if "modular" in task or "group" in task or "addition" in task else "mlp"
    return clockspec.loads(f"name: n\ntask: {task % noise}\nmodel: {{kind: {model}, hidden: [16]}}\n"
                           f"train: {{steps: 30}}\nprobes: {{every: 10, metrics: [{metrics}]}}\n")


@pytest.mark.parametrize("task", TASKS)
def test_exactly_the_fraction_of_training_labels_changes_and_each_changes_class(task):
    clean, noisy = build_task(spec(task, "split_seed: 0" if "size" not in task else "data_seed: 0").task), \
        build_task(spec(task).task)
    n = len(clean.y_train)
    changed = clean.y_train != noisy.y_train
    assert int(changed.sum()) == round(0.2 * n) and torch.equal(changed, noisy.noisy)
    assert torch.equal(clean.y_test, noisy.y_test) and torch.equal(clean.x_train, noisy.x_train)
    assert int(noisy.y_train.max()) < noisy.n_classes


def test_the_noise_is_seeded_and_in_the_split_node():
    a, b = spec(TASKS[0]), spec(TASKS[0], "label_noise: {fraction: 0.2, seed: 4}")
    assert torch.equal(build_task(a.task).y_train, build_task(spec(TASKS[0]).task).y_train)
    assert not torch.equal(build_task(a.task).noisy, build_task(b.task).noisy)
    pa, pb = a.compile(), b.compile()
    assert pa.hash("data") == pb.hash("data") and pa.hash("split") != pb.hash("split")
    assert "replaced by another class" in explain(pa)


def test_clean_and_noisy_training_accuracy_are_recorded_apart(tmp_path):
    s = spec(TASKS[1], metrics="train_acc_clean, train_acc_noisy")
    result = run(s.compile(), out=tmp_path, progress=False)
    rows = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    last = rows[-1]
    n_noisy = round(0.2 * 90)
    mixed = (last["train_acc_clean"] * (90 - n_noisy) + last["train_acc_noisy"] * n_noisy) / 90
    assert mixed == pytest.approx(last["train_acc"])


def test_noisy_accuracy_needs_label_noise():
    with pytest.raises(SpecError, match="needs label noise"):
        spec(TASKS[1], "data_seed: 0", "train_acc_noisy").compile()
