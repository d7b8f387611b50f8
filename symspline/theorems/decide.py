"""Exact decisions of inequalities on one activation pattern, and the adversarial search behind them.

Region coordinates. On a pattern with symbolic ordered data the set of admissible points is

    x_1 in R,  x_{n+1} = x_n + d_n (d_n > 0),  y_n in R,
    beta_i = x_k + d_k t_i / (1 + t_i)  (0 < k < N),  x_1 - e_i  (k = 0),  x_N + e_i  (k = N),
    mu_i, c, v_i in R,  w_i = s_i a_i (a_i > 0),  b_i = -w_i beta_i,

with every ``t, e, a, d`` positive and nothing else constrained: the open pattern is the image of
an open orthant times a real space, and every point of that product is strictly inside the pattern
(:class:`Region`). A statement ``E >= 0`` on the pattern becomes ``E(region) >= 0`` on that product.

Certificates (:func:`certify_nonneg`, :func:`certify_psd`), exact and without floats:

- *factorization*: the factored numerator is a product of squares and positive factors;
- *positive terms*: the numerator of E(region), expanded, has only terms that are non-negative for
  positive ``t, e, a, d`` and real free coordinates (even powers), and the denominator has a sign;
- *LDL^T*: E is a quadratic form in some free coordinates z (homogenized with 1) whose matrix Q has
  entries in the other coordinates; symbolic Gaussian elimination Q = L D L^T with every pivot
  certified positive (or zero with a zero row; the last pivot only non-negative) shows
  E = sum_k D_k (l_k . (z, 1))^2 >= 0;
- *Gram*: a matrix equal, identically on the pattern, to J^T J / N with J the Jacobian of
  f(x_1..x_N) is positive semidefinite.

When no certificate applies, :func:`search` looks for a violation: scale-free points (every
coordinate over magnitudes 1e-9..1e8, so breakpoints near every face of their gap, near each
other, data points nearly coinciding, mu_i near 0 and huge), then local minimization (SciPy
Nelder-Mead) from the worst points, then exact confirmation at a rational point of the region
(which lies strictly inside the pattern by construction).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from ..numbers import to_sympy

if TYPE_CHECKING:  # core imports this module; the instances are only annotated here
    from .core import Instance

#: Scale-free sample points per pattern (scalar claims; matrices use a quarter of this).
SEARCH_POINTS = 256
#: Largest numerator (in terms) given to the LDL^T in region coordinates.
MAX_LDL_TERMS = 400
#: Largest numerator (in terms) that is factored in search of squares.
MAX_FACTOR_TERMS = 200
#: Local minimizations started from the worst sample points.
LOCAL_STARTS = 3


def is_zero(expr: object) -> bool:
    """Exact zero test for polynomials and rational functions (expand; else the numerator)."""
    e = to_sympy(expr)
    if e == 0:
        return True
    e = sp.expand(e)
    if e == 0:
        return True
    # A rational function is zero iff the numerator of its combined fraction is; this avoids the
    # polynomial gcd work of cancel().
    num, _ = sp.fraction(sp.together(e))
    return sp.expand(num) == 0


@dataclass(frozen=True, eq=False)
class Region:
    """Coordinates of one open pattern: ``positive`` (> 0) and ``free`` (real), and the map
    ``subs`` from the instance's symbols (data and parameters) to expressions in them."""

    inst: Instance
    positive: tuple[sp.Symbol, ...]
    free: tuple[sp.Symbol, ...]
    subs: dict = field(repr=False)
    #: (coordinate t_i, gap k_i) of breakpoints inside a bounded gap (for coinciding samples).
    inner: tuple[tuple[sp.Symbol, int], ...] = ()

    @property
    def coords(self) -> tuple[sp.Symbol, ...]:
        return self.positive + self.free

    @property
    def originals(self) -> list[sp.Symbol]:
        return list(self.inst.data.x) + list(self.inst.data.y) + list(self.inst.theta)

    def to_region(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` (in data and parameter symbols) in region coordinates."""
        if isinstance(expr, sp.MatrixBase):
            return expr.xreplace(self.subs)
        return to_sympy(expr).xreplace(self.subs)

    def point(self, values: Sequence) -> dict:
        """Original symbols -> exact values at region coordinates ``values`` (same order as
        :attr:`coords`)."""
        at = dict(zip(self.coords, values, strict=True))
        return {o: to_sympy(self.subs.get(o, o)).xreplace(at) for o in self.originals}


def region_of(inst: Instance, signs: dict | None = None) -> Region:
    """The region coordinates of a symbolic instance (see the module docstring).

    ``signs`` maps free original symbols (mu_i, c, v_i, y_n) to +1 / -1 for hypotheses such as
    ``mu1 > 0``: they become a positive coordinate times the sign.
    """
    signs = signs or {}
    N, H = inst.N, inst.H
    X = list(inst.data.x)
    x0 = sp.Symbol("_x1", real=True)
    d = [sp.Symbol(f"_d{n + 1}", positive=True) for n in range(N - 1)]
    xs = [x0]
    for n in range(N - 1):
        xs.append(xs[-1] + d[n])
    subs: dict = {X[n]: xs[n] for n in range(N)}
    positive = list(d)
    free = [x0]
    inner = []
    beta_expr = []
    for i, k in enumerate(inst.pattern.k):
        if k == 0:
            e = sp.Symbol(f"_e{i + 1}", positive=True)
            beta_expr.append(xs[0] - e)
        elif k == N:
            e = sp.Symbol(f"_e{i + 1}", positive=True)
            beta_expr.append(xs[-1] + e)
        else:
            e = sp.Symbol(f"_t{i + 1}", positive=True)
            beta_expr.append(xs[k - 1] + d[k - 1] * e / (1 + e))
            inner.append((e, k))
        positive.append(e)
    params = inst.params
    if hasattr(params, "beta"):
        for i in range(H):
            subs[params.beta[i]] = beta_expr[i]
        rest = list(params.mu) + [params.c]
    else:
        for i in range(H):
            a = sp.Symbol(f"_a{i + 1}", positive=True)
            positive.append(a)
            w = inst.pattern.s[i] * a
            subs[params.w[i]] = w
            subs[params.b[i]] = -w * beta_expr[i]
        rest = list(params.v) + [params.c]
    for sym in rest + list(inst.data.y):
        if sym in signs:
            p = sp.Symbol(f"_p_{sym}", positive=True)
            positive.append(p)
            subs[sym] = signs[sym] * p
        else:
            free.append(sym)
    return Region(inst, tuple(positive), tuple(free), subs, tuple(inner))


# ====================================================================== sign certificates
def _sign_of(e: sp.Expr) -> int | None:
    """+1 / -1 when the expanded polynomial ``e`` is provably positive / negative, else None."""
    e = sp.expand(e)
    if e.is_positive:
        return 1
    if e.is_negative:
        return -1
    return None


def _split(e: sp.Expr) -> tuple[sp.Expr, int] | None:
    """(numerator, sign of the denominator) of a rational function in region coordinates."""
    num, den = sp.fraction(sp.together(e))
    sd = _sign_of(den)
    if sd is None:
        return None
    return sp.expand(num * sd), sd


def certify_positive(e: sp.Expr, strict: bool) -> bool:
    """Whether ``e`` (region coordinates) is > 0 (``strict``) or >= 0 on the whole region, by the
    term-sign test on its numerator."""
    sp_ = _split(e)
    if sp_ is None:
        return False
    num, _ = sp_
    if num == 0:
        return not strict
    return bool(num.is_positive) if strict else bool(num.is_nonnegative)


def _ldl(Q: sp.Matrix, region: Region | None = None) -> list[sp.Expr] | None:
    """Pivots of a symbolic LDL^T of the symmetric ``Q`` when each is certified (see module
    docstring), else None. With ``region``, the entries are in the instance's own symbols and
    each pivot is mapped to region coordinates only to certify its sign (smaller expressions)."""
    Q = Q.copy()
    m = Q.rows

    def positive(p: sp.Expr, strict: bool) -> bool:
        return certify_positive(region.to_region(p) if region is not None else p, strict)

    pivots = []
    for k in range(m):
        p = Q[k, k] if Q[k, k].is_number else sp.cancel(Q[k, k])
        row_zero = all(is_zero(Q[k, j]) for j in range(k + 1, m))
        if row_zero:
            if not positive(p, strict=False):
                return None
            pivots.append(p)
            continue
        if is_zero(p) or not positive(p, strict=True):
            return None
        pivots.append(p)
        # A numeric pivot keeps the entries polynomials: expanding is enough (cancel is slow).
        simplify = sp.expand if p.is_number else sp.cancel
        for i in range(k + 1, m):
            for j in range(i, m):
                Q[i, j] = Q[j, i] = simplify(Q[i, j] - Q[i, k] * Q[k, j] / p)
    return pivots


def _quadratic_variables(num: sp.Expr, free: Sequence[sp.Symbol]) -> list[sp.Symbol]:
    """Free coordinates in which ``num`` is (at most) quadratic, chosen greedily."""
    present = [v for v in free if num.has(v)]
    if not present:
        return []
    whole = sp.Poly(num, *present)
    cand = [v for v in present if whole.degree(v) <= 2]
    while cand:
        poly = sp.Poly(num, *cand)
        if poly.total_degree() <= 2:
            return cand
        # Drop the variable that occurs in most monomials of degree > 2 in the candidates.
        bad = [m for m in poly.monoms() if sum(m) > 2]
        counts = [sum(1 for m in bad if m[j]) for j in range(len(cand))]
        cand.pop(int(np.argmax(counts)))
    return []


def _fmt(e: sp.Expr, limit: int = 160) -> str:
    s = str(e)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def certify_nonneg(expr: sp.Expr, region: Region, strict: bool = False) -> str | None:
    """An exact certificate that ``expr`` >= 0 (> 0 if ``strict``) on the region, or None."""
    try:
        return _certify_nonneg(expr, region, strict)
    except (sp.PolynomialError, sp.polys.polyerrors.PolificationFailed, TypeError):
        # Not a polynomial or rational function (abs, max, sqrt, ...): no certificate here.
        return None


def _certify_nonneg(expr: sp.Expr, region: Region, strict: bool) -> str | None:
    # Structural test first (cheap): e.g. a sum of squares as written, before any expansion.
    if not strict and to_sympy(expr).is_nonnegative:
        return "non-negative as written (a sum of non-negative terms)"
    if not strict:
        # LDL^T in the instance's own symbols (mu, c, v, y are region coordinates as they are):
        # only the pivots are mapped to region coordinates, which keeps the work small.
        own = sp.expand(to_sympy(expr))
        zs = _pivot_order(own, _quadratic_variables(
            own, [v for v in region.free if v in set(region.originals)]))
        if zs and len(own.args) <= MAX_LDL_TERMS:
            pivots = _ldl(_homogenized(own, zs), region)
            if pivots is not None:
                return (f"LDL^T of the quadratic form in ({', '.join(map(str, zs))}, 1): pivots "
                        + "; ".join(_fmt(p, 60) for p in pivots)
                        + " all certified >= 0 on the pattern")
    e = region.to_region(expr)
    if not strict and e.is_nonnegative:
        return "non-negative as written in region coordinates"
    sp_ = _split(e)
    if sp_ is None:
        return None
    num, sd = sp_
    den_txt = "" if sd == 1 else " (times the sign of the denominator)"
    if num == 0:
        return None if strict else "the expression is identically 0 on the pattern"
    if (num.is_positive if strict else num.is_nonnegative):
        return ("in region coordinates (gap widths, breakpoint offsets and |w| positive) every "
                f"term of the numerator{den_txt} is {'positive' if strict else 'non-negative'}")
    if len(num.args) <= MAX_FACTOR_TERMS:
        # A factorization can expose squares: (mu^2 - 1)^2 has a negative term once expanded.
        f = sp.factor(num)
        if f != num and (f.is_positive if strict else f.is_nonnegative):
            return f"factorization of the numerator{den_txt}: {_fmt(f)}"
    if strict:
        return None
    zs = _pivot_order(num, _quadratic_variables(num, region.free))
    if not zs or len(num.args) > MAX_LDL_TERMS:
        return None
    pivots = _ldl(_homogenized(num, zs))
    if pivots is None:
        return None
    names = ", ".join(str(z) for z in zs)
    return (f"LDL^T of the quadratic form in ({names}, 1): pivots "
            + "; ".join(_fmt(p, 60) for p in pivots) + f" all certified >= 0{den_txt}")


def _pivot_order(num: sp.Expr, zs: list[sp.Symbol]) -> list[sp.Symbol]:
    """Variables with a constant positive square coefficient first (e.g. the targets y_n of L):
    eliminating them first leaves the smallest Schur complements."""
    if not zs:
        return zs
    poly = sp.Poly(num, *zs)

    def key(z: sp.Symbol) -> tuple[int, int]:
        mon = tuple(2 if v == z else 0 for v in zs)
        c = poly.coeff_monomial(mon)
        return (0 if c.is_number and c > 0 else 1, sp.count_ops(c))

    return sorted(zs, key=key)


def _homogenized(num: sp.Expr, zs: Sequence[sp.Symbol]) -> sp.Matrix:
    """The symmetric matrix Q with num = (z, 1)^T Q (z, 1) for num of degree <= 2 in z."""
    poly = sp.Poly(num, *zs)
    m = len(zs)
    Q = sp.zeros(m + 1, m + 1)
    for mon, coeff in poly.terms():
        idx = [j for j in range(m) for _ in range(mon[j])]
        if len(idx) == 2:
            a, b = idx
            if a == b:
                Q[a, a] += coeff
            else:
                Q[a, b] += coeff / 2
                Q[b, a] += coeff / 2
        elif len(idx) == 1:
            Q[idx[0], m] += coeff / 2
            Q[m, idx[0]] += coeff / 2
        else:
            Q[m, m] += coeff
    return Q


def certify_psd(M: sp.Matrix, region: Region, gram: sp.Matrix | None = None) -> str | None:
    """An exact certificate that the symmetric matrix ``M`` is positive semidefinite on the
    region: ``M - gram`` identically 0 with ``gram`` a Gram matrix, or a certified LDL^T."""
    if gram is not None and all(is_zero(e) for e in (M - gram)):
        return "equals J^T J / N identically on the pattern (a Gram matrix): PSD"
    Mr = M.applyfunc(region.to_region)
    pivots = _ldl(Mr)
    if pivots is None:
        return None
    return "LDL^T with pivots " + "; ".join(_fmt(p, 60) for p in pivots) + " all certified >= 0"


# ====================================================================== numeric quadratics: exact
def decide_quadratic(expr: sp.Expr, region: Region, strict: bool = False,
                     ) -> tuple[str, object] | None:
    """Exact refutation of ``expr >= 0`` when its numerator is a quadratic polynomial with rational
    coefficients in free coordinates z only: p(z) = z^T A z + 2 b^T z + d.

    If A is not PSD, p is unbounded below along a rational ray z = t v with v^T A v < 0. If A is
    PSD and A z = -b is solvable, the minimizer z* = a solution (exact) and the minimum is
    d + b^T z*; if not solvable, p decreases linearly along a kernel vector k of A with b^T k != 0.
    Returns ("refuted", Violation) with that certificate, ("proved", text) when the minimum is
    >= 0 (> 0 if ``strict``), or None when not applicable.
    """
    try:
        e = region.to_region(expr)
        used = [c for c in region.coords if e.has(c)]
        if not used or any(c in region.positive for c in used):
            return None
        sp_ = _split(e)
        if sp_ is None:
            return None
        num, _ = sp_
        poly = sp.Poly(num, *used)
        if poly.total_degree() != 2 or not all(c.is_Rational for c in poly.coeffs()):
            return None
    except (sp.PolynomialError, sp.polys.polyerrors.PolificationFailed, TypeError):
        return None
    names = ", ".join(describe(z) for z in used)
    out = _quadratic_minimum(poly, len(used), strict)
    if out is None:
        return None
    kind, z, text = out
    if kind == "proved":
        where = ", ".join(f"{describe(c)} = {v}" for c, v in zip(used, z, strict=True))
        return "proved", f"exact minimum {text} of the numerator at {where} (quadratic part PSD)"
    coords = [sp.Integer(1)] * len(region.coords)
    for c, v in zip(used, z, strict=True):
        coords[region.coords.index(c)] = v
    return "refuted", Violation(region.point(coords), text.replace("(VARS)", f"({names})"))


def _quadratic_minimum(poly: sp.Poly, m: int, strict: bool,
                       ) -> tuple[str, sp.Matrix, str] | None:
    """The exact infimum of a quadratic with rational coefficients in m variables (see
    :func:`decide_quadratic`): ("refuted", point, certificate), ("proved", minimizer, minimum
    as text) or None."""
    A, b, d = sp.zeros(m, m), sp.zeros(m, 1), sp.Integer(0)
    for mon, coeff in poly.terms():
        idx = [j for j in range(m) for _ in range(mon[j])]
        if len(idx) == 2:
            i, j = idx
            A[i, j] += coeff if i == j else coeff / 2
            if i != j:
                A[j, i] += coeff / 2
        elif len(idx) == 1:
            b[idx[0]] += coeff / 2
        else:
            d += coeff

    def value_at(z: sp.Matrix) -> sp.Expr:
        return (z.T * A * z)[0, 0] + 2 * (b.T * z)[0, 0] + d

    def fmt(z: sp.Matrix) -> str:
        return "(" + ", ".join(map(str, z)) + ")"

    if _ldl(A) is None:
        # A has a negative direction: a rational eigenvector approximation, checked exactly.
        w, V = np.linalg.eigh(np.array(A.tolist(), dtype=float))
        top = V[:, 0] / np.max(np.abs(V[:, 0]))
        for digits in (1, 2, 3, 6):  # the shortest rational direction that is still negative
            v = sp.Matrix([_rational(float(t), digits) for t in top])
            q = (v.T * A * v)[0, 0]
            if q < 0:
                break
        else:
            return None
        t = sp.Integer(1)
        while value_at(t * v) >= 0 and value_at(-t * v) >= 0:
            t *= 10
        z = t * v if value_at(t * v) < 0 else -t * v
        return ("refuted", z, f"unbounded below along a ray in (VARS): v^T A v = {q} < 0 for "
                f"v = {fmt(v)}; numerator {value_at(z)} at {fmt(z)}")
    try:
        sol, params = A.gauss_jordan_solve(-b)
        zstar = sol.subs({p_: 0 for p_ in params})
    except ValueError:
        # b is not in the range of A: p is linear and non-constant along a kernel vector.
        for k in A.nullspace():
            slope = 2 * (b.T * k)[0, 0]
            if slope != 0:
                z = -(abs(d) + 1) / slope * k
                return ("refuted", z, f"unbounded below along the kernel direction {fmt(k)} of "
                        f"the quadratic part in (VARS); numerator {value_at(z)} at {fmt(z)}")
        return None
    minimum = value_at(zstar)
    if (minimum <= 0) if strict else (minimum < 0):
        return ("refuted", zstar,
                f"exact minimizer (VARS) = {fmt(zstar)}, minimum of the numerator {minimum}")
    return "proved", zstar, str(minimum)


def refute_quadratic_slice(expr: sp.Expr, region: Region, rng: np.random.Generator,
                           strict: bool = False, slices: int = 6) -> Violation | None:
    """Exact refutation of a claim quadratic in some free coordinates z whose coefficients depend
    on the others (data, breakpoints): fix the others at rational values (1, then random powers
    of ten), minimize the resulting rational quadratic in z exactly (:func:`_quadratic_minimum`),
    and confirm the value of the claim at that point exactly."""
    try:
        e = region.to_region(expr)
        sp_ = _split(e)
        if sp_ is None:
            return None
        num, _ = sp_
        zs = _quadratic_variables(num, region.free)
        others = [c for c in region.coords if num.has(c) and c not in zs]
    except (sp.PolynomialError, sp.polys.polyerrors.PolificationFailed, TypeError):
        return None
    if not zs:
        return None
    confirm = scalar_confirm(expr, strict)
    for k in range(slices):
        vals = {o: (sp.Integer(1) if k == 0 else
                    sp.Integer(10) ** int(rng.integers(-3, 4)) * (1 if o in region.positive
                                                                  else int(rng.choice([-1, 1]))))
                for o in others}
        try:
            poly = sp.Poly(sp.expand(num.xreplace(vals)), *zs)
        except sp.PolynomialError:
            return None
        if poly.total_degree() != 2 or not all(c.is_Rational for c in poly.coeffs()):
            continue
        out = _quadratic_minimum(poly, len(zs), strict)
        if out is None or out[0] != "refuted":
            continue
        _, z, text = out
        coords = [vals.get(c, sp.Integer(1)) for c in region.coords]
        for c, v in zip(zs, z, strict=True):
            coords[region.coords.index(c)] = v
        values = region.point(coords)
        detail = confirm(values)
        if detail is not None:
            names = ", ".join(describe(c) for c in zs)
            fixed = ", ".join(f"{describe(o)} = {v}" for o, v in vals.items())
            return Violation(values, f"{detail}; {text.replace('(VARS)', f'({names})')}"
                             + (f" with {fixed}" if fixed else ""))
    return None


# ====================================================================== two free coordinates: exact
#: Largest total degree of a two-coordinate claim decided through its critical values.
MAX_CRITICAL_DEGREE = 6


def decide_critical_2d(expr: sp.Expr, region: Region, strict: bool = False) -> str | None:
    """A proof of ``expr >= 0`` (``> 0`` if ``strict``) for a polynomial in two free coordinates
    (x, y) with rational coefficients, through its critical values.

    If the leading form p_d is positive definite (d even; p_d(1, 0) > 0 and p_d(t, 1) > 0 for
    every real t, by real-root isolation), p is coercive and attains its minimum at a critical
    point. Every critical value m is a root of the eliminant E(m), the last element of a lex
    Groebner basis of {p - m, p_x, p_y}. If every real root of E is >= 0 (> 0), so is the minimum.
    Returns the certificate, or None when any step does not apply (a negative root of E may come
    from a complex critical point: no conclusion, the search decides).
    """
    try:
        e = region.to_region(expr)
        used = [c for c in region.coords if e.has(c)]
        if len(used) != 2 or any(c in region.positive for c in used):
            return None
        sp_ = _split(e)
        if sp_ is None:
            return None
        num, _ = sp_
        x, y = used
        poly = sp.Poly(num, x, y)
        d = poly.total_degree()
        if d % 2 or not 2 < d <= MAX_CRITICAL_DEGREE or \
                not all(c.is_Rational for c in poly.coeffs()):
            return None
        t = sp.Symbol("_t")
        lead = sp.Add(*[c * x**i * y**j for (i, j), c in poly.terms() if i + j == d])
        if not lead.coeff(x, d).is_positive:
            return None
        on_line = sp.Poly(lead.subs({x: t, y: 1}), t)
        if on_line.eval(0) <= 0 or on_line.count_roots() != 0:
            return None
        m = sp.Symbol("_m")
        pe = poly.as_expr()
        basis = sp.groebner([pe - m, sp.diff(pe, x), sp.diff(pe, y)], x, y, m, order="lex")
        elim = basis.exprs[-1]
        if elim.free_symbols != {m}:
            return None
        ivs = sp.Poly(elim, m).intervals(eps=sp.Rational(1, 10**9))
        for (a, b), _ in ivs:
            if strict and not a > 0:
                return None
            if not strict and b < 0:
                return None
            if not strict and a < 0 and not (sp.Poly(elim, m).eval(0) == 0 and a <= 0 <= b
                                             and len(sp.Poly(elim, m).intervals(inf=a, sup=b))
                                             == 1):
                return None
    except (sp.PolynomialError, sp.polys.polyerrors.PolificationFailed, TypeError,
            sp.polys.polyerrors.CoercionFailed):
        return None
    vals = sorted({float(sp.Rational(a + b, 2)) for (a, b), _ in ivs})
    return (f"coercive in ({describe(x)}, {describe(y)}) (leading form {_fmt(lead, 60)} positive "
            f"definite), and every real critical value -- a root of the eliminant "
            f"{_fmt(sp.factor(elim), 80)} of {{p - m, p_x, p_y}} -- is "
            f"{'positive' if strict else 'non-negative'}; the smallest, about {vals[0]:.6g}, "
            "bounds the minimum of the numerator from below")


# ====================================================================== one coordinate: exact
#: Largest degree of a one-coordinate numerator decided by real-root isolation.
MAX_UNIVARIATE_DEGREE = 24


def decide_univariate(expr: sp.Expr, region: Region, strict: bool = False,
                      ) -> tuple[str, object] | None:
    """See :func:`_decide_univariate`; None for non-polynomial expressions."""
    try:
        return _decide_univariate(expr, region, strict)
    except (sp.PolynomialError, sp.polys.polyerrors.PolificationFailed, TypeError):
        return None


def describe(coord: sp.Symbol) -> str:
    """A region coordinate in the user's terms."""
    name = str(coord)
    kind, idx = name[:2], name[2:]
    words = {"_d": f"x{int(idx or 0) + 1} - x{idx}", "_t": f"t{idx} (beta{idx} = x_k + d_k t/(1+t))",
             "_e": f"the distance of beta{idx} to the nearest sample",
             "_a": f"|w{idx}|", "_x": "x1"}
    if name.startswith("_p_"):
        return f"|{name[3:]}|"
    return words.get(kind, name)


def _decide_univariate(expr: sp.Expr, region: Region, strict: bool = False,
                       ) -> tuple[str, object] | None:
    """Exact decision of ``expr >= 0`` (``> 0`` if ``strict``) when, in region coordinates, it
    depends on a single coordinate z (real, or positive).

    The numerator p(z) (times the sign of the denominator) has finitely many real roots; they are
    isolated in disjoint rational intervals (SymPy ``Poly.intervals``), p has one sign between
    consecutive roots, and one rational test point per open piece of the domain decides it.
    Returns ("proved", certificate) with the minimum of p over the domain's critical points and
    the roots, ("refuted", Violation) at a rational test point, or None when not applicable.
    """
    e = region.to_region(expr)
    used = [c for c in region.coords if e.has(c)]
    if len(used) != 1:
        return None
    z = used[0]
    sp_ = _split(e)
    if sp_ is None:
        return None
    num, _ = sp_
    poly = sp.Poly(num, z)
    if poly.degree() > MAX_UNIVARIATE_DEGREE:
        return None
    positive = z in region.positive
    ivs = sorted((a, b) for (a, b), _ in poly.intervals(eps=sp.Rational(1, 10**6)))
    if positive:
        if any(a <= 0 < b or a < 0 <= b for a, b in ivs):
            return None  # a root too close to 0 to place: leave it to the search
        ivs = [(a, b) for a, b in ivs if a > 0]
    tests: list = []
    lo = sp.Integer(0) if positive else None
    for a, b in ivs:
        if lo is None:
            tests.append(a - 1)
        elif a > lo:
            tests.append((lo + a) / 2)
        else:
            return None  # touching isolating intervals: not separated, no decision
        lo = b
    tests.append(sp.Integer(1) if lo is None else lo + 1)

    def violation(t: sp.Rational, why: str) -> tuple[str, object]:
        coords = [sp.Integer(1)] * len(region.coords)
        coords[region.coords.index(z)] = t
        return "refuted", Violation(region.point(coords),
                                    f"value {e.xreplace({z: t})} where {describe(z)} = {t} ({why})")

    for t in tests:
        v = poly.eval(t)
        if (v <= 0) if strict else (v < 0):
            return violation(t, "exact real-root isolation of the one-coordinate numerator")
    if strict and ivs:
        exact_roots = [a for a, b in ivs if a == b]
        # A root in the domain makes the value 0: refuted only if it is a rational point.
        return violation(exact_roots[0], "a rational root") if exact_roots else None
    crit = [r for r in poly.diff(z).real_roots() if not positive or r > 0] \
        if poly.degree() <= 8 else []
    where = ("(0, oo)" if positive else "R")
    if crit:
        vals = [(float(poly.eval(r).evalf(30)), r) for r in crit]
        mval, marg = min(vals, key=lambda t: t[0])
        extra = f"; minimum of the numerator about {mval:.6g} where {describe(z)} = {marg}"
    else:
        extra = ""
    return "proved", (f"one coordinate {describe(z)} on {where}: {len(ivs)} real root(s) isolated, the "
                      f"numerator is {'positive' if strict else 'non-negative'} at a rational "
                      f"point of every piece between them{extra}")


# ====================================================================== exact points and search
def _rational(v: float, digits: int) -> sp.Rational:
    f = Fraction(f"{v:.{digits}g}")
    return sp.Rational(f.numerator, f.denominator)


def _exact_coords(region: Region, u: np.ndarray, digits: int) -> list | None:
    npos = len(region.positive)
    out = []
    for j, val in enumerate(u):
        if j < npos:
            if not np.isfinite(val) or abs(val) > 700:
                return None
            q = _rational(math.exp(float(val)), digits)
            if q <= 0:
                return None
            out.append(q)
        else:
            if not np.isfinite(val):
                return None
            out.append(_rational(float(val), digits))
    return out


def scale_free_points(rng: np.random.Generator, region: Region, K: int) -> np.ndarray:
    """K points in search coordinates (log of the positive coordinates, the free ones as they are).

    Every coordinate independently takes a magnitude that is log-uniform over 1e-6..1e8, of order 1,
    tiny (1e-9..1e-4: a breakpoint at a face of its gap, nearly coinciding samples, mu_i near 0),
    or (free coordinates) exactly 0; a fifth of the points also put the breakpoints that share a
    gap within a relative 1e-6 of each other.
    """
    npos, d = len(region.positive), len(region.coords)
    mode = rng.choice(4, size=(K, d), p=[0.4, 0.3, 0.15, 0.15])
    mag = np.where(mode == 0, 10.0 ** rng.uniform(-6, 8, (K, d)),
                   np.where(mode == 1, np.abs(rng.normal(0, 2, (K, d))) + 1e-3,
                            10.0 ** rng.uniform(-9, -4, (K, d))))
    sign = rng.choice([-1.0, 1.0], size=(K, d))
    u = np.empty((K, d))
    u[:, :npos] = np.log(mag[:, :npos])
    u[:, npos:] = np.where(mode[:, npos:] == 3, 0.0, sign[:, npos:] * mag[:, npos:])
    pos_index = {s: j for j, s in enumerate(region.positive)}
    by_gap: dict = {}
    for t, k in region.inner:
        by_gap.setdefault(k, []).append(pos_index[t])
    for idx in by_gap.values():
        if len(idx) > 1:
            rows = rng.random(K) < 0.2
            for j in idx[1:]:
                u[rows, j] = u[rows, idx[0]] + rng.normal(0, 1e-6, rows.sum())
    return u


@dataclass(frozen=True)
class Violation:
    """An exact point of the region where a claim fails: original symbol values and a detail."""

    values: dict
    detail: str


def _evaluator(fun: Callable, region: Region) -> Callable[[np.ndarray], float]:
    npos = len(region.positive)

    def at(u: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            args = list(np.exp(u[:npos])) + list(u[npos:])
            try:
                v = float(fun(*args))
            except (OverflowError, ZeroDivisionError, ValueError, TypeError):
                return math.inf
        return v if math.isfinite(v) else math.inf

    return at


def search(region: Region, rng: np.random.Generator, *, score: Callable[[np.ndarray], float],
           confirm: Callable[[dict], str | None], points: int = SEARCH_POINTS,
           ) -> tuple[Violation | None, int]:
    """Look for a violation: ``score(u) < 0`` suggests one at search point ``u``, ``confirm(values)``
    decides it exactly at the rationalized point (returns a detail, or None when it does not fail).

    Returns the confirmed violation (or None) and the number of points evaluated.
    """
    U = scale_free_points(rng, region, points)
    vals = np.array([score(u) for u in U])
    evaluated = len(U)
    order = np.argsort(vals)

    def try_confirm(u: np.ndarray) -> Violation | None:
        # Fewest significant digits first: the reported counterexample stays readable.
        for digits in (1, 2, 3, 6, 12, 17):
            coords = _exact_coords(region, u, digits)
            if coords is None:
                return None
            values = region.point(coords)
            detail = confirm(values)
            if detail is not None:
                return Violation(values, detail)
        return None

    for j in order[:12]:
        if vals[j] < 0:
            v = try_confirm(U[j])
            if v is not None:
                return v, evaluated
    from scipy.optimize import minimize

    for j in order[:LOCAL_STARTS]:
        if not math.isfinite(vals[j]):
            continue
        # arcsinh keeps the objective scale-free: an unbounded-below claim still moves far.
        res = minimize(lambda u: math.asinh(score(u)) if math.isfinite(score(u)) else 1e300,
                       U[j], method="Nelder-Mead",
                       options={"maxiter": 150 * len(U[j]), "xatol": 1e-10, "fatol": 1e-14})
        evaluated += int(res.nfev)
        if res.fun < 0:
            v = try_confirm(res.x)
            if v is not None:
                return v, evaluated
    return None, evaluated


def scalar_score(expr: sp.Expr, region: Region, strict: bool) -> Callable[[np.ndarray], float]:
    """Float value of ``expr`` at search coordinates (negative means a candidate violation)."""
    fun = sp.lambdify(region.coords, region.to_region(expr), "math")
    ev = _evaluator(fun, region)
    if not strict:
        return ev
    # For "> 0" a value of exactly 0 fails too: shift by a relative hair so it scores negative.
    return lambda u: ev(u) - 1e-300


def matrix_score(M: sp.Matrix, region: Region) -> Callable[[np.ndarray], float]:
    """Smallest eigenvalue of ``M`` over its largest magnitude (scale-free), at search coordinates."""
    fun = sp.lambdify(region.coords, region.to_region(M), "numpy")
    npos = len(region.positive)

    def at(u: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            try:
                A = np.array(fun(*(list(np.exp(u[:npos])) + list(u[npos:]))), dtype=float)
            except (OverflowError, ZeroDivisionError, ValueError, TypeError):
                return math.inf
        if not np.all(np.isfinite(A)):
            return math.inf
        scale = float(np.max(np.abs(A)))
        if scale == 0:
            return 0.0
        return float(np.linalg.eigvalsh((A + A.T) / 2)[0]) / scale

    return at


def psd_confirm(M: sp.Matrix) -> Callable[[dict], str | None]:
    """Exact check at a point: a rational z with z^T M z < 0 (z from the float eigenvector)."""

    def confirm(values: dict) -> str | None:
        Mx = M.xreplace(values)
        A = np.array(Mx.evalf(30).tolist(), dtype=float)
        w, V = np.linalg.eigh((A + A.T) / 2)
        if w[0] >= 0:
            return None
        top = V[:, 0] / np.max(np.abs(V[:, 0]))
        for digits in (1, 2, 3, 6, 12):  # the shortest rational direction that works
            z = sp.Matrix([_rational(float(t), digits) for t in top])
            q = (z.T * Mx * z)[0, 0]
            if q < 0:
                return (f"z^T M z = {q} < 0 at z = ({', '.join(str(t) for t in z)}) "
                        f"(smallest eigenvalue about {w[0]:.6g})")
        return None

    return confirm


def scalar_confirm(expr: sp.Expr, strict: bool) -> Callable[[dict], str | None]:
    """Exact check at a point: the value of ``expr`` is < 0 (<= 0 if ``strict``)."""

    def confirm(values: dict) -> str | None:
        val = to_sympy(expr).xreplace(values)
        # Exact rational data and parameters give a rational value; anything else is simplified.
        val = val if val.is_Rational else sp.nsimplify(sp.simplify(val))
        if not val.is_number or not val.is_real:
            return None
        bad = bool(val <= 0) if strict else bool(val < 0)
        return f"value {val} {'<=' if strict else '<'} 0" if bad else None

    return confirm


def find_nonzero(expr: sp.Expr, region: Region, rng: np.random.Generator,
                 tries: int = 40) -> Violation | None:
    """An exact point of the region where the non-zero rational function ``expr`` is not 0."""
    npos = len(region.positive)
    for _ in range(tries):
        coords = [sp.Rational(int(rng.integers(1, 9)), int(rng.integers(1, 4)))
                  for _ in range(npos)]
        coords += [sp.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 4)))
                   for _ in range(len(region.free))]
        values = region.point(coords)
        val = to_sympy(expr).xreplace(values)
        val = sp.cancel(val) if not val.is_Rational else val
        if val != 0:
            return Violation(values, f"value {val} (should be 0)")
    return None
