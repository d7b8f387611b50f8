"""The loss L = (1/(2N)) sum_n (f(x_n) - y_n)^2: exact per pattern, as a global Piecewise, and numeric.

(This module was ``symspline/loss.py``; it is named for :class:`PiecewiseLoss` so that
``symspline.loss`` is only ever the function.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp

from . import reprs
from .data import Dataset
from .errors import ParameterError
from .params import Network, Spline
from .regions import (
    MAX_PATTERNS,
    Pattern,
    check_size,
    pattern_count,
    patterns,
    region_conditions,
)


def pattern_outputs(pattern: Pattern, params: Network | Spline, data: Dataset) -> list[sp.Expr]:
    """f(x_n) on the pattern, as polynomials: c + sum_i g_i(n) (P_i + Q_i x_n).

    g_i = 1 on the active set A_i and alpha (the leaky slope, 0 for the ReLU) off it; P_i + Q_i x
    is unit i's line from the model protocol: mu_i s_i (x - beta_i) for a spline, v_i (w_i x + b_i)
    for a network (docs/theory.md §2.1).
    """
    _check_shapes(pattern, params, data)
    P, Q = params.unit_lines()
    alpha = params.negative_slope
    out = []
    for n in range(data.n):
        xn = data.x[n]
        terms = [params.c]
        for i in range(pattern.H):
            if pattern.indicator(i, n):
                terms.append(P[i] + Q[i] * xn)
            elif alpha != 0:
                terms.append(alpha * (P[i] + Q[i] * xn))
        out.append(sp.Add(*terms))
    return out


def pattern_residuals(pattern: Pattern, params: Network | Spline, data: Dataset) -> list[sp.Expr]:
    """Residuals r_n = f(x_n) - y_n on the pattern."""
    return [fn - yn for fn, yn in zip(pattern_outputs(pattern, params, data), data.y, strict=True)]


def pattern_loss(pattern: Pattern, params: Network | Spline, data: Dataset) -> sp.Expr:
    """The loss on one pattern: a polynomial in the parameters (and in symbolic data)."""
    r = pattern_residuals(pattern, params, data)
    return sp.Add(*[ri**2 for ri in r]) / (2 * data.n)


def _check_shapes(pattern: Pattern, params: Network | Spline, data: Dataset) -> None:
    if pattern.H != params.H:
        raise ParameterError(f"pattern has {pattern.H} units but the parameters have {params.H}")
    if pattern.n != data.n:
        raise ParameterError(f"pattern is for {pattern.n} samples but the data has {data.n}")
    if params.fixed_orientations not in (None, tuple(pattern.s)):
        raise ParameterError(f"pattern orientations {pattern.s} differ from the spline's {params.s}")


@dataclass(frozen=True, eq=False)
class PiecewiseLoss:
    """The global loss as a Piecewise over patterns, built piece by piece on demand.

    For a spline the orientations are fixed labels, so there are (N+1)^H patterns; for a
    network the orientation is part of the pattern: (2(N+1))^H. Pieces are cached.
    """

    params: Network | Spline
    data: Dataset
    limit: int = MAX_PATTERNS
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def count(self) -> int:
        """Number of patterns (pieces)."""
        return pattern_count(self.params.H, self.data.n,
                             fixed_orientation=self.params.fixed_orientations is not None)

    def patterns(self) -> Iterator[Pattern]:
        """Every pattern of the problem (refused past ``limit``)."""
        s = self.params.fixed_orientations
        return patterns(self.params.H, self.data.n, s, limit=self.limit)

    def piece(self, pattern: Pattern) -> sp.Expr:
        """The polynomial loss on one pattern."""
        if pattern not in self._cache:
            self._cache[pattern] = pattern_loss(pattern, self.params, self.data)
        return self._cache[pattern]

    def condition(self, pattern: Pattern) -> sp.Boolean:
        """The region of parameter space where ``pattern`` holds."""
        return region_conditions(pattern, self.params, self.data)

    @cached_property
    def piecewise(self) -> sp.Piecewise:
        """The whole loss as ``Piecewise((L_P, region_P), ...)``; the regions partition space."""
        check_size(self.count, self.limit, "the piecewise loss")
        pairs = [(self.piece(p), self.condition(p)) for p in self.patterns()]
        return sp.Piecewise(*pairs, evaluate=False)

    def _repr_latex_(self) -> str | None:
        return reprs.render(self, "latex")  # registered by symspline.render


def loss_exact(params: Network | Spline, data: Dataset) -> sp.Expr:
    """Direct exact evaluation: sum of squared residuals with exact arithmetic, over 2N."""
    f = params(data.x)
    total = sp.Add(*[(fn - yn) ** 2 for fn, yn in zip(f, data.y, strict=True)])
    value = total / (2 * data.n)
    # Algebraic inputs (e.g. from to_network) simplify exactly; rationals are already canonical.
    return value if value.is_Rational else sp.radsimp(sp.expand(value))


def loss_float(params: Network | Spline, data: Dataset) -> float:
    """Float64 loss from residuals computed by a sweep over sorted breakpoints (no N x H array)."""
    from .kernels import residuals  # imported here: the kernels package builds on this layer

    r = residuals(params, data)
    return float(np.sum(np.square(r))) / (2 * r.shape[0])
