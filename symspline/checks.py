"""Numeric hand-off: lambdify with CSE, and region-aware finite differences in float64 and mpmath.

Inside one activation pattern the loss is a polynomial, so finite differences are accurate as long
as no stencil point leaves the pattern. Every stencil here is checked point by point against the
pattern of the base point (via :func:`symspline.regions.locate`); a step that would cross a kink is
shrunk, and where no central step fits, a second-order one-sided stencil into the pattern is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from .data import Dataset
from .errors import InputError, KinkError
from .params import Network, Spline
from .regions import Pattern, locate

Precision = str  # "float64" or "mpmath"

#: Default working precision (decimal digits) for mpmath differences.
MP_DPS = 60


def lambdify(args: Sequence[sp.Symbol], exprs: object) -> Callable[..., object]:
    """SymPy expressions to a NumPy function, with common-subexpression elimination."""
    return sp.lambdify(list(args), exprs, modules="numpy", cse=True)


# ------------------------------------------------------------------ loss at a parameter vector
def _template(params: Network | Spline) -> tuple[str, int, tuple[int, ...] | None, object]:
    if params.kind == "symbolic":
        raise InputError("finite differences need numeric parameters")
    alpha = params.negative_slope
    if isinstance(params, Network):
        return "network", params.H, None, alpha
    return "spline", params.H, params.s, alpha


def _rebuild(template: tuple, theta: Sequence, alpha: object | None = None) -> Network | Spline:
    """Parameters of the template's model at ``theta`` (leaky slope ``alpha``, default the
    template's). Rebuilt through the constructors rather than ``with_vector`` so that exact theta
    with an exact alpha stays exact: stencil patterns below float resolution are decided exactly."""
    kind, H, s, a = template
    a = a if alpha is None else alpha
    if kind == "network":
        return Network.from_vector(list(theta), H, negative_slope=a)
    return Spline.from_vector(list(theta), s, negative_slope=a)


def _mp(value: object) -> mpmath.mpf:
    if isinstance(value, sp.Rational):
        return mpmath.mpf(int(value.p)) / int(value.q)
    if isinstance(value, sp.Basic):
        return mpmath.mpf(sp.N(value, MP_DPS + 10).__str__())
    return mpmath.mpf(value)


def loss_function(params: Network | Spline, data: Dataset,
                  precision: Precision = "float64") -> Callable[[Sequence], object]:
    """theta -> L(theta) for parameter vectors shaped like ``params`` (float64 or mpmath).

    Both are references independent of the kernels and of the pattern bookkeeping: float64
    evaluates f by ``params(x)`` (the model's own sigma, leaky-aware) and sums the squared
    residuals; mpmath evaluates sigma(z) = z for z > 0 and alpha z otherwise itself, sample by
    sample, at :data:`MP_DPS` digits. Kinks need no care: L is continuous.
    """
    template = _template(params)
    if data.kind == "symbolic":
        raise InputError("finite differences need numeric data")
    if precision == "float64":
        fdata = data.as_float()
        x, y, two_n = fdata.x, fdata.y, 2 * fdata.n
        alpha = float(template[3])

        def loss_float(theta: Sequence) -> float:
            p = _rebuild(template, np.asarray(theta, dtype=float), alpha)
            r = p(x) - y
            return float(np.sum(r * r)) / two_n

        return loss_float
    if precision != "mpmath":
        raise InputError(f"precision must be 'float64' or 'mpmath', got {precision!r}")
    xs = [_mp(v) for v in data.x]
    ys = [_mp(v) for v in data.y]
    kind, H, s, alpha = template
    a = _mp(alpha)

    def sigma(z: mpmath.mpf) -> mpmath.mpf:
        return z if z > 0 else a * z

    def loss_mp(theta: Sequence) -> mpmath.mpf:
        t = list(theta)
        total = mpmath.mpf(0)
        for xn, yn in zip(xs, ys, strict=True):
            f = t[-1]
            for i in range(H):
                if kind == "network":
                    f += t[2 * H + i] * sigma(t[i] * xn + t[H + i])
                else:
                    f += t[H + i] * sigma(s[i] * (xn - t[i]))
            total += (f - yn) ** 2
        return total / (2 * len(xs))

    return loss_mp


# ------------------------------------------------------------------ stencils
@dataclass(frozen=True)
class FDResult:
    """Finite-difference derivative values with the step and stencil used per parameter."""

    values: np.ndarray
    steps: np.ndarray
    one_sided: np.ndarray
    precision: str


@dataclass(frozen=True)
class _Axis:
    h: object
    direction: int  # +1 forward, -1 backward, 0 central


class _Region:
    """Pattern bookkeeping for one base point: which stencil points are admissible."""

    def __init__(self, params: Network | Spline, data: Dataset, side: str | None,
                 exact: bool = False) -> None:
        self.template = _template(params)
        # High-precision stencils move parameters by far less than a float's resolution, so
        # their patterns must be decided in exact arithmetic.
        self.exact = exact
        self.data = _exact_data(data) if exact else data
        try:
            self.base: Pattern | tuple = locate(params, data)
            self.target: Pattern | tuple = self.base
        except KinkError:
            if side is None:
                raise
            self.base = self._kink_key(params)
            self.target = locate(params, data, side=side)

    def _kink_key(self, params: Network | Spline) -> tuple:
        from .regions import kinks

        return ("kink", tuple(kinks(params, self.data)))

    def key(self, theta: Sequence) -> Pattern | tuple:
        conv = _exact_number if self.exact else float
        # The pattern does not depend on the leaky slope: an exact 0 keeps exact theta exact.
        p = _rebuild(self.template, [conv(t) for t in theta], sp.Integer(0) if self.exact else None)
        try:
            return locate(p, self.data)
        except KinkError:
            try:
                return self._kink_key(p)
            except Exception:  # a degenerate network unit sitting on a kink
                return ("kink", ())

    def admissible(self, theta: Sequence) -> bool:
        k = self.key(theta)
        return k == self.target or k == self.base


def _exact_number(t: object) -> sp.Rational:
    if isinstance(t, mpmath.mpf):
        sign, man, exp, _ = t._mpf_
        return (-1) ** sign * sp.Integer(man) * sp.Integer(2) ** exp
    if isinstance(t, float | np.floating):
        f = Fraction(float(t))
        return sp.Rational(f.numerator, f.denominator)
    if isinstance(t, sp.Rational):
        return t
    raise InputError(f"cannot use {t!r} as a parameter value")


def _exact_data(data: Dataset) -> Dataset:
    if data.kind == "exact":
        return data
    return Dataset.from_arrays([_exact_number(v) for v in data.x], [_exact_number(v) for v in data.y])


def _base_step(precision: Precision, order: int) -> float | mpmath.mpf:
    if precision == "mpmath":
        return mpmath.mpf(10) ** (-(MP_DPS // (order + 2)))
    return float(np.finfo(float).eps ** (1.0 / (order + 2)))


def _axis(region: _Region, theta: list, j: int, precision: Precision, order: int) -> _Axis:
    scale = max(1.0, abs(float(theta[j])))
    h = _base_step(precision, order) * scale
    for _ in range(12):
        pts = [-2, -1, 1, 2] if order == 2 else [-1, 1]
        if all(region.admissible(_shift(theta, {j: a * h})) for a in pts):
            return _Axis(h, 0)
        for d in (1, -1):
            if all(region.admissible(_shift(theta, {j: d * a * h})) for a in (1, 2, 3)):
                return _Axis(h, d)
        h = h / 10
    raise InputError(f"no finite-difference step for parameter {j + 1} stays inside one pattern")


def _shift(theta: list, moves: dict[int, object]) -> list:
    out = list(theta)
    for j, d in moves.items():
        out[j] = out[j] + d
    return out


def _start(params: Network | Spline, precision: Precision) -> list:
    vec = params.vector
    if precision == "mpmath":
        return [_mp(v) for v in vec]
    return [float(v) for v in vec]


def fd_gradient(params: Network | Spline, data: Dataset, *, precision: Precision = "float64",
                side: str | None = None) -> FDResult:
    """Gradient of the loss by finite differences that never cross a kink.

    Central differences (f(t+h) - f(t-h)) / 2h with h = eps^(1/3) max(1, |t_j|) in float64 or
    10^(-dps/3) in mpmath; where a central step would leave the pattern, the second-order one-sided
    stencil (-3 f0 + 4 f1 - f2) / 2h into the pattern.

    Raises
    ------
    KinkError
        If a breakpoint lies on a data point and ``side`` is None.
    """
    with mpmath.workdps(MP_DPS):
        return _fd_gradient(params, data, precision=precision, side=side)


def _fd_gradient(params: Network | Spline, data: Dataset, *, precision: Precision,
                 side: str | None) -> FDResult:
    region = _Region(params, data, side, exact=precision == "mpmath")
    fun = loss_function(params, data, precision)
    theta = _start(params, precision)
    f0 = fun(theta)
    vals, steps, one = [], [], []
    for j in range(len(theta)):
        ax = _axis(region, theta, j, precision, 1)
        h = ax.h
        if ax.direction == 0:
            g = (fun(_shift(theta, {j: h})) - fun(_shift(theta, {j: -h}))) / (2 * h)
        else:
            d = ax.direction
            f1, f2 = fun(_shift(theta, {j: d * h})), fun(_shift(theta, {j: 2 * d * h}))
            g = (-3 * f0 + 4 * f1 - f2) / (2 * d * h)
        vals.append(g)
        steps.append(float(h))
        one.append(ax.direction != 0)
    return FDResult(_array(vals, precision), np.array(steps), np.array(one), precision)


_FIRST = {0: ((-1, -0.5), (1, 0.5)), 1: ((0, -1.5), (1, 2.0), (2, -0.5))}
_SECOND = {0: ((-1, 1.0), (0, -2.0), (1, 1.0)), 1: ((0, 2.0), (1, -5.0), (2, 4.0), (3, -1.0))}


def fd_hessian(params: Network | Spline, data: Dataset, *, precision: Precision = "float64",
               side: str | None = None) -> FDResult:
    """Hessian of the loss by finite differences that never cross a kink.

    Diagonal: (f(t+h) - 2 f(t) + f(t-h)) / h^2, or the one-sided (2, -5, 4, -1) stencil; off-diagonal:
    the tensor product of the two first-derivative stencils. Steps eps^(1/4) max(1, |t_j|).
    """
    with mpmath.workdps(MP_DPS):
        return _fd_hessian(params, data, precision=precision, side=side)


def _fd_hessian(params: Network | Spline, data: Dataset, *, precision: Precision,
                side: str | None) -> FDResult:
    region = _Region(params, data, side, exact=precision == "mpmath")
    fun = loss_function(params, data, precision)
    theta = _start(params, precision)
    P = len(theta)
    axes = [_axis(region, theta, j, precision, 2) for j in range(P)]
    cache: dict[tuple, object] = {}

    def f_at(moves: tuple[tuple[int, int], ...]) -> object:
        key = tuple(sorted(moves))
        if key not in cache:
            pt = _shift(theta, {j: a * axes[j].h * (axes[j].direction or 1) for j, a in key if a})
            if not region.admissible(pt):
                raise InputError("a finite-difference stencil point leaves the pattern")
            cache[key] = fun(pt)
        return cache[key]

    out = [[None] * P for _ in range(P)]
    for j in range(P):
        aj = axes[j]
        dj = aj.direction or 1
        out[j][j] = sum(c * f_at(((j, a),)) for a, c in _SECOND[int(aj.direction != 0)]) / (
            aj.h * aj.h)
        for k in range(j + 1, P):
            ak = axes[k]
            dk = ak.direction or 1
            total = 0
            for a, ca in _FIRST[int(aj.direction != 0)]:
                for b, cb in _FIRST[int(ak.direction != 0)]:
                    total += ca * cb * f_at(((j, a), (k, b)))
            out[j][k] = out[k][j] = total / (aj.h * dj * ak.h * dk)
    vals = np.array([[_to_out(v, precision) for v in row] for row in out],
                    dtype=object if precision == "mpmath" else float)
    return FDResult(vals, np.array([float(a.h) for a in axes]),
                    np.array([a.direction != 0 for a in axes]), precision)


def _to_out(v: object, precision: Precision) -> object:
    return v if precision == "mpmath" else float(v)


def _array(vals: list, precision: Precision) -> np.ndarray:
    if precision == "mpmath":
        out = np.empty(len(vals), dtype=object)
        out[:] = vals
        return out
    return np.array(vals, dtype=float)


# ------------------------------------------------------------------ agreement
@dataclass(frozen=True)
class Agreement:
    """How well a candidate matches a reference: max |c - r| and that over max |r| (norm-wise)."""

    max_abs: float
    max_rel: float
    rtol: float
    atol: float

    @property
    def ok(self) -> bool:
        return self.max_abs <= self.atol or self.max_rel <= self.rtol


def compare(candidate: object, reference: object, *, rtol: float = 1e-6,
            atol: float = 0.0) -> Agreement:
    """Norm-wise agreement: ``max_rel = max|c - r| / max|r|`` (so zeros in r do not blow it up)."""
    with mpmath.workdps(MP_DPS):
        return _compare(candidate, reference, rtol=rtol, atol=atol)


def _compare(candidate: object, reference: object, *, rtol: float, atol: float) -> Agreement:
    c = np.asarray(candidate, dtype=object)
    r = np.asarray(reference, dtype=object)
    if c.shape != r.shape:
        raise InputError(f"shapes differ: {c.shape} vs {r.shape}")
    diff = max((abs(_mp(a) - _mp(b)) for a, b in zip(c.ravel(), r.ravel(), strict=True)),
               default=mpmath.mpf(0))
    scale = max((abs(_mp(b)) for b in r.ravel()), default=mpmath.mpf(0))
    rel = diff / scale if scale > 0 else (mpmath.mpf(0) if diff == 0 else mpmath.inf)
    return Agreement(float(diff), float(rel), rtol, atol)
