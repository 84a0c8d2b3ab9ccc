"""Finite groups as permutation tables: the elements, and the index of each product a∘b.

Every group here acts on a few points, so an element is a permutation (a tuple) and
(a∘b)(i) = a(b(i)): apply b, then a. The elements are the closure of the group's
generators, sorted, so element 0 is the identity and the order is the same everywhere.
"""
from __future__ import annotations

import itertools

import torch


def generators(group: str, n: int) -> list[tuple[int, ...]]:
    """Permutations of range(n) that generate C_n, D_n or S_n."""
    rotation = tuple((i + 1) % n for i in range(n))
    if group == "cyclic":
        return [rotation]
    if group == "dihedral":
        return [rotation, tuple((-i) % n for i in range(n))]
    if group == "symmetric":
        return [rotation, tuple([1, 0] + list(range(2, n)))] if n > 1 else [(0,)]
    raise ValueError(f"unknown group {group!r}")


def compose(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(a[i] for i in b)


def elements(group: str, n: int) -> list[tuple[int, ...]]:
    """The closure of the generators under composition, sorted (the identity first)."""
    if group == "symmetric":
        return sorted(itertools.permutations(range(n)))
    found = {tuple(range(n))}
    frontier = list(found)
    gens = generators(group, n)
    while frontier:
        frontier = [c for c in (compose(g, e) for e in frontier for g in gens) if c not in found]
        found.update(frontier)
    return sorted(found)


def table(group: str, n: int) -> torch.Tensor:
    """(order, order) int64: entry [a, b] is the index of a∘b."""
    elems = elements(group, n)
    index = {e: i for i, e in enumerate(elems)}
    return torch.tensor([[index[compose(a, b)] for b in elems] for a in elems], dtype=torch.int64)
