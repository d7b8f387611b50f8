"""Top-level functions that dispatch on the parameter object and on the number type."""

from __future__ import annotations

from . import kernels
from .data import Dataset
from .errors import InputError
from .evaluation import evaluate
from .numbers import Kind, combine_kinds
from .params import Network, Spline
from .regions import Pattern


def kind(params: Network | Spline, data: Dataset) -> Kind:
    """The kind of answer for this input: "float", "exact" or "symbolic"."""
    _check(params, data)
    pk, dk = params.kind, data.kind
    if pk == dk:
        return pk  # the common case without building a set (this runs on every call)
    return combine_kinds([pk, dk])


def loss(params: Network | Spline, data: Dataset, *, pattern: Pattern | None = None,
         weight_decay: object = 0) -> object:
    """The objective L + penalty, L = (1/(2N)) sum_n (f(x_n) - y_n)^2 (docs/theory.md §0).

    Returns a float for float input, an exact SymPy number for exact input, and a SymPy expression
    for symbolic input: the polynomial of ``pattern`` if one is given, else the global
    ``Piecewise`` over all patterns (refused with :class:`SizeError` when absurdly large).
    ``weight_decay`` = lambda adds (lambda/2)||theta||^2 for a network and its orbit minimum
    lambda sum_i |mu_i| sqrt(1 + beta_i^2) + lambda c^2/2 for a spline (theory §1.5).
    """
    if pattern is None and _float_point(params, data, weight_decay):
        value = kernels.loss(params, data)  # the hot path: no evaluation object
        return value if weight_decay == 0 else value + params.decay(weight_decay).value
    return evaluate(params, data, weight_decay=weight_decay, pattern=pattern).loss


def gradient(params: Network | Spline, data: Dataset, *, pattern: Pattern | None = None,
             side: str | None = None, weight_decay: object = 0) -> object:
    """Gradient of the objective in the parameterization of ``params``, order (w, b, v, c) or
    (beta, mu, c).

    float -> (P,) NumPy array (fast kernels); exact -> exact column ``sympy.Matrix``; symbolic ->
    expressions on ``pattern`` (a Matrix of ``Piecewise`` over patterns when none is given).
    In the spline parameterization (ReLU, no decay) dL/dc = (1/N) sum r_n, dL/dmu_i = (1/N) s_i
    sum_{A_i} r_n (x_n - beta_i), dL/dbeta_i = -(1/N) s_i mu_i sum_{A_i} r_n (theory §2.2).

    Raises
    ------
    KinkError
        If a breakpoint lies exactly on a data point and ``side`` is None; ``side="left"`` or
        ``"right"`` gives the one-sided derivative from below or above.
    """
    if pattern is None and _float_point(params, data, weight_decay):
        g = kernels.gradient(params, data, side=side)
        return g if weight_decay == 0 else g + params.decay(weight_decay).gradient
    return evaluate(params, data, weight_decay=weight_decay, side=side, pattern=pattern).gradient


def hessian(params: Network | Spline, data: Dataset, *, parts: bool = False,
            pattern: Pattern | None = None, side: str | None = None,
            weight_decay: object = 0) -> object:
    """Hessian of the objective, (J^T J + R) / N + penalty (theory §3.1), dispatching like
    :func:`gradient`.

    With ``parts=True`` returns ``HessianParts(hessian, gauss_newton, residual)`` (a triple, with
    ``.penalty`` for the weight-decay part), the first two already divided by N. Kinks are handled
    as in :func:`gradient`.
    """
    if weight_decay == 0 and pattern is None and kind(params, data) == "float":
        return kernels.hessian(params, data, parts=parts, side=side)
    if not parts and pattern is None and _float_point(params, data, weight_decay):
        return params.decay(weight_decay).add_to(kernels.hessian(params, data, side=side))
    ev = evaluate(params, data, weight_decay=weight_decay, side=side, pattern=pattern)
    return ev.parts if parts else ev.hessian


def _float_point(params: Network | Spline, data: Dataset, weight_decay: object) -> bool:
    """Float parameters, float or exact data and a float (or zero) lambda: the kernels answer."""
    if kind(params, data) != "float" or params.kind != "float":
        return False
    return weight_decay == 0 or (isinstance(weight_decay, float | int) and
                                 not isinstance(weight_decay, bool))


def _check(params: object, data: object) -> None:
    if not isinstance(params, Network | Spline):
        raise InputError(f"params must be a Network or a Spline, got {type(params).__name__}")
    if not isinstance(data, Dataset):
        raise InputError(f"data must be a Dataset, got {type(data).__name__}")


__all__ = ["evaluate", "gradient", "hessian", "kind", "loss"]
