"""The local learning coefficient through devinterp (an optional extra: `clockspec[llc]`).

devinterp 2 samples language models: its dataset is a table of `input_ids` and its loss a
per-token function of (model, input_ids). A clockspec dataset is adapted to that, not
re-implemented: each "sequence" is the pair (i, i) of one training example's index, and the
loss function looks the example up and returns its loss, one "token" per sequence. The
estimate is devinterp's: n_beta * (mean SGLD loss - loss at the parameters). Sampling runs
on a copy of the model (devinterp's), with gradients on, and every global random state the
sampler seeds (torch, numpy, random) is put back, so the run itself is unchanged.
"""
from __future__ import annotations

import contextlib
import math
import random
import tempfile
import warnings
from collections.abc import Iterator
from functools import partial
from typing import Any
from unittest import mock

import numpy as np
import torch


@contextlib.contextmanager
def _random_state_kept() -> Iterator[None]:
    state = (random.getstate(), np.random.get_state())
    with torch.random.fork_rng(devices=[]):
        try:
            yield
        finally:
            random.setstate(state[0])
            np.random.set_state(state[1])


def estimate_llc(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, loss: Any, options: dict[str, Any]) -> float:
    """devinterp's LLC estimate of `loss` over (x, y) at the model's current parameters."""
    from datasets import Dataset
    from devinterp.slt.llc import llc
    from tqdm.auto import trange

    n = len(y)
    table = Dataset.from_dict({"input_ids": [[i, i] for i in range(n)]}).with_format("torch")

    def per_example(m: torch.nn.Module, input_ids: torch.Tensor) -> torch.Tensor:
        """The batch's mean loss in every row: devinterp averages the rows, so mean and gradient are the loss's."""
        idx = input_ids[:, 0].to(x.device)
        return loss(m(x[idx]), y[idx]).expand(len(idx), 1)

    n_beta = options["n_beta"] or n / math.log(max(n, 3))
    with contextlib.ExitStack() as stack, _random_state_kept(), torch.enable_grad(), \
            tempfile.TemporaryDirectory() as out, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stack.enter_context(mock.patch("devinterp.slt.sampler.trange", partial(trange, disable=True)))  # no bars
        result = llc(model, table, {}, lr=options["lr"], n_beta=n_beta, loss_fn=per_example,
                     localization=options["localization"], num_chains=options["chains"], num_draws=options["draws"],
                     batch_size=min(options["batch"], n), num_init_loss_batches=max(1, min(8, n // options["batch"])),
                     init_seed=options["seed"], device=str(x.device), output_path=f"{out}/samples.zarr")
    return float(result["llc_mean"])
