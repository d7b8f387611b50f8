"""Critical points of the population risk at any small width, by variable projection (theory §7.3).

Setting. p is a positive piecewise-constant density on [a, b] with knots t_0 = a < ... < t_K = b,
g a piecewise polynomial, f(x) = c + sum_i mu_i [s_i (x - beta_i)]_+ and
L = (1/2) int (f - g)^2 p dx. L is C^1 and

    dL/dc = int r p,   dL/dmu_i = int phi_i r p,   dL/dbeta_i = -s_i mu_i int_{A_i} r p,

with r = f - g, phi_i = [s_i (x - beta_i)]_+ and A_i = {s_i (x - beta_i) > 0}.

**Unit types.** On the support a unit is *dead* (D: phi_i = 0, beta_i >= b for s_i = +1, <= a for
s_i = -1), *full* (F: phi_i = s_i (x - beta_i) is affine, beta_i <= a resp. >= b) or *interior* (I:
a < beta_i < b). Every point has exactly one type per unit. D units satisfy their two equations
identically; F units need int r p = int x r p = 0, whatever mu_i is, and then span x together with c.

**The core.** Interior units are grouped by position (ties are their own configurations); each
group g sits in one open cell (or on an interior knot), groups strictly ordered. A member is NZ
("mu free", its beta-equation int_{beta_g}^b r p = 0 imposed) or Z (mu = 0, only its mu-equation
int phi r p = 0). The function then lies in V = span{1, x (if some F unit or a group with NZ
members of both orientations), one hinge per group with NZ members}: distinct interior hinges, 1 and
x are linearly independent on a positive density, so the Gram matrix G(beta) of this basis is
positive definite on the open region. With breakpoints fixed, L is a convex quadratic in the
coefficients: theta = adj(G) h / det G (Cramer; h = int B g p) solves the normal equations, which
are exactly the c-, mu- and F-equations of the basis features. What remains -- the beta-equation
of every NZ group and the mu-equation of every feature not in V -- is, after multiplying by
det G > 0, a polynomial system in the group positions alone. It is solved exactly: every
equation is split into its irreducible factors (factors without a zero in the open cell are
dropped), one variable at a time is eliminated by resultants, and the solutions are extended by
back-substitution -- the gcd of the equations over Q(rho), or a primitive element of a larger
field when that gcd is not linear. Where the resultants' common factors could be spurious the
exact elimination ideal comes from a lex Groebner basis instead. Every solution is a real root
rho of an irreducible m(t) in Q[t] with every coordinate in Q(rho): zero tests are exact
(reduction mod m), signs exact (rational interval refinement of rho), values printed as
rationals, radicals or CRootOf. A system that is not zero-dimensional is first saturated by
D = det G times the boundary factors (b - lo, hi - b, and b2 - b1 for groups sharing a cell), all
nonzero on the open region: the grevlex basis of (eqs, t D - 1) is [1] when every complex
solution lies where D = 0 (then nothing is in the region), and when it is zero-dimensional its
lex elimination of t (FGLM) is solved instead. Otherwise it is split along the
univariate factors of its lex basis; what remains positive-dimensional is a family when its
equations vanish identically in some breakpoints (free in their cells), is dropped when it
provably misses the open region (Fourier-Motzkin on its linear equations with the strict cell
and order constraints, or an elimination ideal without solutions there), and is reported as
*undecided* otherwise.

**Lifting.** Each core solution gives the family of full parameters with the same function:
D units free (beta in a closed half-line, mu real), F units in their closed half-lines with
sum_F s_i mu_i (minus the left parts of mixed ties) equal to the slope A, c fixed by the
intercept, tied NZ members with a fixed sum of their mu.

**Classification** (with its reason, piece by piece):

- no critical point is a local maximum: d^2L/dc^2 = int p = 1 > 0;
- L* = 0: global minimum (L >= 0);
- a unit with mu_i = 0 whose breakpoint is in the closed support where r is not identically zero
  nearby is a saddle: L(mu_i = eps, beta_i = beta') = L* + eps R(beta') + O(eps^2) with
  R(beta') = int [s_i (x - beta')]_+ r p, and R'' = r p, so R takes both signs arbitrarily close
  (the population analogue of theory §3.2);
- a D or F unit exactly on the support end e entering the support changes L by
  mu_i r(e) p(e) delta^2 / 2 + O(delta^3): saddle if mu_i r(e) < 0, no descent if mu_i r(e) > 0;
- a core without ties: the inertia of the exact Hessian of the core's polynomial in
  (c, A, beta_g, mu_g), by Descartes' rule on the characteristic polynomial: a negative
  eigenvalue gives a saddle, positive definite a strict local minimum of the core; the core map is
  a submersion on the family, so D units strictly outside and F units strictly outside keep the
  type (a strict core minimum becomes a non-strict minimum of the family);
- a tie of two same-orientation NZ members (sum M != 0) at beta: the split direction adds
  (1/2) r(beta) p(beta) (m1 m2 / M) (delta1 - delta2)^2 to the merged second variation, so the
  family splits by the sign of r(beta) m1 m2 / M (saddle where negative, a minimum where positive
  if the merged core is a strict minimum, by the Morse-Bott argument); other ties are undecided
  unless another rule applies.

Anything not covered is reported with kind "undecided" and its reason; nothing is dropped.
Back-substitution over a field Q(rho) of degree above :data:`MAX_FIELD_DEGREE`, or through a
primitive element of degree above :data:`MAX_PRIMITIVE_DEGREE`, is not attempted (SymPy's
number-field arithmetic takes minutes there) and is reported undecided with its degree.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from .errors import InputError, SizeError

X = sp.Symbol("x", real=True)
T = sp.Symbol("t")

KIND_GLOBAL = "global minimum"
KIND_STRICT_MIN = "strict local minimum"
KIND_MIN = "non-strict local minimum"
KIND_SADDLE = "saddle"
KIND_UNDECIDED = "undecided"
KIND_MIXED = "mixed"
MIN_KINDS = (KIND_GLOBAL, KIND_STRICT_MIN, KIND_MIN)

#: Largest width of the enumeration.
MAX_H = 3
#: Largest target degree and number of density/target cells accepted.
MAX_TARGET_DEGREE = 4
MAX_CELLS = 4
#: Largest degree [Q(tau):Q] of a primitive element built in back-substitution (deg m times
#: the degree of the gcd over Q(rho)); larger extensions are reported undecided, not attempted
#: (sympy's arithmetic in such fields takes minutes).
MAX_PRIMITIVE_DEGREE = 12
#: Largest degree of the field Q(rho) over which back-substitution computes gcds; solutions of
#: higher degree are reported undecided (the reference cases need at most 8).
MAX_FIELD_DEGREE = 16


# ====================================================================== exact real algebraic numbers
class _Root:
    """The real root rho of an irreducible m in Q[t], isolated in a rational interval (lo, hi).

    Field elements are Polys in t over QQ (reduced mod m). ``sign`` is exact: zero iff the
    reduction vanishes; otherwise the interval is bisected (exactly, with Fractions) until the
    interval value of the polynomial excludes 0.
    """

    def __init__(self, m: sp.Poly, lo: Fraction, hi: Fraction) -> None:
        self.m = m.monic()
        self.lo, self.hi = lo, hi
        self.deg = self.m.degree()
        self._mc = [Fraction(int(c.p), int(c.q)) for c in (sp.Rational(v) for v in self.m.all_coeffs())]
        if self.deg == 1:  # the root is rational: collapse the interval onto it
            r = -self._mc[1] / self._mc[0]
            self.lo = self.hi = r

    # -- field arithmetic
    def elem(self, e: object) -> sp.Poly:
        """A field element from an expression in T (or a number)."""
        return sp.Poly(e, T, domain="QQ").rem(self.m)

    def mul(self, a: sp.Poly, b: sp.Poly) -> sp.Poly:
        return (a * b).rem(self.m)

    def inv(self, a: sp.Poly) -> sp.Poly:
        if a.rem(self.m).is_zero:
            raise ZeroDivisionError("inverse of zero in a number field")
        if self.deg == 1:
            return self.elem(1 / self.value(a))
        return a.invert(self.m)

    def is_zero(self, a: sp.Poly) -> bool:
        return a.rem(self.m).is_zero

    # -- exact sign
    @staticmethod
    def _ival(coeffs: list[Fraction], lo: Fraction, hi: Fraction) -> tuple[Fraction, Fraction]:
        vlo = vhi = Fraction(0)
        for c in coeffs:  # Horner with interval products
            prods = (vlo * lo, vlo * hi, vhi * lo, vhi * hi)
            vlo, vhi = min(prods) + c, max(prods) + c
        return vlo, vhi

    def _refine(self) -> None:
        mid = (self.lo + self.hi) / 2
        vm = self._ival(self._mc, mid, mid)[0]
        vl = self._ival(self._mc, self.lo, self.lo)[0]
        if vm == 0:  # cannot happen for an irreducible m of degree > 1
            self.lo = self.hi = mid
        elif (vm > 0) == (vl > 0):
            self.lo = mid
        else:
            self.hi = mid

    def sign(self, a: sp.Poly | object) -> int:
        a = a if isinstance(a, sp.Poly) else self.elem(a)
        a = a.rem(self.m)
        if a.is_zero:
            return 0
        coeffs = [Fraction(int(c.p), int(c.q)) for c in (sp.Rational(v) for v in a.all_coeffs())]
        for _ in range(4000):
            lo, hi = self._ival(coeffs, self.lo, self.hi)
            if lo > 0:
                return 1
            if hi < 0:
                return -1
            self._refine()
        raise ArithmeticError("sign refinement did not terminate")  # pragma: no cover

    def value(self, a: sp.Poly | object) -> sp.Expr:
        """The exact value a(rho) as a SymPy number: Rational, radicals (degree 2) or CRootOf."""
        a = a if isinstance(a, sp.Poly) else self.elem(a)
        a = a.rem(self.m)
        if a.degree() <= 0:
            return sp.Rational(a.as_expr())
        if self.deg == 1:
            return sp.Rational(a.as_expr().subs(T, sp.Rational(self.lo)))
        y = sp.Dummy("y")
        # Minimal polynomial of a(rho): an irreducible factor of Res_t(m(t), y - a(t)).
        res = sp.Poly(sp.resultant(self.m.as_expr(), y - a.as_expr(), T), y)
        cands = []
        for fac, _ in sp.factor_list(res)[1]:
            fp = sp.Poly(fac, y)
            for k, ((lo, hi), _) in enumerate(fp.intervals()):
                cands.append((fp, _frac(lo), _frac(hi), k))
        for _ in range(400):
            alo, ahi = self._aval(a)
            hits = [c for c in cands if not (c[2] < alo or c[1] > ahi)]
            if len(hits) == 1:
                break
            self._refine()
            cands = [_shrink(c) for c in cands]
        if len(hits) != 1:  # pragma: no cover - distinct roots separate after refinement
            raise ArithmeticError("could not identify an algebraic number")
        fp, lo, hi, idx = hits[0]
        if fp.degree() == 1:
            return sp.solve(fp.as_expr(), y)[0]
        if fp.degree() == 2:
            rts = sorted(sp.solve(fp.as_expr(), y), key=lambda r: float(r))
            return sp.radsimp(rts[idx])
        return sp.CRootOf(fp.as_expr(), idx)

    def _aval(self, a: sp.Poly) -> tuple[Fraction, Fraction]:
        coeffs = [Fraction(int(c.p), int(c.q)) for c in (sp.Rational(v) for v in a.all_coeffs())]
        return self._ival(coeffs, self.lo, self.hi)

    def floatval(self, a: sp.Poly | object) -> float:
        a = a if isinstance(a, sp.Poly) else self.elem(a)
        for _ in range(200):
            lo, hi = self._aval(a.rem(self.m))
            if hi - lo < Fraction(1, 10**18) * max(1, abs(lo)):
                return float((lo + hi) / 2)
            self._refine()
        return float((lo + hi) / 2)  # pragma: no cover


def _shrink(c: tuple) -> tuple:
    fp, lo, hi, k = c
    mid = (lo + hi) / 2
    vm = fp.eval(sp.Rational(mid.numerator, mid.denominator))
    vl = fp.eval(sp.Rational(lo.numerator, lo.denominator))
    if vm == 0:
        return (fp, mid, mid, k)
    if (vm > 0) == (vl > 0):
        return (fp, mid, hi, k)
    return (fp, lo, mid, k)


def _frac(v: object) -> Fraction:
    r = sp.Rational(v)
    return Fraction(int(r.p), int(r.q))


# ====================================================================== configurations
@dataclass(frozen=True)
class Group:
    """Interior units sharing one breakpoint: ``cell`` j puts it in (t_j, t_{j+1}); ``knot`` j on
    t_j. ``members`` are (orientation, nz) pairs, sorted; nz = True: mu free with its
    beta-equation imposed, False: mu = 0."""

    where: tuple[str, int]
    members: tuple[tuple[int, bool], ...]

    @property
    def nz_orients(self) -> set[int]:
        return {s for s, nz in self.members if nz}

    @property
    def orients(self) -> set[int]:
        return {s for s, _ in self.members}


@dataclass(frozen=True)
class Core:
    """The interior part of a configuration and whether x is in the span (some F unit)."""

    full: bool
    groups: tuple[Group, ...]

    @property
    def affine(self) -> bool:
        return self.full or any(len(g.nz_orients) == 2 for g in self.groups)

    @property
    def n_units(self) -> int:
        return sum(len(g.members) for g in self.groups)


def _groups_enum(n: int, K: int) -> list[tuple[Group, ...]]:
    """Ordered sequences of groups with n interior members in total (up to unit permutation)."""
    types = [(1, True), (1, False), (-1, True), (-1, False)]
    wheres = [("cell", j) for j in range(K)] + [("knot", j) for j in range(1, K)]
    order = {w: (w[1] * 2 + (1 if w[0] == "cell" else 0)) for w in wheres}
    out: list[tuple[Group, ...]] = []

    def members(k: int) -> list[tuple]:
        return sorted({tuple(sorted(c)) for c in itertools.combinations_with_replacement(types, k)})

    def rec(left: int, last: tuple[int, int] | None, acc: list[Group]) -> None:
        if left == 0:
            out.append(tuple(acc))
            return
        for w in wheres:
            pos = order[w]
            if last is not None and (pos < last[0] or (pos == last[0] and w[0] == "knot")):
                continue
            for k in range(1, left + 1):
                for mem in members(k):
                    rec(left - k, (pos, 0), acc + [Group(w, mem)])

    rec(n, None, [])
    return out


# ====================================================================== the core's algebra
@dataclass
class _CoreAlgebra:
    core: Core
    betas: list[sp.Symbol]          # one symbol per group in a cell (knot groups are fixed)
    pos: list[sp.Expr]              # position of each group (symbol or knot value)
    basis: list[tuple[str, object]]  # ("1",) ("x",) ("h", g)
    G: sp.Matrix
    h: sp.Matrix
    det: sp.Expr
    adjh: sp.Matrix
    eqs: list[sp.Expr]
    eq_names: list[str]
    cells: list[tuple[sp.Expr, sp.Expr, int, int]]  # (lo, hi, knot cell j, event index)
    events: list[tuple[str, int]]


def _build_core(pop: object, core: Core) -> _CoreAlgebra:
    knots, dens, targ = pop.knots, pop.density, pop.target
    K = len(knots) - 1
    betas: list[sp.Symbol] = []
    pos: list[sp.Expr] = []
    for gi, g in enumerate(core.groups):
        if g.where[0] == "cell":
            b = sp.Symbol(f"b{gi + 1}", real=True)
            betas.append(b)
            pos.append(b)
        else:
            pos.append(knots[g.where[1]])
    # events in increasing order: ("k", j) and ("g", gi)
    events: list[tuple[str, int]] = []
    for j in range(K + 1):
        events.append(("k", j))
        events += [("g", gi) for gi, g in enumerate(core.groups) if g.where == ("knot", j)]
        if j < K:
            events += [("g", gi) for gi, g in enumerate(core.groups) if g.where == ("cell", j)]
    ev_index = {e: k for k, e in enumerate(events)}
    cells = []
    cur = 0
    for k, (e, nxt) in enumerate(itertools.pairwise(events)):
        if e[0] == "k":
            cur = e[1]
        lo = knots[e[1]] if e[0] == "k" else pos[e[1]]
        hi = knots[nxt[1]] if nxt[0] == "k" else pos[nxt[1]]
        if cur >= K:
            continue
        if lo == hi:  # a knot group sits on its knot: empty cell
            continue
        cells.append((lo, hi, cur, k))

    def hinge(gi: int, s: int, cell_event: int) -> sp.Expr:
        right = ev_index[("g", gi)] <= cell_event  # the cell lies right of the group
        if s > 0:
            return X - pos[gi] if right else sp.Integer(0)
        return sp.Integer(0) if right else pos[gi] - X

    basis: list[tuple[str, object]] = [("1", None)]
    if core.affine:
        basis.append(("x", None))
    for gi, g in enumerate(core.groups):
        nzo = g.nz_orients
        if nzo:
            basis.append(("h", (gi, 1 if len(nzo) == 2 else next(iter(nzo)))))

    def feat(b: tuple[str, object], ce: int) -> sp.Expr:
        if b[0] == "1":
            return sp.Integer(1)
        if b[0] == "x":
            return X
        gi, s = b[1]
        return hinge(gi, s, ce)

    def integral(fn: Callable[[int, int], sp.Expr], lo_event: int | None = None) -> sp.Expr:
        tot = sp.Integer(0)
        for lo, hi, j, ce in cells:
            if lo_event is not None and ce < lo_event:
                continue
            e = sp.expand(fn(ce, j))
            if e == 0:
                continue
            anti = sp.Poly(e, X).integrate()
            tot += dens[j] * (anti.as_expr().subs(X, hi) - anti.as_expr().subs(X, lo))
        return sp.expand(tot)

    nb = len(basis)
    G = sp.zeros(nb, nb)
    for i in range(nb):
        for k in range(i, nb):
            G[i, k] = G[k, i] = integral(lambda ce, j, i=i, k=k: feat(basis[i], ce) * feat(basis[k], ce))
    h = sp.Matrix([integral(lambda ce, j, i=i: feat(basis[i], ce) * targ[j]) for i in range(nb)])
    det = sp.expand(G.det(method="berkowitz"))
    adjh = (G.adjugate(method="berkowitz") * h).applyfunc(sp.expand)
    eqs, names = [], []
    span_has = set()
    for b in basis:
        if b[0] == "h":
            span_has.add(b[1])
    for gi, g in enumerate(core.groups):
        nzo = g.nz_orients
        if nzo:  # beta-equation: int_{beta_g}^b r p = 0 (either orientation, given int r p = 0)
            start = ev_index[("g", gi)]
            row = [integral(lambda ce, j, i=i: feat(basis[i], ce), start) for i in range(nb)]
            sc = integral(lambda ce, j: targ[j], start)
            eqs.append(sp.expand(sum(r * a for r, a in zip(row, adjh, strict=True)) - det * sc))
            names.append(f"beta-equation of group {gi + 1}")
        for s in sorted(g.orients):
            covered = (gi, s) in span_has or (nzo and core.affine)
            if covered:
                continue
            row = [integral(lambda ce, j, i=i, s=s, gi=gi: hinge(gi, s, ce) * feat(basis[i], ce))
                   for i in range(nb)]
            sc = integral(lambda ce, j, s=s, gi=gi: hinge(gi, s, ce) * targ[j])
            eqs.append(sp.expand(sum(r * a for r, a in zip(row, adjh, strict=True)) - det * sc))
            names.append(f"mu-equation of the mu = 0 members ({'+' if s > 0 else '-'}) of group {gi + 1}")
    return _CoreAlgebra(core, betas, pos, basis, G, h, det, adjh, eqs, names, cells, events)


# ====================================================================== solving the reduced system
@dataclass(frozen=True)
class _Sol:
    root: _Root
    coords: tuple[sp.Poly, ...]       # one per beta symbol (empty tuple when none)
    free: tuple[int, ...] = ()        # indices of betas free in their cell (positive dimension)


def _region_factor_ok(fac: sp.Expr, alg: _CoreAlgebra | None, cellrange: dict) -> bool:
    """False when the factor cannot vanish on the open region (drop it)."""
    syms = sorted(fac.free_symbols, key=str)
    if not syms:
        return False
    if len(syms) == 1:
        b = syms[0]
        p = sp.Poly(fac, b)
        lo, hi = cellrange[b]
        if p.degree() <= 0:
            return False
        return bool(p.count_roots(lo, hi) - int(p.eval(lo) == 0) - int(p.eval(hi) == 0) > 0)
    if len(syms) == 2 and sp.Poly(fac, *syms).total_degree() == 1:
        b1, b2 = syms
        if sp.expand(fac - (b1 - b2)) == 0 or sp.expand(fac + (b1 - b2)) == 0:
            return False  # distinct groups never coincide on the region
    return True


def _solve(alg: _CoreAlgebra, pop: object) -> tuple[list[_Sol], list[str]]:
    """Exact real solutions of the reduced system in the open region; undecided components."""
    betas = alg.betas
    knots = pop.knots
    cellrange = {}
    bi = 0
    for g in alg.core.groups:
        if g.where[0] == "cell":
            cellrange[betas[bi]] = (knots[g.where[1]], knots[g.where[1] + 1])
            bi += 1
    # strict order of groups sharing a cell (used to decide positive-dimensional components)
    cellrange["order"] = [(b1, b2) for b1, b2 in itertools.pairwise(betas)
                          if cellrange[b1] == cellrange[b2]]
    # det G > 0 on the open region (G is positive definite there): none of its irreducible
    # factors vanishes there, so ideals may be saturated by them (see _saturate)
    cellrange["nonzero"] = [f for f, _ in sp.factor_list(alg.det)[1] if f.free_symbols]
    eqs = [e for e in alg.eqs if e != 0]
    if not betas:
        if eqs:
            return [], []
        return [_Sol(_Root(sp.Poly(T, T), Fraction(0), Fraction(0)), ())], []
    # Irreducible factors that can vanish on the region, one choice per equation.
    choices = []
    for e in eqs:
        facs = [f for f, _ in sp.factor_list(e)[1] if _region_factor_ok(f, alg, cellrange)]
        if not facs:
            return [], []
        choices.append(facs)
    sols: list[_Sol] = []
    undecided: list[str] = []
    seen = set()
    for combo in itertools.product(*choices) if choices else [()]:
        for s in _solve_system(list(combo), betas, cellrange, undecided):
            key = (s.free, tuple(str(_root_key(s.root, c)) for c in s.coords))
            if key in seen:
                continue
            seen.add(key)
            if _in_region(s, alg, cellrange):
                sols.append(s)
    return sols, undecided


def _root_key(root: _Root, c: sp.Poly) -> object:
    return root.value(c)


def _in_region(s: _Sol, alg: _CoreAlgebra, cellrange: dict) -> bool:
    r = s.root
    for k, b in enumerate(alg.betas):
        if k in s.free:
            continue
        lo, hi = cellrange[b]
        if r.sign(s.coords[k] - r.elem(lo)) <= 0 or r.sign(r.elem(hi) - s.coords[k]) <= 0:
            return False
    # strict order of groups sharing a cell
    idx = {b: k for k, b in enumerate(alg.betas)}
    for b1, b2 in itertools.pairwise(alg.betas):
        if cellrange[b1] != cellrange[b2] or idx[b1] in s.free or idx[b2] in s.free:
            continue
        if r.sign(s.coords[idx[b2]] - s.coords[idx[b1]]) <= 0:
            return False
    return True


def _solve_system(eqs: list[sp.Expr], betas: list[sp.Symbol], cellrange: dict,
                  undecided: list[str]) -> list[_Sol]:
    used = sorted(set().union(*[e.free_symbols for e in eqs]) if eqs else set(),
                  key=lambda b: betas.index(b))
    free = tuple(k for k, b in enumerate(betas) if b not in used)
    zero = sp.Poly(0, T, domain="QQ")
    if not used:
        return [_Sol(_Root(sp.Poly(T, T), Fraction(0), Fraction(0)), tuple(zero for _ in betas),
                     free)]
    out = []
    for root, vals in _tri(eqs, used, cellrange, undecided):
        fr = tuple(sorted(set(free) | {k for k, b in enumerate(betas) if b in vals
                                       and vals[b] is None}))
        out.append(_Sol(root, tuple(vals.get(b) if vals.get(b) is not None else zero
                                    for b in betas), fr))
    return out


def _normal(e: sp.Expr, vs: list[sp.Symbol]) -> sp.Expr:
    p = sp.Poly(e, *vs)
    return p.monic().as_expr() if not p.is_zero else sp.Integer(0)


def _tri(eqs: list[sp.Expr], vs: list[sp.Symbol], cellrange: dict, undecided: list[str]
         ) -> list[tuple[_Root, dict]]:
    """Real solutions (in the cells) of irreducible equations by resultants and back-substitution.

    Each solution is a root rho of an irreducible polynomial (the last variable's factor) and the
    other coordinates as elements of Q(rho), found as the linear gcd of the equations over Q(rho).
    """
    uniq: dict[str, sp.Expr] = {}
    for e in eqs:
        n = _normal(e, vs)
        if n != 0:
            uniq[str(n)] = n
    eqs = list(uniq.values())
    if not eqs:
        undecided.append(f"free variables {vs} with no equation")  # pragma: no cover
        return []
    if len(vs) == 1:
        v = vs[0]
        g = sp.Poly(eqs[0], v)
        for e in eqs[1:]:
            g = sp.gcd(g, sp.Poly(e, v))
        if g.degree() <= 0:
            return []
        out = []
        lo, hi = cellrange[v]
        for fac, _ in sp.factor_list(g.as_expr())[1]:
            fp = sp.Poly(fac.subs(v, T), T, domain="QQ")
            for (rl, rh), _ in fp.intervals():
                if sp.Rational(rh) < lo or sp.Rational(rl) > hi:
                    continue
                root = _Root(fp, _frac(rl), _frac(rh))
                out.append((root, {v: root.elem(T)}))
        return out
    if len(eqs) < len(vs):
        return _posdim(eqs, vs, cellrange, undecided)
    v, rest = vs[0], vs[1:]
    with_v = [e for e in eqs if v in e.free_symbols]
    without = [e for e in eqs if v not in e.free_symbols]
    if not with_v:
        undecided.append(f"{v} free while {rest} are constrained")
        return []
    piv = min(with_v, key=lambda e: (sp.Poly(e, v).degree(), len(str(e))))
    reduced = list(without) + [sp.resultant(piv, e, v) for e in with_v if e is not piv]
    choices = _factor_choices(reduced, cellrange)
    if choices is None:
        return []
    combos = list(itertools.product(*choices))
    if len(choices) < len(rest) or any(len({str(_normal(c, rest)) for c in combo}) < len(rest)
                                       or any(u not in set().union(*[c.free_symbols for c in combo])
                                              for u in rest) for combo in combos):
        # Resultants project each pair separately, and their common factors may be spurious:
        # eliminate exactly with a lex Groebner basis (G cap Q[rest] is the elimination ideal).
        G = sp.groebner(eqs, v, *rest, order="lex")
        if list(G.exprs) == [1]:
            return []
        if not G.is_zero_dimensional:
            return _posdim(list(G.exprs), vs, cellrange, undecided)
        with_v = [e for e in G.exprs if v in e.free_symbols]
        choices = _factor_choices([e for e in G.exprs if v not in e.free_symbols], cellrange)
        if choices is None:
            return []
        # the elimination ideal is zero-dimensional: solve it as one system (no factor choice)
        combos = [tuple(sp.Mul(*c) for c in choices)]
        return _backsub(_tri_gb(list(combos[0]), rest, cellrange, undecided), with_v, v, rest,
                        cellrange, undecided)
    out = []
    for combo in combos:
        out += _backsub(_tri(list(combo), rest, cellrange, undecided), with_v, v, rest, cellrange,
                        undecided)
    return out


def _posdim(eqs: list[sp.Expr], vs: list[sp.Symbol], cellrange: dict, undecided: list[str]
            ) -> list[tuple[_Root, dict]]:
    """A system that is not zero-dimensional: split it along a univariate element of its lex
    basis (only the factors with a zero inside the cell matter: the others are the parts that
    lie outside the region), solve the zero-dimensional pieces, and decide the rest empty or
    report it undecided."""
    S, t = _saturate(eqs, vs, cellrange)
    if list(S.exprs) == [1]:
        return []  # every complex solution has det G = 0 or lies on the region's boundary
    if S.is_zero_dimensional:
        elim = [e for e in S.fglm("lex").exprs if t not in e.free_symbols]
        return _tri_gb(elim, vs, cellrange, undecided)
    G = sp.groebner(eqs, *vs, order="lex")
    if list(G.exprs) == [1]:
        return []
    if G.is_zero_dimensional:
        return _tri_gb(list(G.exprs), vs, cellrange, undecided)
    uni = [e for e in G.exprs if len(e.free_symbols) == 1]
    if uni:
        w = next(iter(uni[0].free_symbols))
        facs = [f for f, _ in sp.factor_list(uni[0])[1] if _region_factor_ok(f, None, cellrange)]
        out = []
        for f in facs:
            G2 = sp.groebner(list(G.exprs) + [f], *vs, order="lex")
            if list(G2.exprs) == [1]:
                continue
            if G2.is_zero_dimensional:
                out += _tri_gb(list(G2.exprs), vs, cellrange, undecided)
            elif not _posdim_empty(list(G2.exprs), vs, cellrange, undecided):
                gens = ", ".join(f"{sp.factor(e)} = 0" for e in G2.exprs)
                undecided.append(f"positive-dimensional component {{{gens}}} in "
                                 f"{', '.join(map(str, vs))} (factor {f} of {w})")
        return out
    if not _posdim_empty(list(G.exprs), vs, cellrange, undecided):
        gens = ", ".join(f"{sp.factor(e)} = 0" for e in G.exprs)
        undecided.append(f"positive-dimensional component {{{gens}}} in {', '.join(map(str, vs))}")
    return []


def _saturate(eqs: list[sp.Expr], vs: list[sp.Symbol], cellrange: dict
              ) -> tuple[sp.GroebnerBasis, sp.Dummy]:
    """A grevlex basis of (eqs, t D - 1) in (t, vs): the saturation of (eqs) by D.

    D is the product of the polynomials in ``vs`` that cannot vanish on the open region: the
    irreducible factors of det G (positive there), b - lo and hi - b for every breakpoint and
    b2 - b1 for consecutive groups in one cell. Eliminating t gives I : D^infinity, whose
    variety is the closure of V(I) minus V(D); it has the same points in the open region as
    V(I). The basis is [1] when every complex solution of eqs lies where D = 0.
    """
    facs = [f for f in cellrange.get("nonzero", ()) if f.free_symbols <= set(vs)]
    for b in vs:
        lo, hi = cellrange[b]
        facs += [b - lo, hi - b]
    facs += [b2 - b1 for b1, b2 in cellrange.get("order", []) if b1 in vs and b2 in vs]
    uniq = {str(_normal(f, vs)): f for f in facs}
    t = sp.Dummy("t")
    D = sp.Mul(*uniq.values())
    return sp.groebner(list(eqs) + [sp.expand(t * D - 1)], t, *vs, order="grevlex"), t


def _posdim_empty(eqs: list[sp.Expr], vs: list[sp.Symbol], cellrange: dict,
                  undecided: list[str]) -> bool:
    """True when a positive-dimensional solution set provably misses the open region.

    Two exact tests: (1) the linear equations of the lex Groebner basis, substituted into the
    strict cell and order constraints, leave them infeasible (exact Fourier-Motzkin over Q);
    (2) for a suffix S of the variables the elimination ideal (the basis elements in S alone) is
    zero-dimensional and none of its real solutions lies in the cells in the right order.
    """
    if list(_saturate(eqs, vs, cellrange)[0].exprs) == [1]:
        return True
    G = sp.groebner(eqs, *vs, order="lex")
    if list(G.exprs) == [1]:
        return True
    lin = [e for e in G.exprs if sp.Poly(e, *vs).total_degree() == 1]
    strict = []
    for b in vs:
        lo, hi = cellrange[b]
        strict += [b - lo, hi - b]
    strict += [b2 - b1 for b1, b2 in cellrange.get("order", []) if b1 in vs and b2 in vs]
    if lin:
        sol = sp.linsolve(lin, *vs)
        if sol == sp.EmptySet:
            return True
        point = next(iter(sol))
        strict = [sp.expand(e.xreplace(dict(zip(vs, point, strict=True)))) for e in strict]
    if not _strict_feasible(strict):
        return True
    # elimination ideals: the suffixes of the lex order come with G; for the other subsets the
    # equations that involve S alone (their ideal contains nothing more, but if it is already
    # zero-dimensional without solutions in the region, so is the component)
    for k in range(len(vs) - 1, 0, -1):
        for S in itertools.combinations(vs, k):
            others = [u for u in vs if u not in S]
            E = [e for e in list(G.exprs) + list(eqs) if not (e.free_symbols & set(others))]
            if not E or not sp.groebner(E, *S, order="lex").is_zero_dimensional:
                continue
            sub_und: list[str] = []
            sols = _tri_gb(E, list(S), cellrange, sub_und)
            ok = []
            for root, vals in sols:
                good = True
                for b1, b2 in cellrange.get("order", []):
                    if b1 in vals and b2 in vals and root.sign(vals[b2] - vals[b1]) <= 0:
                        good = False
                for b in S:
                    lo, hi = cellrange[b]
                    if root.sign(vals[b] - root.elem(lo)) <= 0 or root.sign(root.elem(hi) - vals[b]) <= 0:
                        good = False
                if good:
                    ok.append(1)
            if not ok and not sub_und:
                return True
    return False


def _strict_feasible(exprs: list[sp.Expr]) -> bool:
    """Exact Fourier-Motzkin: is there a point where every affine expression is > 0?"""
    cons = []
    for e in exprs:
        e = sp.expand(e)
        syms = sorted(e.free_symbols, key=str)
        if not syms:
            if e <= 0:
                return False
            continue
        p = sp.Poly(e, *syms)
        cons.append(({v: p.coeff_monomial(v) for v in syms}, p.coeff_monomial(1)))
    while cons:
        v = next(iter(cons[0][0]))
        pos = [c for c in cons if c[0].get(v, 0) > 0]
        neg = [c for c in cons if c[0].get(v, 0) < 0]
        new = [c for c in cons if c[0].get(v, 0) == 0]
        for cp in pos:
            for cn in neg:
                ap, an = cp[0][v], -cn[0][v]
                coeffs = {}
                for u in set(cp[0]) | set(cn[0]):
                    if u == v:
                        continue
                    val = cp[0].get(u, 0) / ap + cn[0].get(u, 0) / an
                    if val != 0:
                        coeffs[u] = val
                const = cp[1] / ap + cn[1] / an
                if not coeffs:
                    if const <= 0:
                        return False
                    continue
                new.append((coeffs, const))
        cons = [c for c in new if c[0]]
    return True


def _factor_choices(polys: list[sp.Expr], cellrange: dict) -> list[list[sp.Expr]] | None:
    choices = []
    for r in polys:
        r = sp.expand(r)
        if r == 0:
            continue
        facs = [f for f, _ in sp.factor_list(r)[1] if _region_factor_ok(f, None, cellrange)]
        if not facs:
            return None
        choices.append(facs)
    return choices


def _tri_gb(eqs: list[sp.Expr], vs: list[sp.Symbol], cellrange: dict, undecided: list[str]
            ) -> list[tuple[_Root, dict]]:
    """Like _tri for a zero-dimensional system given as the generators of an elimination ideal."""
    if len(vs) == 1:
        return _tri(eqs, vs, cellrange, undecided)
    G = sp.groebner(eqs, *vs, order="lex")
    if list(G.exprs) == [1]:
        return []
    v, rest = vs[0], vs[1:]
    with_v = [e for e in G.exprs if v in e.free_symbols]
    choices = _factor_choices([e for e in G.exprs if v not in e.free_symbols], cellrange)
    if choices is None:
        return []
    return _backsub(_tri_gb([sp.Mul(*c) for c in choices], rest, cellrange, undecided), with_v,
                    v, rest, cellrange, undecided)


def _backsub(partial: list[tuple[_Root, dict]], with_v: list[sp.Expr], v: sp.Symbol,
             rest: list[sp.Symbol], cellrange: dict, undecided: list[str]
             ) -> list[tuple[_Root, dict]]:
    """Extend solutions in ``rest`` by the common roots in v of ``with_v`` (gcd over Q(rho))."""
    out = []
    seen = set()
    for root, vals in partial:
        if any(vals[u] is None for u in rest):
            if any(vals[u] is None and u in e.free_symbols for u in rest for e in with_v):
                undecided.append(f"{v} over a family with free {[u for u in rest if vals[u] is None]}")
                continue
        if root.deg > MAX_FIELD_DEGREE:
            undecided.append(f"back-substitution of {v} over a root of degree {root.deg} > "
                             f"{MAX_FIELD_DEGREE}: not attempted")
            continue
        sub = {u: vals[u].as_expr() for u in rest if vals[u] is not None}
        g = None
        for e in with_v:
            coeffs = [root.elem(sp.expand(c.xreplace(sub)))
                      for c in sp.Poly(e, v).all_coeffs()]
            g = coeffs if g is None else _fgcd(g, coeffs, root)
        g = _fstrip(g, root)
        if not g:  # every equation vanishes: v is free in its cell over this point (a family)
            vals2 = dict(vals)
            vals2[v] = None
            out.append((root, vals2))
            continue
        if len(g) < 2:
            continue
        if len(g) == 2:
            ext = [(root, vals, root.mul(-g[1], root.inv(g[0])))]
        else:
            ext = _extend(root, vals, g, cellrange[v], undecided)
        for r2, vals2, val in ext:
            k2 = (str(r2.m), r2.lo, r2.hi, tuple(str(vals2[u]) for u in rest), str(val))
            if k2 in seen:
                continue
            seen.add(k2)
            vals2 = dict(vals2)
            vals2[v] = val
            out.append((r2, vals2))
    return out


def _extend(root: _Root, vals: dict, g: list[sp.Poly], cell: tuple, undecided: list[str]
            ) -> list[tuple[_Root, dict, sp.Poly]]:
    """Real roots v of g (coefficients in Q(rho)) as elements of a primitive field Q(tau).

    tau = v + lam rho is a root of N(tau) = Res_s(m(s), g(tau - lam s; s)); for each real root tau
    of an irreducible factor of N, rho' = the linear gcd of m(s) and g(tau - lam s; s) over Q(tau);
    the pair is kept when rho' is our rho (it lies in rho's isolating interval). Extensions of
    degree above :data:`MAX_PRIMITIVE_DEGREE` are reported undecided instead.
    """
    size = root.deg * (len(g) - 1)
    if size > MAX_PRIMITIVE_DEGREE:
        undecided.append(f"back-substitution needs a primitive element of degree up to {size} "
                         f"(root of degree {root.deg}, gcd of degree {len(g) - 1}) > "
                         f"{MAX_PRIMITIVE_DEGREE}: not attempted")
        return []
    S, V = sp.Dummy("s"), sp.Dummy("v")
    gexpr = sum(c.as_expr().subs(T, S) * V ** (len(g) - 1 - k) for k, c in enumerate(g))
    mS = root.m.as_expr().subs(T, S)
    for lam in (1, 2, 3, 5, 7):
        N = sp.Poly(sp.resultant(mS, sp.expand(gexpr.subs(V, T - lam * S)), S), T)
        if N.is_zero:
            continue
        out = []
        ok = True
        for fac, _ in sp.factor_list(N.as_expr())[1]:
            fp = sp.Poly(fac, T, domain="QQ")
            if fp.degree() <= 0:
                continue
            for (rl, rh), _ in fp.intervals():
                tau = _Root(fp, _frac(rl), _frac(rh))
                a = [tau.elem(c) for c in sp.Poly(mS, S).all_coeffs()]
                b = [tau.elem(sp.expand(c)) for c in
                     sp.Poly(sp.expand(gexpr.subs(V, T - lam * S)), S).all_coeffs()]
                h = _fgcd(a, b, tau)
                if len(h) != 2:
                    ok = False
                    break
                rho2 = tau.mul(-h[1], tau.inv(h[0]))
                # is rho2 our rho?  It is a root of m: compare with rho's isolating interval.
                if tau.sign(rho2 - tau.elem(root.lo)) < 0 or tau.sign(tau.elem(root.hi) - rho2) < 0:
                    continue
                if root.deg == 1 and not tau.is_zero(rho2 - tau.elem(root.lo)):
                    continue
                vnew = (tau.elem(T) - tau.mul(tau.elem(lam), rho2)).rem(tau.m)
                if tau.sign(vnew - tau.elem(cell[0])) <= 0 or tau.sign(tau.elem(cell[1]) - vnew) <= 0:
                    continue
                conv = {u: tau.elem(sp.expand(q.as_expr().subs(T, rho2.as_expr())))
                        for u, q in vals.items()}
                out.append((tau, conv, vnew))
            if not ok:
                break
        if ok:
            return out
    undecided.append("no primitive element found for an algebraic extension")  # pragma: no cover
    return []


def _fstrip(p: list[sp.Poly], root: _Root) -> list[sp.Poly]:
    k = 0
    while k < len(p) and root.is_zero(p[k]):
        k += 1
    return [q.rem(root.m) for q in p[k:]]


def _fgcd(a: list[sp.Poly], b: list[sp.Poly], root: _Root) -> list[sp.Poly]:
    """gcd of two polynomials (coefficient lists, highest first) over Q(rho)."""
    a, b = _fstrip(a, root), _fstrip(b, root)
    while b:
        if len(a) < len(b):
            a, b = b, a
            continue
        # a <- a mod b
        inv = root.inv(b[0])
        while len(a) >= len(b) and a:
            f = root.mul(a[0], inv)
            for k in range(len(b)):
                a[k] = (a[k] - root.mul(f, b[k])).rem(root.m)
            a = _fstrip(a, root)
        a, b = b, a
    return a


# ====================================================================== records
@dataclass(frozen=True)
class FamilyPiece:
    """Part of a family where the type is constant: its extra conditions, type and reason."""

    conditions: tuple[str, ...]
    kind: str
    reason: str


@dataclass(frozen=True)
class PopulationCritical:
    """A critical point or a family of critical points of L_pop, up to permutation of units.

    ``point`` is an exact representative (beta1..betaH, mu1..muH, c) with orientations ``s``;
    ``equalities``/``inequalities`` describe the family (empty for an isolated point);
    ``dimension`` its dimension; ``pieces`` split it where the type changes.
    """

    config: str
    s: tuple[int, ...]
    point: tuple[sp.Expr, ...]
    point_float: tuple[float, ...]
    dimension: int
    equalities: tuple[str, ...]
    inequalities: tuple[str, ...]
    loss: sp.Expr
    loss_float: float
    kind: str
    reason: str
    pieces: tuple[FamilyPiece, ...]
    dead_units: int

    @property
    def family(self) -> bool:
        return self.dimension > 0


@dataclass(frozen=True)
class PopulationCriticalReport:
    """Every critical point and family at width H, the undecided remainder and counts."""

    H: int
    items: tuple[PopulationCritical, ...]
    undecided: tuple[str, ...]
    configurations: int
    seconds: float

    @property
    def complete(self) -> bool:
        """True when nothing was left undecided (every component solved and classified)."""
        return not self.undecided and all(
            p.kind != KIND_UNDECIDED and all(q.kind != KIND_UNDECIDED for q in p.pieces)
            for p in self.items)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.items:
            out[p.kind] = out.get(p.kind, 0) + 1
        return out


# ====================================================================== lifting and classification
def _orient(s: int) -> str:
    return "+" if s > 0 else "-"


@dataclass
class _Unit:
    kind: str          # "I", "F", "D"
    s: int
    group: int = -1
    nz: bool = False


def _classify_core(pop: object, alg: _CoreAlgebra, sol: _Sol, theta: list[sp.Poly],
                   lossv: sp.Poly, rcells: list[tuple]) -> tuple[str, str]:
    """Type of the core point (interior units only, F units merged into the affine part)."""
    root = sol.root
    if root.is_zero(lossv):
        return KIND_GLOBAL, "L = 0 and L >= 0 everywhere"
    # mu = 0 members: saddle unless r vanishes identically next to their breakpoint.
    for gi, g in enumerate(alg.core.groups):
        zero_here = any(not nz for _, nz in g.members) or _group_coeff_zero(alg, gi, theta, root)
        if zero_here and not _r_zero_near(alg, gi, rcells, root):
            return KIND_SADDLE, (f"a unit of group {gi + 1} has mu = 0 and r is not identically "
                                 "zero next to its breakpoint: int [s(x - beta')]_+ r p takes both "
                                 "signs near it, so a small mu of the right sign lowers L")
    if any(len(g.members) > 1 for g in alg.core.groups):
        return KIND_UNDECIDED, "tied breakpoints: classified by the tie rule when it applies"
    cell_groups = [gi for gi, g in enumerate(alg.core.groups) if g.where[0] == "cell"]
    free_groups = {cell_groups[k] for k in sol.free}
    if free_groups and not all(not alg.core.groups[gi].nz_orients for gi in free_groups):
        return KIND_UNDECIDED, "free breakpoints of units with a nonzero slope jump"
    inert = _core_inertia(pop, alg, sol, theta, exclude=free_groups)
    if free_groups:
        # mu = 0 on the free units: the rest of the Hessian does not depend on where they sit,
        # and a negative eigenvalue of a principal submatrix is one of the whole (interlacing)
        if inert[1] > 0:
            return KIND_SADDLE, (f"exact Hessian of the core without the free mu = 0 units has "
                                 f"{inert[1]} negative eigenvalue(s) (interlacing)")
        return KIND_UNDECIDED, "free mu = 0 units next to a residual that vanishes identically"
    if inert[1] > 0:
        return KIND_SADDLE, f"exact Hessian of the core has {inert[1]} negative eigenvalue(s)"
    if inert[2] == 0:
        return KIND_STRICT_MIN, "exact Hessian of the core is positive definite"
    return KIND_UNDECIDED, (f"exact Hessian of the core is positive semidefinite with {inert[2]} "
                            "zero eigenvalue(s): second order is inconclusive")


def _group_coeff_zero(alg: _CoreAlgebra, gi: int, theta: list[sp.Poly], root: _Root) -> bool:
    for k, b in enumerate(alg.basis):
        if b[0] == "h" and b[1][0] == gi:
            g = alg.core.groups[gi]
            return len(g.members) == 1 and root.is_zero(theta[k])
    return False


def _r_zero_near(alg: _CoreAlgebra, gi: int, rcells: list[tuple], root: _Root) -> bool:
    """r vanishes identically on both cells next to group gi."""
    e = alg.events.index(("g", gi))
    near = [c for c in rcells if c[3] in (e - 1, e)]
    return all(all(root.is_zero(q) for q in c[4]) for c in near)


def _core_inertia(pop: object, alg: _CoreAlgebra, sol: _Sol, theta: list[sp.Poly],
                  exclude: set | None = None) -> tuple[int, int, int]:
    """Inertia of the Hessian of the core loss in (c, A, beta_g, mu_g) at the point (no ties);
    the coordinates of the groups in ``exclude`` are left out (a principal submatrix)."""
    exclude = exclude or set()
    root = sol.root
    C0, A = sp.Symbol("C0"), sp.Symbol("A")
    mus = [sp.Symbol(f"m{gi + 1}") for gi in range(len(alg.core.groups))]
    params = [C0] + ([A] if alg.core.affine else [])
    for gi, g in enumerate(alg.core.groups):
        if gi in exclude:
            continue
        if g.where[0] == "cell":
            params.append(alg.pos[gi])
        params.append(mus[gi])
    targ, dens = pop.target, pop.density
    Lc = sp.Integer(0)
    for lo, hi, j, ce in alg.cells:
        f = C0 + (A * X if alg.core.affine else 0)
        for gi, g in enumerate(alg.core.groups):
            s = g.members[0][0]
            right = alg.events.index(("g", gi)) <= ce
            if s > 0 and right:
                f += mus[gi] * (X - alg.pos[gi])
            elif s < 0 and not right:
                f += mus[gi] * (alg.pos[gi] - X)
        anti = sp.Poly(sp.expand((f - targ[j]) ** 2), X).integrate().as_expr()
        Lc += dens[j] * (anti.subs(X, hi) - anti.subs(X, lo))
    Lc = sp.expand(Lc / 2)
    Hs = sp.hessian(Lc, params)
    # values: C0 and A from theta; m_g from theta (0 for Z units); betas from sol
    sub = {}
    k = 0
    for b in alg.basis:
        if b[0] == "1":
            sub[C0] = theta[k].as_expr()
        elif b[0] == "x":
            sub[A] = theta[k].as_expr()
        else:
            sub[mus[b[1][0]]] = theta[k].as_expr()
        k += 1
    for gi in range(len(alg.core.groups)):
        sub.setdefault(mus[gi], sp.Integer(0))
    reps = _representatives(pop, alg, sol)
    for kk, b in enumerate(alg.betas):
        sub[b] = reps[b] if kk in sol.free else sol.coords[kk].as_expr()
    n = Hs.shape[0]
    M = sp.Matrix(n, n, lambda i, j: root.elem(sp.expand(Hs[i, j].xreplace(sub))).as_expr())
    coeffs = [root.elem(sp.expand(c)) for c in M.charpoly().all_coeffs()]
    signs = [root.sign(c) for c in coeffs]
    return _descartes(signs)


def _descartes(signs: list[int]) -> tuple[int, int, int]:
    n = len(signs) - 1
    zero = 0
    while zero < n and signs[n - zero] == 0:
        zero += 1
    core = signs[: n - zero + 1]
    nzs = [s for s in core if s != 0]
    pos = sum(1 for a, b in itertools.pairwise(nzs) if a != b)
    deg = len(core) - 1
    alt = [s * (-1) ** (deg - j) for j, s in enumerate(core) if s != 0]
    neg = sum(1 for a, b in itertools.pairwise(alt) if a != b)
    return pos, neg, zero


# ====================================================================== evaluation at a solution
@dataclass
class _Point:
    root: _Root
    theta: list[sp.Poly]
    loss: sp.Poly
    rcells: list[tuple]          # (lo, hi, j, event, [r coefficients, ascending powers])
    betas: dict                  # beta symbol -> field element (free ones: representatives)


def _at(root: _Root, expr: sp.Expr, vals: dict, powers: dict) -> sp.Poly:
    """A polynomial with rational coefficients in the symbols of ``vals`` at those field elements.

    Evaluated term by term in Q(rho) with the powers of every value cached in ``powers`` and
    reduced mod m: substituting the elements as expressions and expanding is exponentially
    slower when rho has a high degree.
    """
    expr = sp.expand(expr)
    syms = [b for b in vals if b in expr.free_symbols]
    if not syms:
        return root.elem(expr)
    out = root.elem(0)
    for monom, coeff in sp.Poly(expr, *syms).terms():
        term = root.elem(coeff)
        for b, k in zip(syms, monom, strict=True):
            if not k:
                continue
            if (b, k) not in powers:
                acc = root.elem(1)
                for kk in range(1, k + 1):
                    if (b, kk) not in powers:
                        powers[(b, kk)] = root.mul(acc, vals[b])
                    acc = powers[(b, kk)]
            term = root.mul(term, powers[(b, k)])
        out = out + term
    return out.rem(root.m)


def _evaluate(pop: object, alg: _CoreAlgebra, sol: _Sol, reps: dict) -> _Point:
    root = sol.root
    sub = {}
    for k, b in enumerate(alg.betas):
        sub[b] = reps[b] if k in sol.free else sol.coords[k].as_expr()
    vals = {b: root.elem(v) for b, v in sub.items()}
    powers: dict = {}
    det = _at(root, alg.det, vals, powers)
    dinv = root.inv(det)
    theta = [root.mul(_at(root, a, vals, powers), dinv) for a in alg.adjh]
    hv = [_at(root, a, vals, powers) for a in alg.h]
    gg = sp.Integer(0)
    for lo, hi, j, _ in alg.cells:
        anti = sp.Poly(sp.expand(pop.target[j] ** 2), X).integrate().as_expr()
        gg += pop.density[j] * (anti.subs(X, hi) - anti.subs(X, lo))
    gg = _at(root, gg, vals, powers)
    th_h = sum((root.mul(a, b) for a, b in zip(theta, hv, strict=True)), root.elem(0))
    loss = ((gg - th_h) * root.elem(sp.Rational(1, 2))).rem(root.m)
    # r on every cell as a polynomial in x with field coefficients (ascending powers)
    rcells = []
    for lo, hi, j, ce in alg.cells:
        tq = sp.Poly(pop.target[j], X)
        deg = max(1, tq.degree())
        coeffs = [root.elem(-c) for c in reversed(tq.all_coeffs())]
        coeffs += [root.elem(0)] * (deg + 1 - len(coeffs))
        for k, b in enumerate(alg.basis):
            if b[0] == "1":
                coeffs[0] = coeffs[0] + theta[k]
            elif b[0] == "x":
                coeffs[1] = coeffs[1] + theta[k]
            else:
                gi, s = b[1]
                right = alg.events.index(("g", gi)) <= ce
                if (s > 0 and right) or (s < 0 and not right):
                    pv = root.mul(theta[k], _at(root, alg.pos[gi], vals, powers))
                    # s > 0: theta (x - pos); s < 0: theta (pos - x)
                    coeffs[0] = coeffs[0] - pv if s > 0 else coeffs[0] + pv
                    coeffs[1] = coeffs[1] + theta[k] if s > 0 else coeffs[1] - theta[k]
        while len(coeffs) > 1 and root.is_zero(coeffs[-1]):
            coeffs.pop()
        coeffs = [c.rem(root.m) for c in coeffs]
        rcells.append((_at(root, lo, vals, powers), _at(root, hi, vals, powers), j, ce, coeffs))
    return _Point(root, theta, loss, rcells, {b: root.elem(v) for b, v in sub.items()})


def _r_at(pt: _Point, which: str) -> sp.Poly:
    """r at the support end a ('a', from the right) or b ('b', from the left)."""
    cell = pt.rcells[0] if which == "a" else pt.rcells[-1]
    x0 = cell[0] if which == "a" else cell[1]
    root = pt.root
    val = root.elem(0)
    pw = root.elem(1)
    for c in cell[4]:
        val = (val + root.mul(c, pw)).rem(root.m)
        pw = root.mul(pw, x0)
    return val


def _r_zero_end(pt: _Point, which: str) -> bool:
    cell = pt.rcells[0] if which == "a" else pt.rcells[-1]
    return all(pt.root.is_zero(c) for c in cell[4])


def _int_r_from(pt: _Point, alg: _CoreAlgebra, event: int, dens: Sequence) -> sp.Poly:
    """int_{event}^b r p dx at the point (exact)."""
    root = pt.root
    tot = root.elem(0)
    for lo, hi, j, ce, coeffs in pt.rcells:
        if ce < event:
            continue
        for k, c in enumerate(coeffs):
            if root.is_zero(c):
                continue
            hp, lp = root.elem(1), root.elem(1)
            for _ in range(k + 1):
                hp, lp = root.mul(hp, hi), root.mul(lp, lo)
            term = root.mul(c, hp - lp) * sp.Rational(1, k + 1)
            tot = (tot + root.elem(term.as_expr()) * dens[j]).rem(root.m)
    return tot


# ====================================================================== the enumeration
def _compositions(rest: int, full: bool) -> list[tuple[int, int, int, int]]:
    out = []
    for fp in range(rest + 1):
        for fm in range(rest + 1 - fp):
            for dp in range(rest + 1 - fp - fm):
                dm = rest - fp - fm - dp
                if (fp + fm > 0) == full:
                    out.append((fp, fm, dp, dm))
    return out


def _fmt(v: sp.Expr) -> str:
    return str(v)


def population_critical_set(pop: object, H: int, *,
                            progress: Callable[[int, int], None] | None = None
                            ) -> PopulationCriticalReport:
    """Every critical point and family of L_pop at width H (up to unit permutation), classified.

    See the module docstring for the method (variable projection, exact elimination, exact
    algebraic numbers) and the classification rules. ``progress(done, total)`` is called after
    every core configuration.

    Raises
    ------
    InputError
        If H is not a positive integer or the density vanishes on a cell.
    SizeError
        If H exceeds :data:`MAX_H`, the target degree :data:`MAX_TARGET_DEGREE` or the number
        of cells :data:`MAX_CELLS`.
    """
    if not isinstance(H, int) or isinstance(H, bool) or H < 1:
        raise InputError(f"width must be a positive integer, got {H!r}")
    if H > MAX_H:
        raise SizeError(f"population critical points are enumerated up to width {MAX_H}, got {H}")
    deg = max(sp.Poly(g, X).degree() for g in pop.target)
    if deg > MAX_TARGET_DEGREE or len(pop.knots) - 1 > MAX_CELLS:
        raise SizeError(f"population critical sets are enumerated for targets of degree <= "
                        f"{MAX_TARGET_DEGREE} on at most {MAX_CELLS} cells, got degree {deg} on "
                        f"{len(pop.knots) - 1} cells (the reduced systems grow too fast)")
    if any(d == 0 for d in pop.density):
        raise InputError("population critical points need a density that is positive on every "
                         "cell of its support")
    t0 = time.perf_counter()
    K = len(pop.knots) - 1
    cores = []
    for n in range(H + 1):
        for full in (False, True):
            if full and n == H:
                continue
            if not full and n == 0 and H > 0 and not _compositions(H, False):
                continue
            for gs in _groups_enum(n, K):
                core = Core(full, gs)
                if not any(_redundant(g, core.affine) for g in gs):
                    cores.append(core)
    items: list[PopulationCritical] = []
    undecided: list[str] = []
    for done, core in enumerate(cores, 1):
        alg = _build_core(pop, core)
        sols, und = _solve(alg, pop)
        undecided += [f"{_core_text(core)}: {u}" for u in und]
        for sol in sols:
            items += _lift_all(pop, alg, sol, H)
        if progress is not None:
            progress(done, len(cores))
    items.sort(key=lambda p: (p.loss_float, p.config))
    return PopulationCriticalReport(H, tuple(items), tuple(undecided), len(cores),
                                    time.perf_counter() - t0)


def _redundant(g: Group, affine: bool) -> bool:
    """A mu = 0 member tied to an NZ member whose family already contains it (its sum is free)."""
    for s, nz in g.members:
        if not nz and ((s, True) in g.members or (affine and g.nz_orients)):
            return True
    return False


def _core_text(core: Core) -> str:
    parts = []
    for g in core.groups:
        mem = "".join(_orient(s) + ("" if nz else "0") for s, nz in g.members)
        where = f"cell {g.where[1] + 1}" if g.where[0] == "cell" else f"knot t{g.where[1]}"
        parts.append(f"[{mem} in {where}]")
    return ("affine + " if core.full else "") + (" ".join(parts) if parts else "no interior unit")


def _representatives(pop: object, alg: _CoreAlgebra, sol: _Sol) -> dict:
    """Rational representative positions for free breakpoints (evenly inside their gaps)."""
    reps = {}
    if not sol.free:
        return reps
    root = sol.root
    for k, b in enumerate(alg.betas):
        if k not in sol.free:
            continue
        gi = [i for i, g in enumerate(alg.core.groups) if g.where[0] == "cell"][k]
        j = alg.core.groups[gi].where[1]
        lo, hi = pop.knots[j], pop.knots[j + 1]
        # neighbours in the same cell bound the choice
        for kk, bb in enumerate(alg.betas):
            if kk == k:
                continue
            g2 = [i for i, g in enumerate(alg.core.groups) if g.where[0] == "cell"][kk]
            if alg.core.groups[g2].where != ("cell", j):
                continue
            val = reps.get(bb)
            if val is None and kk not in sol.free:
                val = sp.nsimplify(root.floatval(sol.coords[kk]), rational=True)
            if val is None:
                continue
            if g2 < gi:
                lo = max(lo, val)
            else:
                hi = min(hi, val)
        n_here = 1
        reps[b] = lo + (hi - lo) * sp.Rational(1, 2 * n_here)
    return reps


def _lift_all(pop: object, alg: _CoreAlgebra, sol: _Sol, H: int) -> list[PopulationCritical]:
    core = alg.core
    reps = _representatives(pop, alg, sol)
    pt = _evaluate(pop, alg, sol, reps)
    root = pt.root
    # NZ single members with a zero coefficient are the Z configuration's points: skip here.
    for k, b in enumerate(alg.basis):
        if b[0] == "h":
            g = core.groups[b[1][0]]
            if len(g.members) == 1 and root.is_zero(pt.theta[k]):
                return []
    # Same-orientation Z ties whose beta-equation holds lie in the NZ tie family with sum 0.
    for gi, g in enumerate(core.groups):
        if not g.nz_orients and len(g.members) >= 2 and len(g.orients) == 1:
            if root.is_zero(_int_r_from(pt, alg, alg.events.index(("g", gi)), pop.density)):
                return []
    ckind, creason = _classify_core(pop, alg, sol, pt.theta, pt.loss, pt.rcells)
    tie_pieces = None
    if ckind == KIND_UNDECIDED and "tied" in creason:
        tie_pieces = _tie_rule(pop, alg, sol, pt)
    out = []
    for comp in _compositions(H - core.n_units, core.full):
        out.append(_item(pop, alg, sol, pt, comp, ckind, creason, tie_pieces))
    return out


def _tie_rule(pop: object, alg: _CoreAlgebra, sol: _Sol, pt: _Point) -> list | None:
    """Pieces for one tie of two same-orientation NZ members (see the module docstring)."""
    core = alg.core
    ties = [gi for gi, g in enumerate(core.groups) if len(g.members) > 1]
    if len(ties) != 1:
        return None
    gi = ties[0]
    g = core.groups[gi]
    if len(g.members) != 2 or g.members[0] != g.members[1] or not g.members[0][1]:
        return None
    root = pt.root
    k = next(k for k, b in enumerate(alg.basis) if b[0] == "h" and b[1][0] == gi)
    M = pt.theta[k]
    if root.is_zero(M):
        return None
    # merged core: the same configuration with one member
    merged = Core(core.full, tuple(Group(gg.where, gg.members[:1]) if i == gi else gg
                                   for i, gg in enumerate(core.groups)))
    malg = _build_core(pop, merged)
    mkind, mreason = _classify_core(pop, malg, sol, pt.theta, pt.loss, pt.rcells)
    # r at the tie: the value of r at the left end of the cell right of the group
    e = alg.events.index(("g", gi))
    cell = next(c for c in pt.rcells if c[3] == e)
    rb = root.elem(0)
    pw = root.elem(1)
    for cf in cell[4]:
        rb = (rb + root.mul(cf, pw)).rem(root.m)
        pw = root.mul(pw, cell[0])
    srM = root.sign(rb) * root.sign(M)
    if srM == 0:
        return None
    same, other = ("m1*m2 > 0", "m1*m2 < 0") if srM > 0 else ("m1*m2 < 0", "m1*m2 > 0")
    split = "split term (1/2) r(beta) p(beta) (m1 m2 / M) (d1 - d2)^2"
    if mkind == KIND_SADDLE:
        # the merged point's descent direction lifts: both tied units move together with their
        # slopes in fixed ratio, so the split function equals the merged one along it
        why = f"merged point: {mkind} ({mreason}); its descent direction lifts to the tie"
        return [(same, KIND_SADDLE, why), (other, KIND_SADDLE, why),
                ("m1*m2 = 0", KIND_SADDLE, "a tied unit has mu = 0 and r(beta) != 0 (mu = 0 rule)")]
    # the split-term formula is a hand derivation checked numerically in the tests, not an
    # engine proof: the reason says so
    why = (f"merged point: {mkind} ({mreason}); {split} (formula tested numerically, not proved "
           "by the engine)")
    return [(same, KIND_MIN if mkind == KIND_STRICT_MIN else KIND_UNDECIDED, why),
            (other, KIND_SADDLE, why),
            ("m1*m2 = 0", KIND_SADDLE, "a tied unit has mu = 0 and r(beta) != 0 (mu = 0 rule)")]


def _item(pop: object, alg: _CoreAlgebra, sol: _Sol, pt: _Point, comp: tuple[int, int, int, int],
          ckind: str, creason: str, tie_pieces: list | None) -> PopulationCritical:
    core, root = alg.core, pt.root
    a, b = pop.knots[0], pop.knots[-1]
    fp, fm, dp, dm = comp
    E = root.elem
    coef = {}
    for k, bb in enumerate(alg.basis):
        coef[bb[0] if bb[0] != "h" else ("h", bb[1][0])] = pt.theta[k]
    C0 = coef["1"]
    A = coef.get("x", E(0))
    units = []   # (kind, s, beta elem, mu elem, group or None)
    eqs: list[str] = []
    ineqs: list[str] = []
    mixed = []
    free_groups = set()
    bi = 0
    for gi, g in enumerate(core.groups):
        if g.where[0] == "cell":
            bsym = alg.betas[bi]
            if bi in sol.free:
                free_groups.add(gi)
            bi += 1
            beta = pt.betas[bsym]
        else:
            beta = E(pop.knots[g.where[1]])
        nzo = g.nz_orients
        m = coef.get(("h", gi), E(0))
        first = len(units)
        mus = [E(0)] * len(g.members)
        if len(nzo) == 1:
            idx = [k for k, (s, nz) in enumerate(g.members) if nz]
            if not root.is_zero(m):
                share = root.mul(m, E(sp.Rational(1, len(idx))))
                for k in idx:
                    mus[k] = share
            elif len(idx) >= 2:
                mus[idx[0]], mus[idx[1]] = E(1), E(-1)
        elif len(nzo) == 2:
            kp = next(k for k, (s, nz) in enumerate(g.members) if nz and s > 0)
            km = next(k for k, (s, nz) in enumerate(g.members) if nz and s < 0)
            mus[kp] = m
            mixed.append((gi, first + kp, first + km, beta, m))
        for k, (s, nz) in enumerate(g.members):
            units.append(["I", s, beta, mus[k], gi, nz])
    for s, n in ((1, fp), (-1, fm)):
        for _ in range(n):
            units.append(["F", s, E(a - 1 if s > 0 else b + 1), E(0), None, True])
    for s, n in ((1, dp), (-1, dm)):
        for _ in range(n):
            units.append(["D", s, E(b + 1 if s > 0 else a - 1), E(0), None, True])
    F_idx = [k for k, u in enumerate(units) if u[0] == "F"]
    c = C0
    if core.affine:
        if F_idx:
            k = F_idx[0]
            units[k][3] = root.mul(E(units[k][1]), A)
        else:  # a mixed tie carries the slope: -M_minus = A
            gi, kp, km, beta, m = mixed[0]
            units[km][3] = (-A).rem(root.m)
            units[kp][3] = (m + A).rem(root.m)
    for k in F_idx:
        c = (c + root.mul(E(units[k][1]), root.mul(units[k][3], units[k][2]))).rem(root.m)
    for _, _, km, beta, _ in mixed:
        c = (c - root.mul(units[km][3], beta)).rem(root.m)
    H = len(units)
    n = [str(k + 1) for k in range(H)]
    # ---- description
    for k, u in enumerate(units):
        kind, s = u[0], u[1]
        if kind == "I":
            g = core.groups[u[4]]
            if u[4] in free_groups:
                j = g.where[1]
                ineqs.append(f"{pop.knots[j]} < beta{n[k]} < {pop.knots[j + 1]}")
            else:
                eqs.append(f"beta{n[k]} = {root.value(u[2])}")
        elif kind == "F":
            ineqs.append(f"beta{n[k]} <= {a}" if s > 0 else f"beta{n[k]} >= {b}")
        else:
            ineqs.append(f"beta{n[k]} >= {b}" if s > 0 else f"beta{n[k]} <= {a}")
    # order of free breakpoints sharing a cell and ties
    for gi, g in enumerate(core.groups):
        mem = [k for k, u in enumerate(units) if u[0] == "I" and u[4] == gi]
        for k1, k2 in itertools.pairwise(mem):
            if gi in free_groups:
                eqs.append(f"beta{n[k1]} = beta{n[k2]}")
        nzo = g.nz_orients
        for s in (1, -1):
            sub = [k for k in mem if units[k][1] == s and units[k][5]]
            zs = [k for k in mem if units[k][1] == s and not units[k][5]]
            eqs += [f"mu{n[k]} = 0" for k in zs]
            if len(nzo) == 1 and s in nzo:
                m = coef.get(("h", gi), E(0))
                lhs = " + ".join(f"mu{n[k]}" for k in sub)
                eqs.append(f"{lhs} = {root.value(m)}")
        if len(nzo) == 2:
            sub = [k for k in mem if units[k][5]]
            eqs.append(" + ".join(f"mu{n[k]}" for k in sub) + f" = {root.value(coef[('h', gi)])}")
    for g1, g2 in itertools.pairwise(range(len(core.groups))):
        if g1 not in free_groups and g2 not in free_groups:
            continue
        k1 = next(k for k, u in enumerate(units) if u[0] == "I" and u[4] == g1)
        k2 = next(k for k, u in enumerate(units) if u[0] == "I" and u[4] == g2)
        if core.groups[g1].where == core.groups[g2].where:
            lhs = f"beta{n[k1]}" if g1 in free_groups else str(root.value(units[k1][2]))
            rhs = f"beta{n[k2]}" if g2 in free_groups else str(root.value(units[k2][2]))
            ineqs.append(f"{lhs} < {rhs}")
    if core.affine:
        terms = [f"{'+' if units[k][1] > 0 else '-'} mu{n[k]}" for k in F_idx]
        terms += [f"- mu{n[km]}" for _, _, km, _, _ in mixed]
        lhs = " ".join(terms)
        lhs = lhs[2:] if lhs.startswith("+ ") else "-" + lhs[2:]
        eqs.append(f"{lhs} = {root.value(A)}")
        ct = [f"{'+' if units[k][1] > 0 else '-'} mu{n[k]}*beta{n[k]}" for k in F_idx]
        ct += [f"- mu{n[km]}*({root.value(beta)})" for _, _, km, beta, _ in mixed]
        eqs.append(f"c = {root.value(C0)} " + " ".join(ct))
    else:
        eqs.append(f"c = {root.value(C0)}")
    nF, nD = len(F_idx), dp + dm
    splits = 0
    for g in core.groups:
        for s in g.nz_orients:
            splits += sum(1 for ss, nz in g.members if ss == s and nz) - 1
    dim = 2 * nD + nF + ((nF + len(mixed) - 1) if core.affine else 0) + len(sol.free) * 1 + splits
    # ---- classification pieces
    pieces: list[FamilyPiece] = []
    base_kind = ckind
    if ckind == KIND_GLOBAL:
        pieces.append(FamilyPiece((), KIND_GLOBAL, creason))
    elif ckind == KIND_SADDLE:
        pieces.append(FamilyPiece((), KIND_SADDLE, creason + "; the descent path of the interior "
                                  "part lifts (F units carry the affine part, D units stay dead)"))
    else:
        bunits = [(k, u) for k, u in enumerate(units) if u[0] in ("F", "D")]
        base_conds = []
        for k, u in bunits:
            end = "a" if (u[0] == "F") == (u[1] > 0) else "b"
            e = a if end == "a" else b
            re = _r_at(pt, end)
            sre = root.sign(re)
            fixed_mu = u[0] == "F" and nF == 1 and not mixed
            if sre == 0:
                if not _r_zero_end(pt, end):
                    pieces.append(FamilyPiece((f"beta{n[k]} = {e}",), KIND_UNDECIDED,
                                              f"r({e}) = 0: entering the support is decided at "
                                              "third order (not implemented)"))
                base_conds.append(f"beta{n[k]} != {e}")
                continue
            rv = root.value(re)
            smu = root.sign(units[k][3]) if fixed_mu else None
            if smu is None or smu * sre <= 0:
                pieces.append(FamilyPiece(
                    (f"beta{n[k]} = {e}", f"mu{n[k]}*({rv}) <= 0"), KIND_SADDLE,
                    f"unit {n[k]} on the support end {e}: entering the support changes L by "
                    f"mu r({e}) p({e}) d^2/2 + O(d^3) < 0 (mu = 0: by the mu = 0 rule, r({e}) != 0)"))
            if smu is None or smu * sre > 0:
                base_conds.append(f"beta{n[k]} != {e} or mu{n[k]}*({rv}) > 0")
            else:
                base_conds.append(f"beta{n[k]} != {e}")
        bk = base_kind
        if bk == KIND_STRICT_MIN and dim > 0:
            bk = KIND_MIN
        if tie_pieces:
            for cond, kind, why in tie_pieces:
                kk = KIND_MIN if kind in (KIND_STRICT_MIN, KIND_MIN) else kind
                pieces.insert(0, FamilyPiece(tuple(base_conds) + (cond,), kk, why))
        else:
            why = creason + ("" if not bunits else "; units outside the support do not change L "
                             "near the point, units on an end with mu r(e) > 0 only raise it")
            pieces.insert(0, FamilyPiece(tuple(base_conds), bk, why))
    if dim == 0 and ckind == KIND_UNDECIDED and "tied" in creason:
        verdict = _tie_point_test(pop, units, c, root)
        if verdict is not None:
            pieces = [FamilyPiece((), verdict[0], verdict[1])]
    kinds = {p.kind for p in pieces}
    kind = next(iter(kinds)) if len(kinds) == 1 else KIND_MIXED
    point = [root.value(u[2]) for u in units] + [root.value(u[3]) for u in units] + [root.value(c)]
    pf = tuple(root.floatval(u[2]) for u in units) + tuple(root.floatval(u[3]) for u in units) + (
        root.floatval(c),)
    config = _core_text(core) + (f"; F units {'+' * fp}{'-' * fm}" if fp + fm else "") + (
        f"; dead units {'+' * dp}{'-' * dm}" if dp + dm else "")
    return PopulationCritical(config, tuple(u[1] for u in units), tuple(point), pf, dim,
                              tuple(eqs), tuple(ineqs), root.value(pt.loss),
                              root.floatval(pt.loss), kind, pieces[0].reason if len(pieces) == 1
                              else creason, tuple(pieces), nD)


def _tie_point_test(pop: object, units: list, c: sp.Poly, root: _Root) -> tuple[str, str] | None:
    """An isolated point with exactly one tie of two interior units: the exact Hessians of both
    adjacent pattern pieces. L is C^1 and the point lies on the one hyperplane beta_i = beta_j;
    for any direction v, v or -v stays in the closure of a given piece, so a negative eigenvalue
    of either piece's Hessian is a descent direction (saddle); both positive definite: a strict
    local minimum."""
    from .params import Spline
    from .population import PopulationPattern

    if any(u[0] != "I" for u in units):
        return None
    K = len(pop.knots) - 1
    betas = [u[2] for u in units]
    H = len(units)
    slots = []
    for u in units:
        j = None
        for jj in range(K):
            if root.sign(u[2] - root.elem(pop.knots[jj])) > 0 and \
                    root.sign(root.elem(pop.knots[jj + 1]) - u[2]) > 0:
                j = jj
        if j is None:
            return None
        slots.append(j + 1)
    ties = [(i, k) for i in range(H) for k in range(i + 1, H) if root.is_zero(betas[i] - betas[k])]
    if len(ties) != 1:
        return None
    s = tuple(u[1] for u in units)
    sym = Spline.symbols(H, s)
    sub = {}
    for i in range(H):
        sub[sym.beta[i]] = betas[i].as_expr()
        sub[sym.mu[i]] = units[i][3].as_expr()
    sub[sym.c] = c.as_expr()
    i0, k0 = ties[0]
    kinds = []
    for flip in (False, True):
        keys = []
        for i in range(H):
            tieb = 0 if i not in (i0, k0) else ((i == k0) != flip)
            keys.append((slots[i], root.floatval(betas[i]), tieb, i))
        order = sorted(range(H), key=lambda i: keys[i])
        rank = [0] * H
        for j in set(slots):
            members = [i for i in order if slots[i] == j]
            for r, i in enumerate(members):
                rank[i] = r
        pat = PopulationPattern(s, tuple(slots), tuple(rank))
        Lp = pop.pattern_loss(pat, sym)
        params = list(sym.vector)
        Hs = sp.hessian(Lp, params)
        n = len(params)
        M = sp.Matrix(n, n, lambda a, b, Hs=Hs: root.elem(sp.expand(Hs[a, b].xreplace(sub))).as_expr())
        signs = [root.sign(root.elem(sp.expand(cf))) for cf in M.charpoly().all_coeffs()]
        kinds.append(_descartes(signs))
    if any(k[1] > 0 for k in kinds):
        return KIND_SADDLE, ("tied breakpoints: the exact Hessian of an adjacent piece has a "
                             "negative eigenvalue; v or -v stays in that piece's closure")
    if all(k[2] == 0 for k in kinds):
        return KIND_STRICT_MIN, "tied breakpoints: the exact Hessians of both adjacent pieces are PD"
    return None
