"""Every fact about a kind lives on that kind: a registry refuses a kind without its facts, a
new kind defined here compiles, explains and ablates with no edit elsewhere, and nothing
outside clockspec/ir/ branches on a kind's name.

The scratch model and task kinds are registered for this module's tests and removed after;
the IR's unions are rebuilt both times (`clockspec.ir.spec.refresh_kinds`), so they validate
like any kind (ablate revalidates every member) and leave nothing behind.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from pydantic import Field, ValidationError

import clockspec
from clockspec.compiler.explain import explain
from clockspec.core.errors import SpecError
from clockspec.families.ablate import ablation, candidate_axes
from clockspec.ir.base import Axis, Strict
from clockspec.ir.clocks import CLOCKS
from clockspec.ir.models import MODELS
from clockspec.ir.optimizers import OPTIMIZERS
from clockspec.ir.regularizers import REGULARIZERS
from clockspec.ir.spec import DISTRIBUTIONS, Experiment, Family, refresh_kinds
from clockspec.ir.tasks import TASKS, TaskBase

ROOT = Path(__file__).resolve().parents[2]


class Affine(Strict):
    """One affine map from the inputs to the classes (a scratch kind: no runtime builder)."""

    kind: Literal["affine"]
    init_scale: float = Field(1.0, gt=0.0)
    bias: bool = True

    lookup_tables: ClassVar[tuple[str, ...]] = ()
    hashed_sizes: ClassVar[tuple[str, ...]] = ("input_dim", "output_dim")
    per_member_fields: ClassVar[tuple[str, ...]] = ("init_scale",)
    embeds_tokens: ClassVar[bool] = False
    projects_embeddings: ClassVar[bool] = False
    compile_saving: ClassVar[float] = 0.0
    linear_depth: ClassVar[None] = None
    relu_units: ClassVar[bool] = False

    def param_shapes(self, sizes):
        shapes = [("head.weight", [sizes["output_dim"], sizes["input_dim"]])]
        return shapes + ([("head.bias", [sizes["output_dim"]])] if self.bias else [])

    def task_misfit(self, task):
        return None

    def describe(self, task, sizes):
        return f"one affine map from {sizes['input_dim']} inputs to {sizes['output_dim']} classes"

    def summary(self):
        return "affine"

    def ablation_axes(self):
        return [Axis("bias", [not self.bias], "switched")]


class Parity(TaskBase):
    """Labels: the parity of `bits` random +-1 inputs (a scratch task kind)."""

    kind: Literal["parity"]
    bits: int = Field(8, ge=1)
    train_size: int = Field(100, ge=1)
    test_size: int = Field(50, ge=1)
    seed: int = 0

    split_fields: ClassVar[tuple[str, ...]] = ("train_size", "test_size")
    per_member_fields: ClassVar[tuple[str, ...]] = ()
    token_inputs: ClassVar[bool] = False
    dense_inputs: ClassVar[str] = "+-1 bits"

    def sizes(self):
        return {"input_dim": self.bits, "output_dim": 2, "n_train": self.train_size, "n_test": self.test_size}

    def example_bytes(self, dtype_bytes):
        return self.bits * dtype_bytes

    def describe(self, sizes):
        return f"the parity of {self.bits} bits"

    def summary(self):
        return f"parity of {self.bits}"

    def ablation_axes(self):
        return [Axis("bits", [self.bits * 2], "doubled")]


@pytest.fixture(scope="module")
def scratch_kinds():
    """The scratch kinds, registered for this module's tests and removed after them."""
    schema = json.dumps(Family.model_json_schema())
    MODELS.register(Affine)
    TASKS.register(Parity)
    refresh_kinds()
    yield
    MODELS.remove("affine")
    TASKS.remove("parity")
    refresh_kinds()
    assert json.dumps(Family.model_json_schema()) == schema  # nothing left of them
    with pytest.raises(ValidationError):
        Experiment.model_validate(_spec())


def _spec(**model) -> dict:
    return {"name": "scratch", "task": {"kind": "teacher", "inputs": 6, "classes": 3},
            "model": {"kind": "affine", **model}, "optimizer": {"kind": "sgd", "lr": 0.1},
            "regularizers": {"weight_decay": {"strength": 0.01}}, "train": {"steps": 200},
            "clocks": {"fit": "first train_acc >= 0.9"}}


# ---- (1) a kind without its facts is refused when it is registered -----------------------

@pytest.mark.parametrize("registry", [TASKS, MODELS, OPTIMIZERS, REGULARIZERS, CLOCKS, DISTRIBUTIONS],
                         ids=lambda r: r.family)
def test_a_kind_without_its_facts_is_refused_at_registration(registry):
    class Bare(Strict):
        kind: Literal["bare"]
        init_scale: float = 1.0
        strength: float = 1.0

    with pytest.raises(TypeError, match=rf"{registry.family} 'bare' does not provide .*: every {registry.family} must"):
        registry.register(Bare)
    assert "bare" not in registry


def _affine_without(kind: str, missing: str) -> type:
    """Affine under another kind name, less one fact or field."""
    namespace = {k: v for k, v in vars(Affine).items() if k != missing and not k.startswith("__")}
    annotations = {k: v for k, v in Affine.__annotations__.items() if k != missing}
    namespace["__annotations__"] = {**annotations, "kind": Literal[kind]}
    return type(f"Affine_{missing}", (Strict,), {**namespace, "__module__": __name__})


@pytest.mark.parametrize("missing", ["describe", "param_shapes", "hashed_sizes", "linear_depth", "ablation_axes"])
def test_the_missing_fact_is_named(missing):
    with pytest.raises(TypeError, match=rf"^model 'affine_less' does not provide {missing}: every model must"):
        MODELS.register(_affine_without("affine_less", missing))
    assert "affine_less" not in MODELS


def test_a_model_without_the_fields_the_compiler_reads_is_refused():
    with pytest.raises(TypeError, match="^model 'affine_less' has no field init_scale: every model must"):
        MODELS.register(_affine_without("affine_less", "init_scale"))
    assert "affine_less" not in MODELS


def test_the_capable_kinds_are_named_from_the_registry():
    assert MODELS.names_where(lambda cls: cls.linear_depth is not None) == ["deep_linear"]
    assert MODELS.names_where(lambda cls: cls.embeds_tokens) == ["embed_mlp", "transformer"]
    assert TASKS.names_where(lambda cls: cls.token_inputs) == ["modular", "group", "addition"]


# ---- (2) a new kind needs no edit elsewhere -------------------------------------------

def test_a_scratch_model_compiles_explains_and_ablates(scratch_kinds):
    spec = Experiment.model_validate(_spec())
    plan = clockspec.compile(spec)
    assert plan.derived["param_shapes"] == [["head.weight", [3, 6]], ["head.bias", [3]]]
    assert plan.derived["n_params"] == 21 and plan.derived["flops_per_step"] == 4 * 18 * 256  # its one layer reads data: no input gradient
    assert plan.nodes["model"].data == {"kind": "affine", "bias": True, "input_dim": 6, "output_dim": 3}
    assert plan.nodes["init"].data == {"init_scale": 1.0, "seed": 0}
    page = explain(plan)
    assert "Model: one affine map from 6 inputs to 3 classes\n" in page
    assert "applies only where the ReLU pattern has frozen" in page  # weight decay without a linear depth
    family, _ = ablation(spec, "base.yaml", seeds=1)
    assert family["vary"]["one_at_a_time"]["model.bias"] == [False]
    assert ("model.bias", [False], "base true; switched") in candidate_axes(spec)
    assert clockspec.compile(Experiment.model_validate(_spec(bias=False))).derived["n_params"] == 18


def test_a_scratch_task_compiles_explains_and_ablates(scratch_kinds):
    spec = Experiment.model_validate({**_spec(), "task": {"kind": "parity", "bits": 4},
                                      "model": {"kind": "mlp", "hidden": [8]}})
    plan = clockspec.compile(spec)
    assert plan.nodes["data"].data == {"kind": "parity", "bits": 4, "seed": 0}
    assert plan.nodes["split"].data == {"train_size": 100, "test_size": 50}
    assert plan.derived["param_shapes"][0] == ["hidden.0.weight", [8, 4]]
    page = explain(plan)
    assert "Task: the parity of 4 bits\n" in page and "Model: an MLP 4 (+-1 bits) -> 8 (relu) -> 2" in page
    assert ablation(spec, "base.yaml", seeds=1)[0]["vary"]["one_at_a_time"]["task.bits"] == [8]
    with pytest.raises(SpecError, match="embed_mlp embeds tokens, but a parity task has real-valued inputs"):
        clockspec.compile(Experiment.model_validate({**_spec(), "task": {"kind": "parity"},
                                                     "model": {"kind": "embed_mlp"}}))


def test_a_scratch_model_is_refused_what_its_capabilities_cannot_give(scratch_kinds):
    for metric, reason in [("schatten", "needs a deep_linear model (an end-to-end map), not affine"),
                           ("pattern_flips", "needs a ReLU model, not affine"),
                           ("grad_ratio", "needs an embed_mlp or transformer model (embedding + head), not affine")]:
        spec = Experiment.model_validate({**_spec(), "probes": {"metrics": [metric]}})
        with pytest.raises(SpecError, match=re.escape(f"metric '{metric}' cannot be measured here: {reason}")):
            clockspec.compile(spec)


# ---- (3) nothing outside clockspec/ir/ branches on a kind's name ------------------------

def _kind_names() -> tuple[set[str], set[str]]:
    """Names no literal may spell outside ir/; names no `.kind` comparison may use.

    Regularizer names are also the spec's `regularizers.<name>` fields, a clock kind's and a
    distribution's names are ordinary words ("first", "int"): those are checked only where
    they are compared with a kind."""
    anywhere = set(TASKS) | set(MODELS) | set(OPTIMIZERS)
    return anywhere, anywhere | set(REGULARIZERS) | set(CLOCKS) | set(DISTRIBUTIONS)


def _docstrings(tree: ast.AST) -> set[int]:
    nodes = [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
    return {id(n.body[0].value) for n in nodes
            if n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}


def _is_kind(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "kind") or (isinstance(node, ast.Name) and node.id == "kind")


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _registrations(tree: ast.AST) -> set[int]:
    """The kind names a module registers its own pieces under (`REGISTRY.register("sgd")`, `.add("mse", ...)`)."""
    return {id(n.args[0]) for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("register", "add") and n.args and isinstance(n.args[0], ast.Constant)}


def kind_branches(text: str, where: str) -> list[str]:
    anywhere, compared = _kind_names()
    tree = ast.parse(text)
    skip = _docstrings(tree) | _registrations(tree)
    out = [f"{where}:{n.lineno}: {n.value!r}" for n in ast.walk(tree)
           if isinstance(n, ast.Constant) and n.value in anywhere and id(n) not in skip]
    for n in ast.walk(tree):
        if isinstance(n, ast.Compare) and any(_is_kind(side) for side in [n.left, *n.comparators]):
            out += [f"{where}:{n.lineno}: kind compared with {s!r}"
                    for side in [n.left, *n.comparators] for s in _strings(side) if s in compared]
    return out


def test_no_kind_is_named_outside_the_ir():
    """Nor in the runtime: a runtime module names a kind only to register its own piece under it."""
    files = [p for p in sorted((ROOT / "clockspec").rglob("*.py")) if p.relative_to(ROOT).parts[1] != "ir"]
    files += sorted((ROOT / "runtime").rglob("*.py"))
    assert len(files) > 80
    hits = [hit for p in files for hit in kind_branches(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))]
    assert hits == []


def test_the_scan_sees_kind_branches_and_skips_docstrings():
    text = ('def f(spec):\n    """About modular tasks."""\n'
            '    if spec.clocks["a"].kind == "settle":\n        return OPT_STATES["adamw"]\n'
            '    return spec.model.kind == "embed_mlp" or "first" in FORMS\n')
    assert kind_branches(text, "x.py") == ["x.py:4: 'adamw'", "x.py:5: 'embed_mlp'",
                                           "x.py:3: kind compared with 'settle'",
                                           "x.py:5: kind compared with 'embed_mlp'"]
    registering = '@OPTIMIZERS.register("sgd")\nclass SGD:\n    pass\nLOSSES.add("mse", f)\nx = "adamw"\n'
    assert kind_branches(registering, "r.py") == ["r.py:5: 'adamw'"]
