"""Top-level functions that dispatch on the parameter object and on the number type."""

from __future__ import annotations

from . import kernels
from .data import Dataset
from .errors import InputError
from .numbers import Kind, combine_kinds
from .params import Network, Spline
from .piecewise import PiecewiseLoss, loss_exact, pattern_loss
from .regions import Pattern


def kind(params: Network | Spline, data: Dataset) -> Kind:
    """The kind of answer for this input: "float", "exact" or "symbolic"."""
    _check(params, data)
    pk, dk = params.kind, data.kind
    if pk == dk:
        return pk  # the common case without building a set (this runs on every call)
    return combine_kinds([pk, dk])


def loss(params: Network | Spline, data: Dataset, *, pattern: Pattern | None = None) -> object:
    """L = (1/(2N)) sum_n (f(x_n) - y_n)^2 (docs/theory.md §0).

    Returns a float for float input, an exact SymPy number for exact input, and a SymPy expression
    for symbolic input: the polynomial of ``pattern`` if one is given, else the global
    ``Piecewise`` over all patterns (refused with :class:`SizeError` when absurdly large).
    """
    k = kind(params, data)
    if pattern is not None:
        return pattern_loss(pattern, params, data)
    if k == "float":
        return kernels.loss(params, data)
    if k == "exact":
        return loss_exact(params, data)
    return PiecewiseLoss(params, data).piecewise


def gradient(params: Network | Spline, data: Dataset, *, pattern: Pattern | None = None,
             side: str | None = None) -> object:
    """Gradient of L in the parameterization of ``params``, order (w, b, v, c) or (beta, mu, c).

    float -> (P,) NumPy array (fast kernels); exact -> exact column ``sympy.Matrix``; symbolic ->
    expressions on ``pattern`` (a Matrix of ``Piecewise`` over patterns when none is given).
    In the spline parameterization dL/dc = (1/N) sum r_n, dL/dmu_i = (1/N) s_i sum_{A_i} r_n
    (x_n - beta_i), dL/dbeta_i = -(1/N) s_i mu_i sum_{A_i} r_n (theory §2.2).

    Raises
    ------
    KinkError
        If a breakpoint lies exactly on a data point and ``side`` is None; ``side="left"`` or
        ``"right"`` gives the one-sided derivative from below or above.
    """
    if kind(params, data) == "float" and pattern is None:
        return kernels.gradient(params, data, side=side)
    from .calculus import gradient as _gradient

    return _gradient(params, data, pattern=pattern, side=side)


def hessian(params: Network | Spline, data: Dataset, *, parts: bool = False,
            pattern: Pattern | None = None, side: str | None = None) -> object:
    """Hessian of L = (J^T J + R) / N (theory §3.1), dispatching like :func:`gradient`.

    With ``parts=True`` returns the tuple ``(hessian, gauss_newton, residual)``, each already
    divided by N. Kinks are handled as in :func:`gradient`.
    """
    if kind(params, data) == "float" and pattern is None:
        return kernels.hessian(params, data, parts=parts, side=side)
    from .calculus import hessian as _hessian

    return _hessian(params, data, parts=parts, pattern=pattern, side=side)


def _check(params: object, data: object) -> None:
    if not isinstance(params, Network | Spline):
        raise InputError(f"params must be a Network or a Spline, got {type(params).__name__}")
    if not isinstance(data, Dataset):
        raise InputError(f"data must be a Dataset, got {type(data).__name__}")


__all__ = ["gradient", "hessian", "kind", "loss"]
