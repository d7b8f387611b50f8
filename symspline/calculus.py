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
from .loss import PiecewiseLoss
from .numbers import combine_kinds
from .params import Network, Spline
from .regions import Pattern, check_size, locate

#: Largest H * N accepted for symbolic (expression-valued) closed forms with symbolic data.
MAX_SYMBOLIC_TERMS = 200_000
#: Largest number of patterns for a Piecewise gradient or Hessian of symbolic parameters.
MAX_PIECEWISE_PATTERNS = 512


class HessianParts(NamedTuple):
    """Hessian = Gauss-Newton part + residual part, each already divided by N (theory §3.1)."""

    hessian: object
    gauss_newton: object
    residual: object


@dataclass(frozen=True)
class Column:
    """Column a of J on a pattern: J_{n,a} = 1[n in A] (p + q x_n), A = [lo, hi) (0-based)."""

    name: str
    lo: int
    hi: int
    p: object
    q: object


@dataclass(frozen=True)
class SecondTerm:
    """A non-zero second derivative d^2 f(x_n)/d theta_a d theta_b = 1[n in [lo,hi)] (alpha + gamma x_n)."""

    a: int
    b: int
    lo: int
    hi: int
    alpha: object
    gamma: object


# ------------------------------------------------------------------ structure of one pattern
def columns(pattern: Pattern, params: Network | Spline) -> list[Column]:
    """The Jacobian columns of f on ``pattern`` in the fixed parameter order (theory §0).

    Spline: d f/d beta_i = -s_i mu_i, d f/d mu_i = s_i (x - beta_i) on A_i; network:
    d f/d w_i = v_i x, d f/d b_i = v_i, d f/d v_i = w_i x + b_i on A_i; d f/d c = 1 everywhere.
    """
    _check_pattern(pattern, params)
    H, n = params.H, pattern.n
    bounds = [pattern.active_bounds(i) for i in range(H)]
    cols: list[Column] = []
    if isinstance(params, Spline):
        s = [_int_like(si, params.kind) for si in params.s]
        for i in range(H):
            cols.append(Column(f"beta{i + 1}", *bounds[i], -s[i] * params.mu[i], _zero(params)))
        for i in range(H):
            cols.append(Column(f"mu{i + 1}", *bounds[i], -s[i] * params.beta[i], s[i]))
    else:
        z = _zero(params)
        for i in range(H):
            cols.append(Column(f"w{i + 1}", *bounds[i], z, params.v[i]))
        for i in range(H):
            cols.append(Column(f"b{i + 1}", *bounds[i], params.v[i], z))
        for i in range(H):
            cols.append(Column(f"v{i + 1}", *bounds[i], params.b[i], params.w[i]))
    cols.append(Column("c", 0, n, _one(params), _zero(params)))
    return cols


def second_terms(pattern: Pattern, params: Network | Spline) -> list[SecondTerm]:
    """Non-zero entries (a < b) of Hess f(x_n) on ``pattern``: the residual part's structure.

    Spline: d^2 f/d mu_i d beta_i = -s_i on A_i (nothing else). Network: d^2 f/d w_i d v_i = x and
    d^2 f/d b_i d v_i = 1 on A_i.
    """
    _check_pattern(pattern, params)
    H = params.H
    one, zero = _one(params), _zero(params)
    out = []
    for i in range(H):
        lo, hi = pattern.active_bounds(i)
        if isinstance(params, Spline):
            out.append(SecondTerm(i, H + i, lo, hi, -_int_like(params.s[i], params.kind), zero))
        else:
            out.append(SecondTerm(i, 2 * H + i, lo, hi, zero, one))
            out.append(SecondTerm(H + i, 2 * H + i, lo, hi, one, zero))
    return out


def unit_pieces(params: Network | Spline) -> list[tuple[object, object]]:
    """(P_i, Q_i) with unit i's contribution P_i + Q_i x on its active set."""
    if isinstance(params, Spline):
        out = []
        for i in range(params.H):
            si = _int_like(params.s[i], params.kind)
            out.append((-si * params.mu[i] * params.beta[i], si * params.mu[i]))
        return out
    return [(params.v[i] * params.b[i], params.v[i] * params.w[i]) for i in range(params.H)]


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

    def _rsum(self, lo: int, hi: int, m0: str, m1: str, my: str) -> object:
        if hi <= lo:
            return sp.Integer(0)
        terms = [self.params.c * self.moment(m0, lo, hi), -self.moment(my, lo, hi)]
        for i, (P, Q) in enumerate(unit_pieces(self.params)):
            a, b = self.pattern.active_bounds(i)
            ilo, ihi = max(lo, a), min(hi, b)
            if ihi > ilo:
                terms.append(P * self.moment(m0, ilo, ihi) + Q * self.moment(m1, ilo, ihi))
        return sp.Add(*terms)


# ------------------------------------------------------------------ exact / symbolic closed forms
def pattern_gradient(pattern: Pattern, params: Network | Spline, data: Dataset) -> sp.Matrix:
    """Closed-form gradient of the pattern polynomial L_P (theory §2.2), as a column ``Matrix``.

    dL/d theta_a = (1/N) (p_a sum_{A_a} r_n + q_a sum_{A_a} r_n x_n). In the spline
    parameterization this is dL/dc = (1/N) sum r_n, dL/dmu_i = (1/N) s_i sum_{A_i} r_n (x_n - beta_i),
    dL/dbeta_i = -(1/N) s_i mu_i sum_{A_i} r_n.
    """
    _check_pattern(pattern, params, data)
    _check_symbolic_size(params, data)
    S = _Sums(data, pattern, params)
    N = data.n
    out = [_tidy((col.p * S.r(col.lo, col.hi) + col.q * S.rx(col.lo, col.hi)) / N)
           for col in columns(pattern, params)]
    return sp.Matrix(out)


def pattern_rho(pattern: Pattern, params: Spline, data: Dataset) -> list[sp.Expr]:
    """rho_i = -s_i sum_{A_i} r_n (theory §3.1): R[mu_i, beta_i] of the spline residual part."""
    S = _Sums(data, pattern, params)
    return [_tidy(-params.s[i] * S.r(*pattern.active_bounds(i))) for i in range(params.H)]


def pattern_hessian(pattern: Pattern, params: Network | Spline, data: Dataset, *,
                    parts: bool = False) -> sp.Matrix | HessianParts:
    """Closed-form Hessian of the pattern polynomial: (J^T J + R) / N (theory §3.1).

    (J^T J)_{ab} = sum_{A_a cap A_b} (p_a + q_a x)(p_b + q_b x) from the moments of 1, x, x^2;
    R_{ab} = sum_{A_u} r_n (alpha + gamma x_n) for the few non-zero second derivatives of f.
    With ``parts`` returns ``HessianParts(hessian, gauss_newton, residual)`` (each / N).
    """
    _check_pattern(pattern, params, data)
    _check_symbolic_size(params, data)
    cols = columns(pattern, params)
    S = _Sums(data, pattern, params)
    P = len(cols)
    N = data.n
    gn = sp.zeros(P, P)
    for a in range(P):
        ca = cols[a]
        for b in range(a, P):
            cb = cols[b]
            lo, hi = max(ca.lo, cb.lo), min(ca.hi, cb.hi)
            if hi <= lo:
                continue
            e = (ca.p * cb.p * S.moment("one", lo, hi)
                 + (ca.p * cb.q + ca.q * cb.p) * S.moment("x", lo, hi)
                 + ca.q * cb.q * S.moment("xx", lo, hi))
            gn[a, b] = gn[b, a] = _tidy(e / N)
    res = sp.zeros(P, P)
    for t in second_terms(pattern, params):
        e = _tidy((t.alpha * S.r(t.lo, t.hi) + t.gamma * S.rx(t.lo, t.hi)) / N)
        res[t.a, t.b] = res[t.b, t.a] = e
    full = (gn + res).applyfunc(_tidy)
    return HessianParts(full, gn, res) if parts else full


# ------------------------------------------------------------------ float64 closed forms
def _float_inputs(params: Network | Spline, data: Dataset) -> tuple[Network | Spline, Dataset]:
    p = params if params.kind == "float" else params.as_float()
    d = data if data.kind == "float" else data.as_float()
    return p, d


def _float_structure(pattern: Pattern, params: Network | Spline, data: Dataset):
    """Vectorised column data: lo, hi, p, q arrays and prefix sums of 1, x, x^2, r, r x."""
    H, N = params.H, data.n
    x = data.x
    lo_u = np.array([pattern.active_bounds(i)[0] for i in range(H)], dtype=np.intp)
    hi_u = np.array([pattern.active_bounds(i)[1] for i in range(H)], dtype=np.intp)
    zero = np.zeros(H)
    if isinstance(params, Spline):
        s = np.asarray(params.s, dtype=np.float64)
        p = np.concatenate([-s * params.mu, -s * params.beta, [1.0]])
        q = np.concatenate([zero, s, [0.0]])
        lo = np.concatenate([lo_u, lo_u, [0]])
        hi = np.concatenate([hi_u, hi_u, [N]])
    else:
        p = np.concatenate([zero, params.v, params.b, [1.0]])
        q = np.concatenate([params.v, zero, params.w, [0.0]])
        lo = np.concatenate([lo_u, lo_u, lo_u, [0]])
        hi = np.concatenate([hi_u, hi_u, hi_u, [N]])
    # Residuals by direct evaluation of f: independent of the pattern bookkeeping above.
    r = np.asarray(params(x), dtype=np.float64) - data.y

    def prefix(v: np.ndarray) -> np.ndarray:
        out = np.zeros(N + 1)
        np.cumsum(v, out=out[1:])
        return out

    pre = {"one": np.arange(N + 1, dtype=np.float64), "x": prefix(x), "xx": prefix(x * x),
           "r": prefix(r), "rx": prefix(r * x)}
    return lo, hi, p, q, pre, lo_u, hi_u, r


def float_gradient(pattern: Pattern, params: Network | Spline, data: Dataset) -> np.ndarray:
    """Float64 closed-form gradient on ``pattern`` (vectorised over parameters)."""
    _check_pattern(pattern, params, data)
    params, data = _float_inputs(params, data)
    lo, hi, p, q, pre, *_ = _float_structure(pattern, params, data)
    sr = pre["r"][hi] - pre["r"][lo]
    srx = pre["rx"][hi] - pre["rx"][lo]
    return (p * sr + q * srx) / data.n


def float_hessian(pattern: Pattern, params: Network | Spline, data: Dataset, *,
                  parts: bool = False) -> np.ndarray | HessianParts:
    """Float64 closed-form Hessian on ``pattern``: O(N + P^2) with P = number of parameters."""
    _check_pattern(pattern, params, data)
    params, data = _float_inputs(params, data)
    lo, hi, p, q, pre, lo_u, hi_u, _ = _float_structure(pattern, params, data)
    N, H = data.n, params.H
    ilo = np.maximum.outer(lo, lo)
    ihi = np.minimum.outer(hi, hi)
    ihi = np.maximum(ihi, ilo)  # empty intersections sum to zero
    s1 = pre["one"][ihi] - pre["one"][ilo]
    sx = pre["x"][ihi] - pre["x"][ilo]
    sxx = pre["xx"][ihi] - pre["xx"][ilo]
    gn = (np.outer(p, p) * s1 + (np.outer(p, q) + np.outer(q, p)) * sx + np.outer(q, q) * sxx) / N
    res = np.zeros_like(gn)
    sr = (pre["r"][hi_u] - pre["r"][lo_u]) / N
    srx = (pre["rx"][hi_u] - pre["rx"][lo_u]) / N
    idx = np.arange(H)
    if isinstance(params, Spline):
        rho = -np.asarray(params.s, dtype=np.float64) * sr
        res[idx, H + idx] = res[H + idx, idx] = rho
    else:
        res[idx, 2 * H + idx] = res[2 * H + idx, idx] = srx
        res[H + idx, 2 * H + idx] = res[2 * H + idx, H + idx] = sr
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
    if isinstance(params, Spline) and tuple(params.s) != tuple(pattern.s):
        raise ParameterError(f"pattern orientations {pattern.s} differ from the spline's {params.s}")


def _check_symbolic_size(params: Network | Spline, data: Dataset) -> None:
    if data.kind == "symbolic" and params.H * data.n > MAX_SYMBOLIC_TERMS:
        raise SizeError(
            f"symbolic data with N = {data.n} and H = {params.H} gives H*N = {params.H * data.n} "
            f"terms, more than the limit of {MAX_SYMBOLIC_TERMS}")
