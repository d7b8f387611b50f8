"""Closed-form gradient and Hessian of the loss, with Gauss-Newton and residual parts
(docs/theory.md §2.2, 3.1).

Inside one activation pattern every column of the Jacobian J_{n,a} = d f(x_n) / d theta_a has the
form ``1[n in A_u] (p_a + q_a x_n)`` for one active set A_u (a prefix or a suffix of the sorted
data, or all samples for c), and every second derivative of f is ``1[n in A_u] (alpha + gamma x_n)``.
Hence every entry of the gradient, of J^T J and of R = sum_n r_n Hess f(x_n) is a sum over one
index interval (or the intersection of two) of 1, x, x^2, r, r x. Those sums are O(1) from prefix
moments of the data, and the residual sums are themselves closed forms in the parameters:

    sum_{n in I} r_n     = c |I| + sum_j (P_j S_1(I cap A_j) + Q_j S_x(I cap A_j)) - S_y(I),
    sum_{n in I} r_n x_n = c S_x(I) + sum_j (P_j S_x(I cap A_j) + Q_j S_xx(I cap A_j)) - S_xy(I),

where P_j + Q_j x is unit j's linear piece on its active set (spline: -s_j mu_j beta_j + s_j mu_j x;
network: v_j b_j + v_j w_j x). This is what keeps the exact and symbolic Hessians small: O(H^2)
entries with O(H) terms each, never an expression with N terms per entry.

The same formulas serve three number kinds: float64 (NumPy, vectorised), exact (SymPy rationals or
algebraic numbers, returned as ``sympy.Matrix``) and symbolic (expressions, per pattern).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import sympy as sp

from .data import Dataset
from .errors import InputError, ParameterError, SizeError
from .numbers import combine_kinds
from .params import Network, Spline
from .piecewise import PiecewiseLoss
from .regions import Pattern, check_size, locate

#: Largest H * N accepted for symbolic (expression-valued) closed forms with symbolic data.
MAX_SYMBOLIC_TERMS = 200_000
#: Largest number of patterns for a Piecewise gradient or Hessian of symbolic parameters.
MAX_PIECEWISE_PATTERNS = 512


class _Parts(NamedTuple):
    hessian: object
    gauss_newton: object
    residual: object


class HessianParts(_Parts):
    """Hessian = Gauss-Newton part + residual part (+ weight-decay part), theory §3.1.

    Unpacks as the triple ``(hessian, gauss_newton, residual)``, the last two already divided by N;
    ``penalty`` is the Hessian of the weight-decay term (None without weight decay), so that
    hessian = gauss_newton + residual + penalty.
    """

    def __new__(cls, hessian: object, gauss_newton: object, residual: object,
                penalty: object = None) -> HessianParts:
        self = super().__new__(cls, hessian, gauss_newton, residual)
        self.penalty = penalty
        return self

    def __getnewargs__(self) -> tuple:
        return (*self, self.penalty)


@dataclass(frozen=True)
class Column:
    """Column a of J on a pattern: J_{n,a} = g(n) (p + q x_n), g = 1 on A = [lo, hi), ``alpha`` off A.

    ``alpha`` is the leaky-ReLU slope of the unit (0 for the ReLU, where the column vanishes off A).
    """

    name: str
    lo: int
    hi: int
    p: object
    q: object
    alpha: object = 0


@dataclass(frozen=True)
class SecondTerm:
    """A non-zero d^2 f(x_n)/d theta_a d theta_b = g(n) (alpha + gamma x_n).

    g = 1 on [lo, hi) and ``slope`` (the unit's leaky slope) off it.
    """

    a: int
    b: int
    lo: int
    hi: int
    alpha: object
    gamma: object
    slope: object = 0


# ------------------------------------------------------------------ structure of one pattern
def columns(pattern: Pattern, params: Network | Spline) -> list[Column]:
    """The Jacobian columns of f on ``pattern`` in the fixed parameter order (theory §0).

    Built from the model protocol (``params.line_derivatives``): unit i contributes
    g_i(n) (P_i + Q_i x_n) with g_i = 1 on its active set A_i and alpha off it, so
    d f(x_n)/d theta_a = g_i(n) (p_a + q_a x_n). Spline: d f/d beta_i = -s_i mu_i,
    d f/d mu_i = s_i (x - beta_i); network: d f/d w_i = v_i x, d f/d b_i = v_i,
    d f/d v_i = w_i x + b_i; d f/d c = 1 everywhere.
    """
    _check_pattern(pattern, params)
    bounds = [pattern.active_bounds(i) for i in range(params.H)]
    alpha = params.negative_slope
    cols = []
    for name, (unit, p, q) in zip(params.names, params.line_derivatives(), strict=True):
        lo, hi = (0, pattern.n) if unit is None else bounds[unit]
        cols.append(Column(name, lo, hi, p, q, 0 if unit is None else alpha))
    return cols


def second_terms(pattern: Pattern, params: Network | Spline) -> list[SecondTerm]:
    """Non-zero entries (a < b) of Hess f(x_n) on ``pattern``: the residual part's structure.

    From ``params.line_second_derivatives``. Spline: d^2 f/d mu_i d beta_i = -s_i g_i (nothing
    else). Network: d^2 f/d w_i d v_i = g_i x and d^2 f/d b_i d v_i = g_i.
    """
    _check_pattern(pattern, params)
    alpha = params.negative_slope
    return [SecondTerm(a, b, *pattern.active_bounds(i), al, ga, alpha)
            for a, b, i, al, ga in params.line_second_derivatives()]


def unit_pieces(params: Network | Spline) -> list[tuple[object, object]]:
    """(P_i, Q_i) with unit i's contribution P_i + Q_i x on its active set (alpha times it off)."""
    P, Q = params.unit_lines()
    return list(zip(P, Q, strict=True))


def _gain_sum(total: object, inside: object, alpha: object) -> object:
    """sum_n g(n) h(n) with g = 1 on A and alpha off A, from sum_A h and the total sum."""
    if alpha == 0:
        return inside
    return (1 - alpha) * inside + alpha * total


@dataclass(frozen=True)
class _Sums:
    """O(1) interval sums of 1, x, x^2 and closed-form interval sums of r, r x on one pattern."""

    data: Dataset
    pattern: Pattern
    params: Network | Spline

    def moment(self, name: str, lo: int, hi: int) -> object:
        if hi <= lo:
            return sp.Integer(0)
        return self.data.moments.interval(name, lo, hi)

    def r(self, lo: int, hi: int) -> object:
        """sum_{n in [lo,hi)} r_n as a closed form in the parameters."""
        return self._rsum(lo, hi, "one", "x", "y")

    def rx(self, lo: int, hi: int) -> object:
        """sum_{n in [lo,hi)} r_n x_n as a closed form in the parameters."""
        return self._rsum(lo, hi, "x", "xx", "xy")

    def weighted(self, col: Column | SecondTerm) -> object:
        """sum_n g(n) r_n (p + q x_n) for a column (or alpha + gamma x_n for a second term)."""
        p, q, slope = ((col.p, col.q, col.alpha) if isinstance(col, Column)
                       else (col.alpha, col.gamma, col.slope))

        def inside(lo: int, hi: int) -> object:
            return p * self.r(lo, hi) + q * self.rx(lo, hi)

        if slope == 0:
            return inside(col.lo, col.hi)
        return _gain_sum(inside(0, self.pattern.n), inside(col.lo, col.hi), slope)

    def _rsum(self, lo: int, hi: int, m0: str, m1: str, my: str) -> object:
        if hi <= lo:
            return sp.Integer(0)
        alpha = self.params.negative_slope
        terms = [self.params.c * self.moment(m0, lo, hi), -self.moment(my, lo, hi)]
        for i, (P, Q) in enumerate(unit_pieces(self.params)):
            a, b = self.pattern.active_bounds(i)
            ilo, ihi = max(lo, a), min(hi, b)
            on = (P * self.moment(m0, ilo, ihi) + Q * self.moment(m1, ilo, ihi)
                  if ihi > ilo else sp.Integer(0))
            if alpha != 0:
                everywhere = P * self.moment(m0, lo, hi) + Q * self.moment(m1, lo, hi)
                on = _gain_sum(everywhere, on, alpha)
            terms.append(on)
        return sp.Add(*terms)


# ------------------------------------------------------------------ exact / symbolic closed forms
def pattern_gradient(pattern: Pattern, params: Network | Spline, data: Dataset) -> sp.Matrix:
    """Closed-form gradient of the pattern polynomial L_P (theory §2.2), as a column ``Matrix``.

    dL/d theta_a = (1/N) sum_n g_a(n) r_n (p_a + q_a x_n). In the spline parameterization (ReLU)
    this is dL/dc = (1/N) sum r_n, dL/dmu_i = (1/N) s_i sum_{A_i} r_n (x_n - beta_i),
    dL/dbeta_i = -(1/N) s_i mu_i sum_{A_i} r_n.
    """
    _check_pattern(pattern, params, data)
    _check_symbolic_size(params, data)
    S = _Sums(data, pattern, params)
    N = data.n
    return sp.Matrix([_tidy(S.weighted(col) / N) for col in columns(pattern, params)])


def pattern_rho(pattern: Pattern, params: Spline, data: Dataset) -> list[sp.Expr]:
    """rho_i = -s_i sum_n g_i(n) r_n (theory §3.1): R[mu_i, beta_i] of the spline residual part."""
    S = _Sums(data, pattern, params)
    return [_tidy(S.weighted(t)) for t in second_terms(pattern, params)]


def _gauss_newton_entry(S: _Sums, ca: Column, cb: Column) -> object:
    """sum_n g_a g_b (p_a + q_a x)(p_b + q_b x) over the samples, from interval moments."""
    n = S.pattern.n

    def block(lo: int, hi: int) -> object:
        if hi <= lo:
            return sp.Integer(0)
        return (ca.p * cb.p * S.moment("one", lo, hi)
                + (ca.p * cb.q + ca.q * cb.p) * S.moment("x", lo, hi)
                + ca.q * cb.q * S.moment("xx", lo, hi))

    both = block(max(ca.lo, cb.lo), min(ca.hi, cb.hi))
    aa, ab = ca.alpha, cb.alpha
    if aa == 0 and ab == 0:
        return both
    # g_a g_b = (1-a_a)(1-a_b) 1_{A_a cap A_b} + a_b (1-a_a) 1_{A_a} + a_a (1-a_b) 1_{A_b} + a_a a_b
    out = (1 - aa) * (1 - ab) * both
    if ab != 0:
        out += ab * (1 - aa) * block(ca.lo, ca.hi)
    if aa != 0:
        out += aa * (1 - ab) * block(cb.lo, cb.hi)
    if aa != 0 and ab != 0:
        out += aa * ab * block(0, n)
    return out


def pattern_hessian(pattern: Pattern, params: Network | Spline, data: Dataset, *,
                    parts: bool = False) -> sp.Matrix | HessianParts:
    """Closed-form Hessian of the pattern polynomial: (J^T J + R) / N (theory §3.1).

    (J^T J)_{ab} = sum_n g_a g_b (p_a + q_a x_n)(p_b + q_b x_n) from the moments of 1, x, x^2 on
    interval intersections; R_{ab} = sum_n g(n) r_n (alpha + gamma x_n) for the few non-zero
    second derivatives of f. With ``parts`` returns ``HessianParts(hessian, gauss_newton,
    residual)`` (each / N).
    """
    _check_pattern(pattern, params, data)
    _check_symbolic_size(params, data)
    cols = columns(pattern, params)
    S = _Sums(data, pattern, params)
    P = len(cols)
    N = data.n
    gn = sp.zeros(P, P)
    for a in range(P):
        for b in range(a, P):
            e = _gauss_newton_entry(S, cols[a], cols[b])
            if e != 0:
                gn[a, b] = gn[b, a] = _tidy(e / N)
    res = sp.zeros(P, P)
    for t in second_terms(pattern, params):
        e = _tidy(S.weighted(t) / N)
        res[t.a, t.b] = res[t.b, t.a] = e
    full = (gn + res).applyfunc(_tidy)
    return HessianParts(full, gn, res) if parts else full


# ------------------------------------------------------------------ float64 closed forms
def _float_inputs(params: Network | Spline, data: Dataset) -> tuple[Network | Spline, Dataset]:
    p = params if params.kind == "float" else params.as_float()
    d = data if data.kind == "float" else data.as_float()
    return p, d


def _float_structure(pattern: Pattern, params: Network | Spline, data: Dataset):
    """Vectorised column data: lo, hi, p, q, gain arrays and prefix sums of 1, x, x^2, r, r x."""
    N = data.n
    x = data.x
    derivs = params.line_derivatives()
    bounds = [pattern.active_bounds(i) for i in range(params.H)]
    lo = np.array([0 if u is None else bounds[u][0] for u, _, _ in derivs], dtype=np.intp)
    hi = np.array([N if u is None else bounds[u][1] for u, _, _ in derivs], dtype=np.intp)
    p = np.array([float(pa) for _, pa, _ in derivs])
    q = np.array([float(qa) for _, _, qa in derivs])
    alpha = float(params.negative_slope)
    gain = np.array([0.0 if u is None else alpha for u, _, _ in derivs])
    # Residuals by direct evaluation of f: independent of the pattern bookkeeping above.
    r = np.asarray(params(x), dtype=np.float64) - data.y

    def prefix(v: np.ndarray) -> np.ndarray:
        out = np.zeros(N + 1)
        np.cumsum(v, out=out[1:])
        return out

    pre = {"one": np.arange(N + 1, dtype=np.float64), "x": prefix(x), "xx": prefix(x * x),
           "r": prefix(r), "rx": prefix(r * x)}
    return lo, hi, p, q, gain, pre


def float_gradient(pattern: Pattern, params: Network | Spline, data: Dataset) -> np.ndarray:
    """Float64 closed-form gradient on ``pattern`` (vectorised over parameters)."""
    _check_pattern(pattern, params, data)
    params, data = _float_inputs(params, data)
    lo, hi, p, q, gain, pre = _float_structure(pattern, params, data)
    N = data.n
    sr = (1 - gain) * (pre["r"][hi] - pre["r"][lo]) + gain * pre["r"][N]
    srx = (1 - gain) * (pre["rx"][hi] - pre["rx"][lo]) + gain * pre["rx"][N]
    return (p * sr + q * srx) / N


def float_hessian(pattern: Pattern, params: Network | Spline, data: Dataset, *,
                  parts: bool = False) -> np.ndarray | HessianParts:
    """Float64 closed-form Hessian on ``pattern``: O(N + P^2) with P = number of parameters."""
    _check_pattern(pattern, params, data)
    params, data = _float_inputs(params, data)
    lo, hi, p, q, gain, pre = _float_structure(pattern, params, data)
    N = data.n
    ilo = np.maximum.outer(lo, lo)
    ihi = np.minimum.outer(hi, hi)
    ihi = np.maximum(ihi, ilo)  # empty intersections sum to zero
    on = 1.0 - gain

    def weighted(name: str) -> np.ndarray:
        # sum_n g_a(n) g_b(n) m(n), g = 1 on the active interval and the gain off it
        both = pre[name][ihi] - pre[name][ilo]
        own = pre[name][hi] - pre[name][lo]
        total = pre[name][N]
        return (np.outer(on, on) * both + np.outer(own * on, gain) + np.outer(gain, own * on)
                + np.outer(gain, gain) * total)

    s1, sx, sxx = weighted("one"), weighted("x"), weighted("xx")
    gn = (np.outer(p, p) * s1 + (np.outer(p, q) + np.outer(q, p)) * sx + np.outer(q, q) * sxx) / N
    res = np.zeros_like(gn)
    bounds = [pattern.active_bounds(i) for i in range(params.H)]
    alpha = float(params.negative_slope)
    for a, b, i, al, ga in params.line_second_derivatives():
        ulo, uhi = bounds[i]
        sr = (1 - alpha) * (pre["r"][uhi] - pre["r"][ulo]) + alpha * pre["r"][N]
        srx = (1 - alpha) * (pre["rx"][uhi] - pre["rx"][ulo]) + alpha * pre["rx"][N]
        res[a, b] = res[b, a] = (float(al) * sr + float(ga) * srx) / N
    full = gn + res
    return HessianParts(full, gn, res) if parts else full


# ------------------------------------------------------------------ dispatch helpers
def gradient(params: Network | Spline, data: Dataset, *, pattern: Pattern | None = None,
             side: str | None = None) -> object:
    """Gradient of L in the parameterization of ``params`` (order as theory §0).

    float -> (P,) float64 array; exact -> exact column ``sympy.Matrix``; symbolic -> a column
    Matrix of expressions on ``pattern`` (or of ``Piecewise`` over all patterns if none is given).
    At a kink (a breakpoint exactly on a data point) raises :class:`~symspline.KinkError` unless
    ``side`` asks for the one-sided derivative of the pattern reached from below ("left") or above.
    """
    return _dispatch(params, data, pattern, side, float_gradient, pattern_gradient)


def hessian(params: Network | Spline, data: Dataset, *, parts: bool = False,
            pattern: Pattern | None = None, side: str | None = None) -> object:
    """Hessian of L, optionally split as ``HessianParts(hessian, gauss_newton, residual)``.

    Same dispatch and kink rules as :func:`gradient`. Hess L = (J^T J + R) / N on each pattern.
    """
    return _dispatch(params, data, pattern, side,
                     lambda pt, pr, d: float_hessian(pt, pr, d, parts=parts),
                     lambda pt, pr, d: pattern_hessian(pt, pr, d, parts=parts))


def _dispatch(params: Network | Spline, data: Dataset, pattern: Pattern | None, side: str | None,
              float_fn: Callable, exact_fn: Callable) -> object:
    if not isinstance(params, Network | Spline):
        raise InputError(f"params must be a Network or a Spline, got {type(params).__name__}")
    if not isinstance(data, Dataset):
        raise InputError(f"data must be a Dataset, got {type(data).__name__}")
    kind = combine_kinds([params.kind, data.kind])
    if pattern is None:
        if kind == "symbolic":
            return _piecewise(params, data, exact_fn)
        pattern = locate(params, data, side=side)
    if kind == "float":
        return float_fn(pattern, params, data)
    return exact_fn(pattern, params, data)


def _piecewise(params: Network | Spline, data: Dataset, fn: Callable) -> object:
    pl = PiecewiseLoss(params, data, limit=MAX_PIECEWISE_PATTERNS)
    check_size(pl.count, MAX_PIECEWISE_PATTERNS, "a Piecewise derivative")
    pieces = [(fn(p, params, data), pl.condition(p)) for p in pl.patterns()]
    conds = [c for _, c in pieces]
    if isinstance(pieces[0][0], HessianParts):
        return HessianParts(*[_pw([pc[0][j] for pc in pieces], conds) for j in range(3)])
    return _pw([pc[0] for pc in pieces], conds)


def _pw(mats: list[sp.Matrix], conds: list) -> sp.Matrix:
    m0 = mats[0]
    return sp.Matrix(m0.rows, m0.cols, lambda a, b: sp.Piecewise(
        *[(m[a, b], c) for m, c in zip(mats, conds, strict=True)], evaluate=False))


# ------------------------------------------------------------------ small helpers
def _tidy(e: object) -> object:
    # Exact numbers are already canonical; polynomials are expanded to a canonical sum of
    # monomials (cheap: every entry has O(H) terms); algebraic inputs are rationalised.
    if isinstance(e, sp.Basic) and not e.is_Rational:
        return sp.expand(e)
    return e


def _zero(params: Network | Spline) -> object:
    return 0.0 if params.kind == "float" else sp.Integer(0)


def _one(params: Network | Spline) -> object:
    return 1.0 if params.kind == "float" else sp.Integer(1)


def _int_like(s: int, kind: str) -> object:
    return float(s) if kind == "float" else sp.Integer(s)


def _check_pattern(pattern: Pattern, params: Network | Spline,
                   data: Dataset | None = None) -> None:
    if not isinstance(pattern, Pattern):
        raise InputError(f"pattern must be a Pattern, got {type(pattern).__name__}")
    if pattern.H != params.H:
        raise ParameterError(f"pattern has {pattern.H} units but the parameters have {params.H}")
    if data is not None and pattern.n != data.n:
        raise ParameterError(f"pattern is for {pattern.n} samples but the data has {data.n}")
    if params.fixed_orientations not in (None, tuple(pattern.s)):
        raise ParameterError(f"pattern orientations {pattern.s} differ from the spline's {params.s}")


def _check_symbolic_size(params: Network | Spline, data: Dataset) -> None:
    if data.kind == "symbolic" and params.H * data.n > MAX_SYMBOLIC_TERMS:
        raise SizeError(
            f"symbolic data with N = {data.n} and H = {params.H} gives H*N = {params.H * data.n} "
            f"terms, more than the limit of {MAX_SYMBOLIC_TERMS}")
