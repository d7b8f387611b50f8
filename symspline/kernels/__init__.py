"""Structured float64 kernels: loss, gradient, Hessian, HVP and spectrum at scale (docs/theory.md §3.5).

Every active set A_i is a prefix or a suffix of the sorted data, so every quantity is a sum over an
interval (or an intersection of two intervals) of 1, x, x^2, r, r x. After one O(N) pass and a sort
of the H breakpoints:

=====================  ===========================  ==========
function               time                         memory
=====================  ===========================  ==========
residuals, loss        O(N + H log H)               O(N + H)
gradient, hvp          O(N + H log H)               O(N + H)
hessian                O(N + H log H + H^2)         O(N + H^2)
hessian_operator       O(N + H log H) once, O(H)    O(N + H)
                       per product
=====================  ===========================  ==========

Parameters may be a :class:`~symspline.Network` or a :class:`~symspline.Spline` (exact values are
converted to float64), with the ReLU or the leaky ReLU (``negative_slope`` = alpha): a unit then
contributes alpha times its line off its active set, and every active-set sum above becomes
(1 - alpha) sum_{A_i} + alpha sum_all (docs/kernels.md, "Leaky ReLU"). Results are NumPy float64
arrays in the fixed parameter order (w, b, v, c) or (beta, mu, c). Residuals are in the sorted
order of ``data.x``.

The activation pattern is a :class:`symspline.regions.Pattern` located by
:func:`symspline.regions.locate` (vectorised for float input), or given by the caller to
:func:`kernel`; :class:`~symspline.kernels.sweep.Layout` is built from it.

Kinks (a breakpoint exactly on a sample) make L non-differentiable (theory §2.3): gradient, hessian,
hvp and the operator raise :class:`~symspline.KinkError` unless ``side="left"``/``"right"`` asks for
the derivative of the pattern reached from below/above, as :func:`symspline.locate` defines it.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator

from ..data import Dataset
from ..errors import InputError, ParameterError
from ..params import Network, Spline
from ..regions import Pattern, locate
from . import small
from .base import Kernel
from .density import (
    SpectralDensity,
    lanczos_quadrature,
    plot_spectral_density,
    wasserstein1,
)
from .network import NetworkKernel
from .spectrum import extremes, operator
from .spline import SplineKernel
from .sweep import Layout

__all__ = [
    "KERNELS", "Kernel", "Layout", "NetworkKernel", "SpectralDensity", "SplineKernel", "extreme_eigenvalues",
    "gradient", "hessian", "hessian_operator", "hvp", "kernel", "lanczos_quadrature", "loss",
    "plot_spectral_density", "residuals", "spectral_density", "wasserstein1",
]


#: The specialised kernel of each parameterization (both read the model's leaky gain from the
#: layout, so a new activation needs no entry here; a new parameterization needs one).
KERNELS: dict[type, type[Kernel]] = {Network: NetworkKernel, Spline: SplineKernel}


def kernel(params: Network | Spline, data: Dataset, *, side: str | None = None,
           strict: bool = True, pattern: Pattern | None = None) -> Kernel:
    """The float64 kernel object of ``params`` on ``data`` (reusable for several quantities).

    Parameters
    ----------
    params : Network or Spline
        Float or exact parameters (exact values are converted to float64), ReLU or leaky ReLU
        (``negative_slope``).
    data : Dataset
        Float or exact samples.
    side : {None, "left", "right"}
        Which pattern to use when a breakpoint lies exactly on a sample.
    strict : bool
        With ``side=None``, raise :class:`KinkError` on a kink (needed for derivatives); when
        false the left pattern is used, which is harmless for the loss and residuals because L
        is continuous across pattern boundaries.
    pattern : Pattern, optional
        The activation pattern to work on (e.g. one already located by the caller); by default
        :func:`symspline.regions.locate` of the float parameters on the float data (with
        ``side``). The kernel then computes the derivatives of the pattern polynomial L_P.
    """
    kern_cls = next((KERNELS[c] for c in type(params).__mro__ if c in KERNELS), None)
    if kern_cls is None:
        raise InputError(f"params must be a Network or a Spline, got {type(params).__name__}")
    if not isinstance(data, Dataset):
        raise InputError(f"data must be a Dataset, got {type(data).__name__}")
    p = params if params.kind == "float" else params.as_float()
    d = data.as_float()
    if pattern is None:
        pattern = locate(p, d, side=side if side is not None or strict else "left")
    else:
        _check_pattern(pattern, p, d, side)
    return kern_cls.of(Layout.build(d, pattern, p.negative_slope), p)


def _check_pattern(pattern: object, params: Network | Spline, data: Dataset,
                   side: str | None) -> None:
    if side not in (None, "left", "right"):
        raise InputError(f"side must be 'left' or 'right', got {side!r}")
    if not isinstance(pattern, Pattern):
        raise InputError(f"pattern must be a Pattern, got {type(pattern).__name__}")
    if pattern.H != params.H:
        raise ParameterError(f"pattern has {pattern.H} units but the parameters have {params.H}")
    if pattern.n != data.n:
        raise ParameterError(f"pattern is for {pattern.n} samples but the data has {data.n}")
    s = getattr(params, "s", None)  # a spline's orientations are fixed labels, not pattern data
    if s is not None and tuple(s) != pattern.s:
        raise ParameterError(f"pattern orientations {pattern.s} differ from the spline's {s}")


def residuals(params: Network | Spline, data: Dataset) -> np.ndarray:
    """r_n = f(x_n) - y_n, n in the sorted order of ``data.x``, by a sweep over the breakpoints.

    The active units change only at the H breakpoints, so f is c + A_j x + G_j on segment j with
    A_j, G_j accumulated over the sorted breakpoints: O(N + H log H) time, no N x H array.
    """
    return np.array(kernel(params, data, strict=False).residuals)


def loss(params: Network | Spline, data: Dataset) -> float:
    """L = (1 / (2N)) sum_n r_n^2 (theory §0); defined everywhere, kinks included.

    Small problems (H <= 32, N H <= 2^15) take :mod:`symspline.kernels.small`: a few dense
    vectorized calls instead of the sweep's fixed cost.
    """
    fast = small.loss(params, data)
    if fast is not None:
        return fast
    return kernel(params, data, strict=False).loss


def gradient(params: Network | Spline, data: Dataset, side: str | None = None) -> np.ndarray:
    """grad L in the fixed order (theory §2.2), shape (P,).

    Spline: dL/dbeta_i = -(1/N) s_i mu_i sum_{A_i} r_n, dL/dmu_i = (1/N) s_i sum_{A_i} r_n
    (x_n - beta_i), dL/dc = (1/N) sum_n r_n. Network: dL/dw_i = (1/N) v_i sum_{A_i} r_n x_n,
    dL/db_i = (1/N) v_i sum_{A_i} r_n, dL/dv_i = (1/N) sum_{A_i} r_n (w_i x_n + b_i).

    Raises
    ------
    KinkError
        If a breakpoint lies on a sample and ``side`` is None.
    """
    fast = small.gradient(params, data, side)
    if fast is not None:
        return fast
    return kernel(params, data, side=side).gradient()


def hessian(params: Network | Spline, data: Dataset, parts: bool = False,
            side: str | None = None) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hess L = (J^T J + R) / N on the pattern of ``params`` (theory §3.1), shape (P, P).

    Every Gauss-Newton entry is an O(1) difference of prefix moments over the intersection of two
    index intervals (theory §3.5). With ``parts=True`` returns ``(hessian, gauss_newton,
    residual)``, ``hessian = gauss_newton + residual``, both divided by N. R is non-zero only on
    (mu_i, beta_i) (spline, value -s_i sum_{A_i} r_n) or on (w_i, v_i) and (b_i, v_i) (network,
    values sum_{A_i} r_n x_n and sum_{A_i} r_n).

    Raises
    ------
    KinkError
        If a breakpoint lies on a sample and ``side`` is None.

    Small problems (H <= 32, N H <= 2^15, no kink) are answered by
    :mod:`symspline.kernels.small` with a handful of vectorized calls (the same numbers to
    rounding); everything else by the O(N + H log H + H^2) structured kernel.
    """
    fast = small.hessian(params, data, parts, side)
    if fast is not None:
        return fast
    return kernel(params, data, side=side).hessian(parts=parts)


def _direction(vector: object, size: int) -> np.ndarray:
    try:
        d = np.asarray(vector, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterError("the vector must be an array of numbers") from exc
    if d.shape != (size,):
        raise ParameterError(f"the vector must have shape ({size},), got {d.shape}")
    if not np.all(np.isfinite(d)):
        raise ParameterError("the vector has non-finite entries")
    return d


def hvp(params: Network | Spline, data: Dataset, vector: object,
        side: str | None = None) -> np.ndarray:
    """Hess L @ vector in O(N + H log H) time and O(N + H) memory; the matrix is never formed.

    J vector is piecewise linear on the segments between sorted breakpoints, so J^T J vector
    needs only the segment moments of 1, x, x^2; R vector touches two entries per unit.
    """
    k = kernel(params, data, side=side)
    return k.hvp(_direction(vector, k.size))


def hessian_operator(params: Network | Spline, data: Dataset,
                     side: str | None = None) -> LinearOperator:
    """The Hessian as a symmetric :class:`scipy.sparse.linalg.LinearOperator`.

    Set-up costs O(N + H log H); every product then costs O(H) (independent of N).
    """
    return operator(kernel(params, data, side=side))


def extreme_eigenvalues(params: Network | Spline, data: Dataset, k: int = 1,
                        side: str | None = None, *, method: str = "auto", tol: float = 1e-12,
                        maxiter: int | None = None, ncv: int | None = None
                        ) -> dict[str, np.ndarray]:
    """The ``k`` largest and ``k`` smallest eigenvalues of Hess L.

    Returns ``{"largest": descending array, "smallest": ascending array}``. ``method="lanczos"``
    runs ARPACK (``scipy.sparse.linalg.eigsh``, which "LA" and "SA", a fixed start vector) on
    :func:`hessian_operator`; ``"dense"`` uses ``numpy.linalg.eigvalsh`` on :func:`hessian`;
    ``"auto"`` picks dense for at most 400 parameters. ``tol`` bounds ARPACK's relative residual
    ||H x - lambda x|| <= tol |lambda|, hence the relative error of each eigenvalue (tol = 0,
    machine precision, can stall on clustered eigenvalues); ``ncv`` is the Lanczos basis size
    (default max(2k + 1, 96)).

    Lanczos finds each extreme eigenvalue but not reliably its multiplicity: units that share an
    active set (e.g. several breakpoints beyond the data) give repeated eigenvalues, which may be
    listed once. Use ``method="dense"`` when multiplicities matter.

    Raises
    ------
    SizeError
        If ARPACK does not converge within ``maxiter`` iterations.
    """
    kern = kernel(params, data, side=side)
    return extremes(kern, k, method, tol, maxiter, ncv)


def spectral_density(params: Network | Spline, data: Dataset, steps: int = 100,
                     probes: int = 1, seed: int = 0, side: str | None = None
                     ) -> SpectralDensity:
    """Spectral density of Hess L by SLQ over the kernels' exact Hessian-vector products.

    What PyHessian's ``density`` estimates with autograd products, here with O(H) exact
    products after an O(N + H log H) set-up: at H = 10^4, N = 10^6, 100 steps with one probe
    take about a second (benchmarks/bench_density.py). The result's :meth:`SpectralDensity.moment`
    estimates trace(Hess^j) / P (exactly in expectation for j <= 2 steps - 1), and
    :meth:`SpectralDensity.density` gives a smoothed density; :func:`plot_spectral_density`
    draws it.

    Raises
    ------
    KinkError
        If a breakpoint lies on a sample and ``side`` is None.
    """
    kern = kernel(params, data, side=side)
    return lanczos_quadrature(kern.hvp, kern.size, steps, probes, seed)
