"""Joining or starting a Ray cluster for a family, and making sure its workers write where
the driver reads.

`--address ADDR` (or `auto`) and RAY_ADDRESS join a running cluster, which owns its
resources (Ray refuses num_cpus when connecting); without either a private local instance is
started with jobs x threads CPUs (`address="local"`), never a cluster that happens to run on
the machine. Members write into the family folder, resolved on the driver; a worker on
another machine sees it only on shared storage, so before anything runs one probe per
node reads a token the driver wrote there, and a cluster with a node that cannot is refused.

An address nobody answers at is refused before anything is written (`refuse_unreachable`):
`ray.init` itself retries an unreachable head for minutes, printing only its own warnings.
"""
from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from clockspec.core.errors import Diagnostic, RunError, SpecError
from clockspec.core.fileio import write_atomic

CONNECT_TIMEOUT_S = 10  # a head that does not accept a TCP connection in this time is not there
PROBE_TIMEOUT_S = 300  # a probe waits for a worker process to start on its node
SHARED_STORAGE = "docs/families.md, 'Ray'"


def connect(ray: Any, jobs: int, threads: int, address: str | None) -> bool:
    """Initialise Ray unless the caller did; True when this call started it (and so stops it)."""
    if ray.is_initialized():
        return False
    quiet = {"include_dashboard": False, "log_to_driver": False}
    if address or os.environ.get("RAY_ADDRESS"):
        where, given = ("--address", address) if address else ("RAY_ADDRESS", os.environ["RAY_ADDRESS"])
        try:
            ray.init(address=address, **quiet)
        except (ValueError, ConnectionError) as exc:  # a malformed address (2), or no cluster there (3)
            raise RunError(f"cannot join the Ray cluster at {given!r}: {exc}", where,
                           hint="HOST:PORT, ray://HOST:PORT or auto",
                           exit_status=2 if isinstance(exc, ValueError) else 3) from None
    else:
        ray.init(address="local", num_cpus=jobs * threads, **quiet)
    return True


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise SpecError([Diagnostic("the ray executor needs Ray, which is not installed", "--executor",
                                    hint='pip install "clockspec[ray]"')]) from None
    return ray


@contextmanager
def joined_first(address: str | None) -> Iterator[None]:
    """Join the cluster that `address` (else RAY_ADDRESS) names before anything is written, so
    that a cluster not there leaves no family folder behind, and leave it at the end; nothing
    to do when a private instance will be started later (or Ray already runs)."""
    given = address or os.environ.get("RAY_ADDRESS")
    if not given or given == "local":
        yield
        return
    refuse_unreachable(address)
    ray = import_ray()
    started = connect(ray, 0, 0, address)
    try:
        yield
    finally:
        if started:
            ray.shutdown()


def refuse_unreachable(address: str | None) -> None:
    """RunError (exit 3) in one line when the cluster to join (`address`, else RAY_ADDRESS)
    does not accept a connection within CONNECT_TIMEOUT_S; nothing to check without either
    (a private instance is started) or for an address Ray itself will refuse as malformed."""
    where, given = ("--address", address) if address else ("RAY_ADDRESS", os.environ.get("RAY_ADDRESS"))
    if not given or given == "local":
        return
    host_port = _head(given)
    if host_port is None:
        return
    try:
        socket.create_connection(host_port, timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise RunError(f"cannot reach the Ray cluster at {given!r} ({exc.strerror or exc}); is it running? "
                       "(without --address and RAY_ADDRESS a private local instance is started)", where,
                       exit_status=3) from None


def _head(address: str) -> tuple[str, int] | None:
    """(host, port) of the head node that `address` names: HOST:PORT, ray://HOST:PORT, or
    `auto` (the cluster `ray start` recorded on this machine); None when it names none."""
    if address == "auto":
        try:
            from ray._private.services import canonicalize_bootstrap_address

            address = canonicalize_bootstrap_address("auto") or ""
        except Exception:  # no recorded cluster: ray.init says so itself, at once
            return None
    address = address.removeprefix("ray://")
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


def refuse_unshared_folder(ray: Any, folder: Path) -> None:
    """RunError (exit 2) naming the nodes whose workers cannot read `folder`."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from clockspec.orchestrate import worker

    token = secrets.token_hex(8)
    probe = folder / f".ray-probe-{token}"
    write_atomic(probe, token)
    try:
        nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0]
        check = ray.remote(num_cpus=0, max_retries=1)(worker.reads_token)
        handles = {n["NodeManagerAddress"]: check.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(str(probe), token)
            for n in nodes}
        blind = sorted(addr for addr, handle in handles.items() if not ray.get(handle, timeout=PROBE_TIMEOUT_S))
    finally:
        probe.unlink(missing_ok=True)
    if blind:
        raise RunError(f"the Ray workers on {', '.join(blind)} cannot see the family folder {folder}, where "
                       "they would write their results; on more than one machine, --out must be on storage "
                       f"that every node mounts at the same path ({SHARED_STORAGE})", "--out", exit_status=2)
