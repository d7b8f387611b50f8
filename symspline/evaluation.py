"""One evaluation of the objective at (params, data): validated and located once, then loss,
gradient, Hessian and its parts on demand.

The objective is the squared loss L = (1/(2N)) sum_n r_n^2 (docs/theory.md §0) plus an optional
weight-decay penalty (theory §1.5): (lambda/2) ||theta||^2 in network parameters (torch.optim's
``weight_decay``, every parameter including c) and its minimum over the scale orbits,
lambda sum_i |mu_i| sqrt(1 + beta_i^2) + lambda c^2 / 2, in spline parameters. The activation
(ReLU or leaky ReLU) is a property of the parameters (``negative_slope``), so every quantity below
serves both models without a branch: the penalty comes from ``params.decay`` and the data term
from the engine of the number kind (float kernels, exact closed forms, symbolic Piecewise).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp

from . import kernels
from .calculus import HessianParts, _tidy, pattern_gradient, pattern_hessian
from .calculus import gradient as _closed_gradient
from .calculus import hessian as _closed_hessian
from .data import Dataset
from .errors import InputError
from .numbers import Kind, combine_kinds, kind_of
from .params import Decay, Network, Spline, weight_decay_value
from .piecewise import PiecewiseLoss, loss_exact, pattern_loss
from .regions import Pattern, locate

__all__ = ["Evaluation", "evaluate"]


@dataclass(frozen=True, eq=False)
class Evaluation:
    """The objective and its derivatives at one point; build it with :func:`evaluate`.

    Attributes are computed on first use and kept: asking for the loss, the gradient and the
    Hessian validates the input, locates the activation pattern and builds the float kernel once.

    Attributes
    ----------
    params : Network or Spline
        The point, in either parameterization; its ``negative_slope`` selects the activation.
    data : Dataset
    weight_decay : float, SymPy number or expression
        lambda >= 0 (0: the plain squared loss).
    side : {None, "left", "right"}
        Which pattern to differentiate when a breakpoint lies exactly on a sample.
    kind : {"float", "exact", "symbolic"}
        The kind of every answer.
    """

    params: Network | Spline
    data: Dataset
    weight_decay: object = 0
    side: str | None = None
    given_pattern: Pattern | None = None
    kind: Kind = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.params, Network | Spline):
            raise InputError(
                f"params must be a Network or a Spline, got {type(self.params).__name__}")
        if not isinstance(self.data, Dataset):
            raise InputError(f"data must be a Dataset, got {type(self.data).__name__}")
        if self.side not in (None, "left", "right"):
            raise InputError(f"side must be 'left' or 'right', got {self.side!r}")
        lam = weight_decay_value(self.weight_decay)
        object.__setattr__(self, "weight_decay", lam)
        pk, dk = self.params.kind, self.data.kind
        kinds = [pk, dk] if lam == 0 else [pk, dk, kind_of(lam)]
        object.__setattr__(self, "kind", pk if pk == dk and lam == 0 else combine_kinds(kinds))

    # ------------------------------------------------------------------ located once
    @cached_property
    def pattern(self) -> Pattern | None:
        """The activation pattern differentiated (None for symbolic input without a pattern).

        Raises
        ------
        KinkError
            If a breakpoint lies on a sample and ``side`` is None.
        """
        if self.given_pattern is not None:
            return self.given_pattern
        if self.kind == "symbolic":
            return None
        return locate(self.params, self.data, side=self.side)

    @cached_property
    def _kernel(self) -> kernels.Kernel:
        # the float kernel on the pattern located above: located once, not again
        return kernels.kernel(self.params, self.data, side=self.side, pattern=self.pattern)

    def _small(self, fn: Callable, *args: object) -> object:
        """The small-problem path's answer (None when it does not apply or a pattern is given)."""
        return None if self.given_pattern is not None else fn(self.params, self.data, *args)

    @cached_property
    def penalty(self) -> Decay | None:
        """The weight-decay penalty with its gradient and Hessian (None when lambda = 0)."""
        if self.weight_decay == 0:
            return None
        if self.kind == "float" and self.params.kind != "float":
            return self.params.as_float().decay(float(self.weight_decay))
        return self.params.decay(self.weight_decay)

    # ------------------------------------------------------------------ the objective
    @cached_property
    def data_loss(self) -> object:
        """L = (1/(2N)) sum_n r_n^2 without the penalty; defined at kinks too."""
        if self.kind == "float":
            if self.given_pattern is not None or "_kernel" in self.__dict__:
                return self._kernel.loss  # the kernel built for a derivative: residuals shared
            return kernels.loss(self.params, self.data)
        if self.given_pattern is not None:
            return pattern_loss(self.given_pattern, self.params, self.data)
        if self.kind == "exact":
            return loss_exact(self.params, self.data)
        return PiecewiseLoss(self.params, self.data).piecewise

    @cached_property
    def loss(self) -> object:
        """The objective: L plus the weight-decay penalty."""
        if self.penalty is None:
            return self.data_loss
        value = self.data_loss + self.penalty.value
        return float(value) if self.kind == "float" else value

    @cached_property
    def gradient(self) -> object:
        """Gradient of the objective in the fixed parameter order (theory §0).

        A float (P,) array for float input, an exact or symbolic column ``sympy.Matrix``
        otherwise (a Matrix of ``Piecewise`` for symbolic input without a pattern).
        """
        if self.kind == "float":
            g = self._small(kernels.small.gradient, self.side)
            if g is None:
                g = self._kernel.gradient()
            return g if self.penalty is None else g + self.penalty.gradient
        if self.pattern is None:
            g = _closed_gradient(self.params, self.data)
        else:
            g = pattern_gradient(self.pattern, self.params, self.data)
        return g if self.penalty is None else (g + sp.Matrix(self.penalty.gradient)).applyfunc(
            _tidy)

    @cached_property
    def parts(self) -> HessianParts:
        """``HessianParts(hessian, gauss_newton, residual)`` with ``.penalty`` (theory §3.1):
        hessian = gauss_newton + residual + penalty, the first two divided by N."""
        if self.kind == "float":
            got = self._small(kernels.small.hessian, True, self.side)
            full, gn, res = got if got is not None else self._kernel.hessian(parts=True)
        elif self.pattern is None:
            full, gn, res = _closed_hessian(self.params, self.data, parts=True)
        else:
            full, gn, res = pattern_hessian(self.pattern, self.params, self.data, parts=True)
        if self.penalty is None:
            return HessianParts(full, gn, res)
        pen = self.penalty.hessian
        if self.kind == "float":
            pen = np.asarray(pen, dtype=np.float64)
            return HessianParts(full + pen, gn, res, pen)
        pen = sp.Matrix(pen)
        return HessianParts((full + pen).applyfunc(_tidy), gn, res, pen)

    @cached_property
    def hessian(self) -> object:
        """Hessian of the objective (float (P, P) array or ``sympy.Matrix``).

        For float input without the parts asked first, the kernels add the residual entries in
        place and the penalty is added by its O(P) entries: no Gauss-Newton copy is kept.
        """
        if self.kind != "float" or "parts" in self.__dict__:
            return self.parts.hessian
        got = self._small(kernels.small.hessian, False, self.side)
        full = got if got is not None else self._kernel.hessian()
        return full if self.penalty is None else self.penalty.add_to(full)

    def hvp(self, vector: object) -> np.ndarray:
        """Hessian-vector product in O(N + H log H) without forming the matrix (float input)."""
        if self.kind != "float":
            raise InputError("hvp is for float input; use .hessian for exact or symbolic input")
        d = kernels._direction(vector, self.params.size)
        out = self._kernel.hvp(d)
        if self.penalty is not None:
            out = out + self.penalty.hvp(d)
        return out


def evaluate(params: Network | Spline, data: Dataset, *, weight_decay: object = 0,
             side: str | None = None, pattern: Pattern | None = None) -> Evaluation:
    """The objective L + penalty at ``params`` on ``data``, evaluated lazily and once.

    Parameters
    ----------
    params : Network or Spline
        Float, exact or symbolic; ``params.negative_slope`` selects ReLU or leaky ReLU.
    data : Dataset
    weight_decay : number, optional
        lambda >= 0: adds (lambda/2) ||theta||^2 (network) or its orbit minimum
        lambda sum_i |mu_i| sqrt(1 + beta_i^2) + lambda c^2 / 2 (spline).
    side : {None, "left", "right"}
        At a kink, the one-sided pattern to differentiate (None raises :class:`KinkError` when a
        derivative is asked).
    pattern : Pattern, optional
        Differentiate the polynomial of this pattern instead of the located one.

    Examples
    --------
    >>> ev = evaluate(net, data, weight_decay=1e-3)          # doctest: +SKIP
    >>> ev.loss, ev.gradient, ev.parts.gauss_newton          # doctest: +SKIP
    """
    return Evaluation(params, data, weight_decay, side, pattern)

