"""The JSON Schema (docs/clockspec.schema.json) and `check` judge a corpus of specs alike:
each structural fact that `check` enforces (names, kinds, keys, ranges, devices, list
shapes, a clock expression's grammar and metric names) is in the schema too. Meanings beyond
a schema's reach (a model's metrics, a metric's range, a number's size, the equal lengths of
zip axes) are `check`'s alone and stay out of the corpus."""
from __future__ import annotations

import jsonschema
import pytest

from clockspec.commands.main import main
from clockspec.syntax.schema import json_schema
from clockspec.syntax.yaml_front import parse_yaml

BASE = "task: {kind: modular, modulus: 11}\nmodel: {kind: embed_mlp}\n"
FAMILY = "family: f\nbase: {name: b, task: {kind: modular, modulus: 11}, model: {kind: embed_mlp}}\n"
CLOCK = "clocks:\n  {}\n"
ACCEPTED = {
    "minimal": f"name: x\n{BASE}",
    "every field": f"name: x\ndescription: d\ntags: [a]\nseed: 3\ndevice: cuda:1\n{BASE}"
                   "optimizer: {kind: sgd, lr: 0.1}\ntrain: {steps: 10}\nprobes: {every: 5, metrics: [margin]}\n"
                   + CLOCK.format("fit: first train_acc >= 0.9") + "stop: {after: [fit]}\n",
    "clock in fields": f"name: x\n{BASE}" + CLOCK.format("a: {kind: first, metric: train_acc, op: '>=', value: 0.5}"),
    "underscore clock": f"name: x\n{BASE}" + CLOCK.format("_a1: first train_acc >= 0.5"),
    "every clock form": f"name: x\n{BASE}probes: {{metrics: [train_loss, test_acc]}}\nclocks:\n"
                        "  a: first train_acc >= 0.5 for 2 steps\n  b: settle train_loss within 1% after a\n"
                        "  c: last test_acc < 0.2\n  d: enter train_acc > 0.5 times 2\n  e: transition test_acc r2 0.8\n",
    "device mps": f"name: x\ndevice: mps\n{BASE}",
    "grid": FAMILY + "vary: {grid: {seed: [1, 2]}}\n",
    "zip": FAMILY + "vary: {zip: {seed: [1, 2], optimizer.lr: [0.1, 0.2]}}\n",
    "one at a time": FAMILY + "vary: {one_at_a_time: {seed: [1]}}\n",
}
REJECTED = {
    "dash in a clock name": f"name: x\n{BASE}" + CLOCK.format("my-clock: first train_acc >= 0.5"),
    "space in a clock name": f"name: x\n{BASE}" + CLOCK.format("bad key: 5"),
    "clock name from a digit": f"name: x\n{BASE}" + CLOCK.format("1a: first train_acc >= 0.5"),
    "clock fields misspelt": f"name: x\n{BASE}" + CLOCK.format("a: {kind: first, metric: train_acc, op: '>=', valu: 1}"),
    "clock of no kind": f"name: x\n{BASE}" + CLOCK.format("a: {kind: soon, metric: train_acc}"),
    "clock as a number": f"name: x\n{BASE}" + CLOCK.format("a: 5"),
    "a misspelt clock word": f"name: x\n{BASE}" + CLOCK.format("a: firts train_acc >= 0.5"),
    "a clock of an unknown metric": f"name: x\n{BASE}" + CLOCK.format("a: first sharpness >= 0.5"),
    "a clock with no threshold": f"name: x\n{BASE}" + CLOCK.format("a: first train_acc >="),
    "device gpu": f"name: x\ndevice: gpu\n{BASE}",
    "device cuda:x": f"name: x\ndevice: 'cuda:x'\n{BASE}",
    "a metric twice": f"name: x\n{BASE}probes: {{metrics: [margin, margin]}}\n",
    "an unknown metric": f"name: x\n{BASE}probes: {{metrics: [sharpness]}}\n",
    "empty grid": FAMILY + "vary: {grid: {seed: []}}\n",
    "empty zip": FAMILY + "vary: {zip: {seed: []}}\n",
    "empty one at a time": FAMILY + "vary: {one_at_a_time: {seed: []}}\n",
    "unknown top-level key": f"name: x\nmodulus: 7\n{BASE}",
    "unknown task key": "name: x\ntask: {kind: modular, modulos: 7}\nmodel: {kind: embed_mlp}\n",
    "unknown model kind": "name: x\ntask: {kind: modular}\nmodel: {kind: resnet}\n",
    "no name": BASE,
    "bad name": f"name: 'a b'\n{BASE}",
    "negative steps": f"name: x\n{BASE}train: {{steps: -1}}\n",
    "negative seed": f"name: x\nseed: -1\n{BASE}",
    "stop after a bad name": f"name: x\n{BASE}stop: {{after: [my-clock]}}\n",
    "both name and family": f"name: x\nfamily: f\nbase: a.yaml\n{BASE}",
    "schema version 2": f"clockspec: 2\nname: x\n{BASE}",
}


@pytest.fixture(scope="module")
def validator():
    return jsonschema.Draft7Validator(json_schema())


def checks(tmp_path, text: str) -> bool:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return main(["check", str(path)]) == 0


@pytest.mark.parametrize("name", [*ACCEPTED, *REJECTED])
def test_schema_and_check_agree(name, validator, tmp_path, capsys):
    text = ACCEPTED.get(name) or REJECTED[name]
    by_schema = not list(validator.iter_errors(parse_yaml(text).data))
    by_check = checks(tmp_path, text)
    capsys.readouterr()
    assert by_schema == by_check == (name in ACCEPTED), (by_schema, by_check)
