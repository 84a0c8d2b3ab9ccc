"""Runtime builders, one test per kind, each against an independent computation."""
import itertools
import typing

import pytest
import torch
import torch.nn.functional as F

import clockspec
from clockspec.ir.metrics import METRICS as IR_METRICS
from clockspec.ir.models import MODELS as IR_MODELS
from clockspec.ir.models import Activation
from clockspec.ir.optimizers import OPTIMIZERS as IR_OPTIMIZERS
from clockspec.ir.regularizers import REGULARIZERS as IR_REGULARIZERS
from clockspec.ir.spec import Train
from clockspec.ir.tasks import TASKS as IR_TASKS
from clockspec.runtime.device import DTYPES
from clockspec.runtime.metrics import METRICS
from clockspec.runtime.models import MODELS, build_model
from clockspec.runtime.models.network import ACTIVATIONS
from clockspec.runtime.models.protocol import conform
from clockspec.runtime.objective import LOSSES, mse
from clockspec.runtime.optimizers import OPTIMIZERS, lr_factor
from clockspec.runtime.regularizers import REGULARIZERS, SCHATTEN_EPS, build_regularizers
from clockspec.runtime.tasks import TASKS, build_task
from stacks import member, stack_of, step

torch.set_num_threads(1)


def spec(**parts):
    base = {"name": "t", "task": "{kind: modular, modulus: 7, train_fraction: 0.5}",
            "model": "{kind: embed_mlp, embed_dim: 4, hidden: [6]}"}
    base.update(parts)
    return clockspec.loads("\n".join(f"{k}: {v}" for k, v in base.items()))


def test_every_ir_kind_has_a_runtime_builder():
    assert set(TASKS) == set(IR_TASKS.names())
    assert set(MODELS) == set(IR_MODELS.names())
    assert set(REGULARIZERS) == set(IR_REGULARIZERS.names())
    assert set(OPTIMIZERS) == set(IR_OPTIMIZERS.names())
    assert set(METRICS) == set(IR_METRICS)


def test_every_ir_choice_the_runtime_computes_has_its_function():
    assert set(LOSSES) == set(typing.get_args(Train.model_fields["loss"].annotation))
    assert set(ACTIVATIONS) == set(typing.get_args(Activation))
    assert set(DTYPES) == set(typing.get_args(Train.model_fields["dtype"].annotation))


def test_a_model_without_a_member_of_the_protocol_is_refused_when_built():
    with pytest.raises(TypeError, match="'toy' made a Linear without head, forward_with_preacts, spec_parameters, token_table, layer_weights"):
        conform(torch.nn.Linear(2, 2), "toy")


# ---- tasks --------------------------------------------------------------------------------

REFERENCE = {
    "add": lambda a, b, p: (a + b) % p,
    "sub": lambda a, b, p: (a - b) % p,
    "mul": lambda a, b, p: (a * b) % p,
    "div": lambda a, b, p: next(c for c in range(p) if (c * b) % p == a),
    "x2_plus_y2": lambda a, b, p: (a**2 + b**2) % p,
    "x2_plus_xy_plus_y2": lambda a, b, p: (a**2 + a * b + b**2) % p,
    "x3_plus_xy": lambda a, b, p: (a**3 + a * b) % p,
}


@pytest.mark.parametrize("op", sorted(REFERENCE))
def test_modular_covers_all_pairs_with_the_right_labels(op):
    p = 7
    data = build_task(spec(task=f"{{kind: modular, op: {op}, modulus: {p}, train_fraction: 0.3}}").task)
    x = torch.cat([data.x_train, data.x_test]).tolist()
    y = torch.cat([data.y_train, data.y_test]).tolist()
    pairs = [(a, b) for a, b in itertools.product(range(p), range(p)) if op != "div" or b != 0]
    assert sorted(map(tuple, x)) == pairs  # every pair exactly once, train and test disjoint
    assert all(label == REFERENCE[op](a, b, p) for (a, b), label in zip(x, y))
    assert len(data.y_train) == round(0.3 * len(pairs))
    assert (data.n_inputs, data.n_classes, data.n_tokens) == (2 * p, p, p)


def test_modular_split_follows_split_seed():
    def train_of(seed):
        return build_task(spec(task=f"{{kind: modular, modulus: 11, split_seed: {seed}}}").task).x_train.tolist()

    assert train_of(0) == train_of(0)
    assert train_of(0) != train_of(1)


def test_teacher_labels_are_the_argmax_of_a_low_rank_linear_map():
    def teacher(rank, seed=0):
        return build_task(spec(task=f"{{kind: teacher, inputs: 12, classes: 5, rank: {rank}, train_size: 400, "
                                    f"test_size: 50, data_seed: {seed}}}").task)

    data = teacher(1)
    assert data.x_train.shape == (400, 12) and data.x_test.shape == (50, 12) and not data.tokens
    # Rank 1: logits = (x . v) u, so the label is argmax u or argmin u: two classes, split by a
    # hyperplane through 0 (a least-squares direction separates them exactly).
    labels = data.y_train.unique()
    assert len(labels) == 2
    side = torch.where(data.y_train == labels[0], 1.0, -1.0).double()
    direction = torch.linalg.lstsq(data.x_train, side[:, None]).solution
    assert ((data.x_train @ direction).squeeze(1).sign() == side).float().mean() > 0.95
    assert len(teacher(3).y_train.unique()) > 2
    assert teacher(3).y_train.tolist() == teacher(3).y_train.tolist() != teacher(3, seed=1).y_train.tolist()


# ---- models -------------------------------------------------------------------------------

def one_hot_pairs(x, p):
    return torch.cat([F.one_hot(x[:, 0], p), F.one_hot(x[:, 1], p)], 1).double()


def test_deep_linear_is_its_end_to_end_map_on_one_hot_inputs():
    s = spec(model="{kind: deep_linear, depth: 3, width: 5}")
    data = build_task(s.task)
    net = build_model(s.model, data, seed=0, dtype=torch.float64)
    ws = [w.detach() for w in net.weights]
    assert [tuple(w.shape) for w in ws] == [(5, 14), (5, 5), (7, 5)]
    e2e = ws[2] @ ws[1] @ ws[0]
    assert torch.allclose(net.end_to_end().detach(), e2e)
    assert torch.allclose(net(data.x_train).detach(), one_hot_pairs(data.x_train, 7) @ e2e.T)


def test_mlp_takes_the_operands_one_hot():
    s = spec(model="{kind: mlp, hidden: [9], activation: relu}")
    data = build_task(s.task)
    net = build_model(s.model, data, seed=0, dtype=torch.float64)
    (w1, w2), (b1, b2) = [w.detach() for w in net.weights], [b.detach() for b in net.biases]
    h = torch.relu(one_hot_pairs(data.x_train, 7) @ w1.T + b1)
    assert torch.allclose(net(data.x_train).detach(), h @ w2.T + b2)
    assert net.end_to_end() is None


@pytest.mark.parametrize("combine", ["concat", "sum"])
def test_embed_mlp_embeds_both_operands(combine):
    s = spec(model=f"{{kind: embed_mlp, embed_dim: 4, combine: {combine}, hidden: [6, 5], activation: quadratic}}")
    data = build_task(s.task)
    net = build_model(s.model, data, seed=0, dtype=torch.float64)
    e = net.embedding.detach()
    x = data.x_train
    h = torch.cat([e[x[:, 0]], e[x[:, 1]]], 1) if combine == "concat" else e[x[:, 0]] + e[x[:, 1]]
    for i, (w, b) in enumerate(zip(net.weights, net.biases)):
        h = h @ w.detach().T + b.detach()
        if i < 2:
            h = h.square()
    assert torch.allclose(net(x).detach(), h)
    logits, preacts = net.forward_with_preacts(x)
    assert [tuple(z.shape) for z in preacts] == [(len(x), 6), (len(x), 5)]
    assert net.layer_weights()[0] is net.embedding and net.head is net.weights[-1]


def test_init_scale_scales_every_parameter():
    def params(scale):
        s = spec(model=f"{{kind: embed_mlp, embed_dim: 4, hidden: [6], init_scale: {scale}}}")
        return [p.detach() for p in build_model(s.model, build_task(s.task), 3, torch.float64).parameters()]

    for small, big in zip(params(1.0), params(0.25)):
        assert torch.allclose(small * 0.25, big)


def test_teacher_features_feed_a_plain_mlp():
    s = spec(task="{kind: teacher, inputs: 6, classes: 3, rank: 1, train_size: 10, test_size: 4}",
             model="{kind: mlp, hidden: [4], activation: gelu}")
    data = build_task(s.task)
    net = build_model(s.model, data, 0, torch.float64)
    w1, w2 = [w.detach() for w in net.weights]
    b1, b2 = [b.detach() for b in net.biases]
    assert torch.allclose(net(data.x_train).detach(), F.gelu(data.x_train @ w1.T + b1) @ w2.T + b2)


# ---- regularizers and optimizers ------------------------------------------------------------

def deep(reg="", opt="{kind: sgd, lr: 0.1}"):
    s = spec(model="{kind: deep_linear, depth: 3, width: 4}", optimizer=opt, **({"regularizers": reg} if reg else {}))
    data = build_task(s.task)
    return s, data, build_model(s.model, data, 0, torch.float64)


def test_decoupled_weight_decay_shrinks_each_layer_by_lr_times_its_strength():
    s, data, net = deep("{weight_decay: {per_layer: [0.5, 0.0, 2.0]}}")
    stack = stack_of(s)
    before = member(stack)
    weights = [before[f"weights.{i}"].clone() for i in range(3)]
    weights_req = [w.clone().requires_grad_() for w in weights]
    x = F.one_hot(data.x_train[:, 0], 7).double() @ weights_req[0][:, :7].T + \
        F.one_hot(data.x_train[:, 1], 7).double() @ weights_req[0][:, 7:].T
    grads = torch.autograd.grad(F.cross_entropy(x @ weights_req[1].T @ weights_req[2].T, data.y_train), weights_req)
    step(stack)
    after = member(stack)
    for i, (w0, g, strength) in enumerate(zip(weights, grads, [0.5, 0.0, 2.0])):
        torch.testing.assert_close(after[f"weights.{i}"], w0 * (1 - 0.1 * strength) - 0.1 * g)


def deep_loss(data, w: list[torch.Tensor]) -> torch.Tensor:
    """The depth-3 linear net's cross-entropy on the modular task's one-hot operands, by hand."""
    x = F.one_hot(data.x_train[:, 0], 7).double() @ w[0][:, :7].T + F.one_hot(data.x_train[:, 1], 7).double() @ w[0][:, 7:].T
    return F.cross_entropy(x @ w[1].T @ w[2].T, data.y_train)


def assert_steps_as(s, data, make_optimizer, steps: int, atol: float = 1e-12) -> None:
    """`steps` stacked steps of spec `s` equal `steps` of the torch optimizer `make_optimizer(params)`."""
    stack = stack_of(s)
    ref = [member(stack)[f"weights.{i}"].clone().requires_grad_() for i in range(3)]
    torch_opt = make_optimizer(ref)
    for t in range(steps):
        step(stack, t)
        torch_opt.zero_grad()
        deep_loss(data, ref).backward()
        torch_opt.step()
    mine = member(stack)
    for i, theirs in enumerate(ref):
        torch.testing.assert_close(mine[f"weights.{i}"], theirs.detach(), atol=atol, rtol=0)


def test_adamw_with_weight_decay_is_torch_adamw():
    s, data, _ = deep("{weight_decay: {strength: 0.3}}", "{kind: adamw, lr: 0.01, betas: [0.9, 0.98]}")
    assert_steps_as(s, data, lambda ref: torch.optim.AdamW(ref, lr=0.01, betas=(0.9, 0.98), weight_decay=0.3), 5)


def test_coupled_weight_decay_is_the_gradient_of_the_squared_frobenius_norms_added_to_the_loss():
    s, data, _ = deep("{weight_decay: {strength: 0.2, decoupled: false}}")
    stack = stack_of(s)
    w = [p.clone().requires_grad_() for p in member(stack).values()]
    objective = deep_loss(data, w) + 0.2 * sum(v.square().sum() for v in w)
    grads = torch.autograd.grad(objective, w)
    step(stack)
    for mine, w0, g in zip(member(stack).values(), w, grads):
        torch.testing.assert_close(mine, w0.detach() - 0.1 * g)


def test_per_layer_strengths_must_match_the_layers():
    s, data, net = deep("{weight_decay: {per_layer: [0.1, 0.1]}}")
    with pytest.raises(clockspec.SpecError, match="has 3 layer matrices"):
        build_regularizers(s.regularizers, net)


def test_schatten_penalty_is_the_quasi_norm_of_the_end_to_end_map():
    s, data, net = deep("{schatten: {strength: 0.5}}")
    (reg,) = build_regularizers(s.regularizers, net)
    params = dict(net.named_parameters())
    sigma = torch.linalg.svdvals(net.end_to_end().detach())
    exact = 0.5 * (sigma ** (2 / 3)).sum()  # q = 2/L, L = 3
    # The smoothing that keeps gradients finite at sigma = 0 moves each term by < eps^(q/2).
    assert abs(reg.penalty(params).item() - exact.item()) < 0.5 * len(sigma) * SCHATTEN_EPS ** (1 / 3)
    assert abs(reg.penalty(params).item() - exact.item()) < 1e-3 * exact.item()
    with torch.no_grad():
        net.weights[0].zero_()  # rank 0: sigma^(q-1) would be infinite without the smoothing
    reg.penalty(params).backward()
    assert all(torch.isfinite(w.grad).all() for w in net.weights)


def test_schatten_needs_an_end_to_end_map():
    s = spec(regularizers="{schatten: {strength: 0.1}}")
    net = build_model(s.model, build_task(s.task), 0, torch.float64)
    with pytest.raises(clockspec.SpecError, match="deep_linear"):
        build_regularizers(s.regularizers, net)


@pytest.mark.parametrize("kind,cls,options", [
    ("sgd", torch.optim.SGD, {"momentum": 0.5}), ("sgd", torch.optim.SGD, {"momentum": 0.5, "nesterov": True}),
    ("adam", torch.optim.Adam, {"betas": (0.8, 0.9)}), ("adamw", torch.optim.AdamW, {"eps": 1e-6, "betas": (0.9, 0.98)})])
def test_each_optimizer_kind_steps_as_torchs_optimizer_with_its_hyperparameters(kind, cls, options):
    """Three stacked steps of the kind's rule against torch's own optimizer on the same network."""
    text = ", ".join(f"{k}: {list(v) if isinstance(v, tuple) else str(v).lower()}" for k, v in options.items())
    s, data, _ = deep(opt=f"{{kind: {kind}, lr: 0.02, {text}}}")
    assert_steps_as(s, data, lambda ref: cls(ref, lr=0.02, weight_decay=0.0, **options), 3)


def test_schedules():
    s = spec(optimizer="{kind: adam, lr: 1.0, schedule: cosine, warmup_steps: 10}")
    f = lr_factor(s.optimizer, 110)
    assert [f(0), f(4), f(9)] == [0.1, 0.5, 1.0]
    assert f(60) == pytest.approx(0.5) and f(110) == pytest.approx(0.0)
    assert lr_factor(spec(optimizer="{kind: adam}").optimizer, 100) is None
    g = lr_factor(spec(optimizer="{kind: adam, schedule: warmup, warmup_steps: 4}").optimizer, 100)
    assert [g(0), g(3), g(50)] == [0.25, 1.0, 1.0]


def test_mse_is_torchs_mean_and_mse_half_sum_the_half_sum_over_classes():
    logits = torch.tensor([[1.0, 2.0, 0.0], [0.0, 0.0, 3.0]])
    labels = torch.tensor([1, 0])
    target = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    assert mse(logits, labels).item() == pytest.approx(torch.nn.MSELoss()(logits, target).item())
    assert mse(logits, labels).item() == pytest.approx(((1 + 1 + 0) + (1 + 0 + 9)) / 6)
    assert LOSSES["mse_half_sum"](logits, labels).item() == pytest.approx(0.5 * ((1 + 1 + 0) + (1 + 0 + 9)) / 2)
    assert LOSSES["cross_entropy"].single is F.cross_entropy
