"""Matrix quantities shared by metrics and regularizers (DOMAIN.md's formulas)."""
from __future__ import annotations

import torch


def schatten_energy(matrix: torch.Tensor, q: float, eps: float = 0.0) -> torch.Tensor:
    """sum_k sigma_k^q. With eps > 0, sum_k (sigma_k^2 + eps)^(q/2) - eps^(q/2): still zero
    at sigma = 0 but with a finite gradient there for q < 1, which a penalty needs."""
    sigma = torch.linalg.svdvals(matrix)
    if eps:
        return ((sigma.square() + eps).pow(q / 2) - eps ** (q / 2)).sum()
    return sigma.pow(q).sum()


def auto_q(q: float | str, depth: int) -> float:
    """`auto` is 2/L: the quasi-norm that weight decay induces on a depth-L linear net."""
    return 2.0 / depth if q == "auto" else float(q)


def effective_rank(matrix: torch.Tensor) -> torch.Tensor:
    """Roy and Vetterli: exp of the entropy of the normalised singular values."""
    sigma = torch.linalg.svdvals(matrix)
    p = sigma / sigma.sum()
    p = p[p > 0]
    return torch.exp(-(p * p.log()).sum())


def imbalance(weights: list[torch.Tensor]) -> torch.Tensor:
    """sum_i ||W_{i+1}^T W_{i+1} - W_i W_i^T||_F: zero exactly for a balanced factorisation."""
    total = weights[0].new_zeros(())
    for w, w_next in zip(weights[:-1], weights[1:]):
        total = total + torch.linalg.matrix_norm(w_next.T @ w_next - w @ w.T)
    return total
