"""Quotient <-> network with per-unit balances (theory §5.2 closure), float64."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..params import Network, Spline


def abs_w_squared(beta: np.ndarray, mu: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """w_i^2: the positive root of (1 + beta_i^2) w^4 + delta_i w^2 - mu_i^2 = 0.

    Uses 2 mu^2 / (delta + sqrt(D)) when delta > 0 to avoid cancellation, D = delta^2 +
    4 (1 + beta^2) mu^2.

    Raises
    ------
    ParameterError
        If mu_i = 0 and delta_i >= 0 (no network with w_i != 0 has these values).
    """
    q = 1.0 + beta * beta
    disc = np.sqrt(delta * delta + 4.0 * q * mu * mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(delta > 0, 2.0 * mu * mu / (delta + disc), (disc - delta) / (2.0 * q))
    bad = ~(out > 0)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ParameterError(f"unit {i + 1}: mu = 0 with balance >= 0 has no network (w = 0)")
    return out


def to_network(spline: Spline, delta: float | np.ndarray) -> Network:
    """The network representing ``spline`` with per-unit balances ``delta`` (float64)."""
    sf = spline.as_float() if spline.kind != "float" else spline
    d = np.broadcast_to(np.asarray(delta, dtype=np.float64), (sf.H,))
    a = np.sqrt(abs_w_squared(sf.beta, sf.mu, d))
    s = np.asarray(sf.s, dtype=np.float64)
    return Network(s * a, -s * a * sf.beta, sf.mu / a, float(sf.c), float(sf.negative_slope))
