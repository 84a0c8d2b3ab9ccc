"""Where and how numbers are computed: device, dtype, threads, denormals, determinism."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from clockspec.core.errors import SpecError, argument_error

DTYPES = {"float32": torch.float32, "float64": torch.float64}
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(?::([0-9]+))?)$")


def resolve_device(name: str, origin: str = "device") -> torch.device:
    """`auto|cpu|cuda[:N]|mps` -> an available torch device; a missing one is a SpecError that
    names `origin` (`--device`, or the spec's `device`) without a line and column of its own."""
    def missing(message: str) -> SpecError:
        return SpecError([argument_error(origin, message, hint="use --device cpu, or auto to take the best one present")])

    match = _DEVICE.match(name)
    if not match:
        raise SpecError([argument_error(origin, f"device '{name}' is not one of auto, cpu, mps, cuda, cuda:N")])
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if torch.backends.mps.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise missing(f"device '{name}' is not available: this torch sees no CUDA device")
        index = int(match.group(2) or 0)
        if index >= torch.cuda.device_count():
            raise missing(f"device '{name}' does not exist: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if name == "mps" and not torch.backends.mps.is_available():
        raise missing("device 'mps' is not available (it needs Apple silicon and a torch built with MPS)")
    return torch.device(name)


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if device.type == "mps" and name == "float64":
        raise SpecError([argument_error("train.dtype", "MPS has no float64; use train.dtype float32 or another device")])
    return DTYPES[name]


@contextmanager
def numerics(device: torch.device, threads: int) -> Iterator[None]:
    """Pin torch's thread count, flush denormals on CPU, make CUDA kernels deterministic.

    Threads are pinned because the default (one per core) is a trap for the small models
    this tool trains: on a 2-core machine, a second thread fighting a busy core made small
    steps ten times slower. Denormals are flushed because float32 on CPU can slow ten-fold
    late in training once weights decay into the denormal range.
    """
    threads_before = torch.get_num_threads()
    deterministic_before = (torch.are_deterministic_algorithms_enabled(),
                            torch.is_deterministic_algorithms_warn_only_enabled())
    torch.set_num_threads(threads)
    if device.type == "cpu":
        torch.set_flush_denormal(True)
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.set_num_threads(threads_before)
        if device.type == "cpu":
            torch.set_flush_denormal(False)
        if device.type == "cuda":  # (setting it, even to what it was, imports torch's compiler: seconds)
            torch.use_deterministic_algorithms(deterministic_before[0], warn_only=deterministic_before[1])


def device_name(device: torch.device) -> str:
    """What the run's status calls the hardware: the GPU's name, else the CPU's model."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple MPS"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        model = ""
    import platform

    return model or platform.processor() or platform.machine() or "cpu"
