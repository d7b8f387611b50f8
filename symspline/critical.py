"""Every Clarke-stationary point of the loss, exactly, as certified polyhedral families (theory §2.3-3.4).

**Cells.** A spline point (beta, mu, c; s) is placed unit by unit: breakpoint beta_i strictly inside
gap k_i ("open" unit) or exactly on a data point x_m ("kink" unit), and mu_i > 0, < 0 or = 0 (a dead
unit, active on no sample, is one cell whatever mu_i is). Every point lies in exactly one cell.
Inside a cell f(x_n) = c + sum_i s_i (mu_i x_n - nu_i) on the active sets (nu_i = mu_i beta_i; for
a kink unit nu_i = mu_i x_m), so the loss is a convex quadratic q(u) of the "live" variables
u = (mu_j, nu_j for open units with mu_j != 0; mu_i for kink units with mu_i != 0; c).

**Stationarity.** The Clarke subdifferential at a point of a cell is the convex hull of the
gradients of the adjacent pattern polynomials. They differ only in the beta_i entries of kink units,
each of which takes two values independently (its left and right one-sided derivatives
dl_i, dr_i, which differ by mu_i r_m / N, theory §2.3), so the hull is a box and the point is
stationary iff

- the derivatives in c, every mu_i and every open unit's beta_i vanish: for the live variables these
  are the least-squares normal equations of q, whose solution set is an affine space
  u = u0 + K tau with a unique residual r; for an open unit with mu_i = 0 they say
  sum_{A_i} r (x - beta_i) = 0 (beta_i determined, or free when sum_{A_i} r = sum_{A_i} r x = 0);
  for a kink unit with mu_i = 0, sum_{A_i} r (x - x_m) = 0;
- for every kink unit with mu_i != 0, 0 lies in [min(dl_i, dr_i), max(dl_i, dr_i)], i.e.
  S_left * S_right <= 0 with S_side the residual sum over the unit's active set on that side.

Everything but the cell's own constraints depends on r alone, which is constant on the cell. The
cell's constraints are strict and linear in tau once the signs of the mu_j are fixed:
sigma_j mu_j > 0 and sigma_j (nu_j - lo mu_j) > 0, sigma_j (hi mu_j - nu_j) > 0 for the gap
(lo, hi). Nonemptiness is decided by SymPy's exact simplex (maximise t subject to
a_l . tau + t <= b_l, t <= 1: nonempty iff max t > 0), which also yields an exact interior point.
A nonempty set of strict inequalities is open in tau-space, so the family's dimension is dim tau
plus the free breakpoints of mu_i = 0 units plus two per dead unit.

**Classification** (constant on a cell, since it depends only on r and the signs). On each closed
piece adjacent to the point L = q_P(u) with q_P convex, and the piece's image near u* is a union of
convex cones (a half-plane per kink unit with mu != 0, a double wedge per unit with mu = 0). So the
point is a local minimum iff the first-order condition holds on each of these cones: units with
mu_i = 0 need sum r = sum r x = 0 over their active set(s), kink units need dl_i <= 0 <= dr_i.
Otherwise an explicit descent path exists (theory §3.2's second-order one for mu_i = 0 units, a
first-order one for a kink of maximum type). No point is a local maximum: d^2 L / dc^2 = 1 > 0.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from .data import Dataset
from .errors import DataError, ParameterError, SizeError
from .params import Spline
from .regions import Pattern

#: Largest N of the complete enumeration for each width H (issue 13: H = 2, N <= 8; H = 3, N <= 5).
MAX_N = {1: 40, 2: 8, 3: 5}
#: Largest width of the complete enumeration.
MAX_H = 3
#: Measured seconds per cell (benchmarks/bench_critical.py, 2 shared cores), for size estimates.
SECONDS_PER_CELL = {1: 0.005, 2: 0.0015, 3: 0.0025}

KIND_STRICT_MIN = "strict local minimum"
KIND_MIN = "non-strict local minimum"
KIND_SADDLE = "saddle"
KIND_UNDECIDED = "undecided"

F = Fraction


# ------------------------------------------------------------------ public records
@dataclass(frozen=True)
class Inertia:
    """Numbers of positive, negative and zero eigenvalues."""

    pos: int
    neg: int
    zero: int

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.pos, self.neg, self.zero)


@dataclass(frozen=True)
class CriticalPoint:
    """One family of Clarke-stationary points: a relatively open polyhedron in one cell.

    ``place[i]`` is ``("gap", k)`` (beta_i strictly inside gap k, 0..N) or ``("point", m)``
    (beta_i = x_m, 0-based sample m). ``signs[i]`` is the sign of mu_i (+1, -1, 0), or None for a
    dead unit whose mu_i is free. ``spline`` is an exact interior point; ``loss`` is the loss on the
    whole family (r is unique on a cell). ``equalities`` and ``inequalities`` describe the family in
    beta, mu, c (products mu_i*beta_i allowed). ``multiplicity`` counts the distinct families
    obtained by permuting units (all listed once). ``negative_direction`` d (spline order) satisfies
    L(point + t d) < L for small t > 0, at first or second order (``descent_order``), for saddles.
    ``inertia_spline``/``inertia_network`` are None at kinks, where there is no Hessian.
    """

    s: tuple[int, ...]
    place: tuple[tuple[str, int], ...]
    signs: tuple[int | None, ...]
    spline: Spline
    loss: sp.Rational
    dimension: int
    equalities: tuple[str, ...]
    inequalities: tuple[str, ...]
    multiplicity: int
    kind: str
    explanation: str
    negative_direction: tuple | None = None
    descent_order: int | None = None
    inertia_spline: Inertia | None = None
    inertia_network: Inertia | None = None
    rho: tuple = ()
    one_sided: tuple = ()  # (unit, dl, dr) for kink units with mu_i != 0
    n: int = 0  # number of samples N (for :attr:`pattern`)
    #: For a non-strict kink minimum of dimension 0: a different point with the same loss; the
    #: whole segment between them in (mu, mu*beta, c) has that loss too.
    witness: Spline | None = None

    @property
    def at_kink(self) -> bool:
        """True when some breakpoint sits exactly on a data point."""
        return any(p[0] == "point" for p in self.place)

    @property
    def pattern(self) -> Pattern | None:
        """The activation pattern (None at kinks, which touch two or more patterns)."""
        if self.at_kink:
            return None
        return Pattern(self.s, tuple(k for _, k in self.place), self.n)

    @property
    def short_reason(self) -> str:
        """A few words of :attr:`explanation` for one-line tables."""
        e = self.explanation
        if e.startswith("theory §3.2"):
            return "3.2: a unit with mu = 0 and sum_A r != 0 (negative curvature)"
        if e.startswith("unit "):
            return "mu = 0 on a kink, sum r != 0 on one side (second-order descent)"
        if e.startswith("kink of unit"):
            return "kink of maximum type (first-order descent)"
        base = ("first-order test on every adjacent piece (convex q_P)" if self.at_kink
                else "minimises the convex q(mu, mu beta, c) on the pattern")
        if self.kind == KIND_STRICT_MIN:
            return base + "; isolated"
        if self.kind == KIND_MIN:
            return base + "; not isolated"
        return e

    @property
    def zero_units(self) -> tuple[int, ...]:
        """0-based units with mu_i = 0 on the whole family."""
        return tuple(i for i, g in enumerate(self.signs) if g == 0)

    @property
    def label(self) -> str:
        """Compact placement, e.g. ``[+2, -x3]``: orientation and gap k, or data point m (1-based)."""
        parts = []
        for si, (what, idx) in zip(self.s, self.place, strict=True):
            sign = "+" if si > 0 else "-"
            parts.append(f"{sign}{idx}" if what == "gap" else f"{sign}x{idx + 1}")
        return "[" + ", ".join(parts) + "]"

    def as_dict(self) -> dict:
        H = len(self.s)
        order = [f"beta{i}" for i in range(1, H + 1)] + [f"mu{i}" for i in range(1, H + 1)] + ["c"]
        out: dict = {
            "label": self.label, "at_kink": self.at_kink, "s": list(self.s),
            "place": [{"unit": i + 1, "gap": idx} if what == "gap"
                      else {"unit": i + 1, "point": idx + 1}
                      for i, (what, idx) in enumerate(self.place)],
            "mu_sign": [("free" if g is None else {1: "+", -1: "-", 0: "0"}[g])
                        for g in self.signs],
            "dimension": self.dimension, "multiplicity": self.multiplicity,
            "equalities": list(self.equalities), "inequalities": list(self.inequalities),
            "order": order,
        }
        out.update(exact_fields("interior_point", list(self.spline.vector)))
        out.update(exact_fields("loss", self.loss))
        out["type"] = self.kind
        out["reason"] = self.explanation
        out["reason_short"] = self.short_reason
        if self.negative_direction is not None:
            out.update(exact_fields("descent_direction", list(self.negative_direction)))
            out["descent_order"] = self.descent_order
        else:
            out["descent_direction"] = None
            out["descent_direction_reason"] = ("a local minimum: no descent direction"
                                               if self.kind != KIND_UNDECIDED else "undecided")
        for name, inert in (("inertia_spline", self.inertia_spline),
                            ("inertia_network", self.inertia_network)):
            out[name] = None if inert is None else dict(
                zip(("pos", "neg", "zero"), inert.as_tuple(), strict=True))
            if inert is None:
                out[name + "_reason"] = "a breakpoint on a data point: no Hessian there"
        if self.witness is not None:
            out.update(exact_fields("same_loss_witness", list(self.witness.vector)))
        out["one_sided"] = [
            {"unit": u + 1, **exact_fields("left", dl), **exact_fields("right", dr)}
            for u, dl, dr in self.one_sided]
        return out


@dataclass(frozen=True)
class CriticalReport:
    """The complete set of Clarke-stationary points of a width-H network on exact data.

    ``points``: families inside a pattern (every breakpoint strictly inside a gap); ``kinks``:
    families with at least one breakpoint on a data point. Both listed up to unit permutation, each
    with its multiplicity. ``undecided`` names anything that could not be decided (empty when the
    enumeration and every classification were decided exactly).
    """

    H: int
    N: int
    points: tuple[CriticalPoint, ...]
    kinks: tuple[CriticalPoint, ...]
    patterns_visited: int
    cells: int
    lps: int
    undecided: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def families(self) -> tuple[CriticalPoint, ...]:
        """Interior families and kink sets together, sorted by loss."""
        return tuple(sorted(self.points + self.kinks, key=lambda p: (p.loss, p.label)))

    def counts(self) -> dict[str, int]:
        """Interior families by type (up to permutation)."""
        return _count(self.points)

    def kink_counts(self) -> dict[str, int]:
        """Kink sets by type (up to permutation)."""
        return _count(self.kinks)

    @property
    def global_minimum(self) -> sp.Rational:
        """The minimum of L: the lowest loss of a listed local minimum.

        The minimum exists (the fitted-value vectors form a finite union of images of closed
        polyhedral cones, a closed set) and every minimiser is Clarke-stationary, hence listed.
        """
        mins = [p.loss for p in self.families if p.kind in (KIND_STRICT_MIN, KIND_MIN)]
        return min(mins)

    def global_minimizers(self) -> tuple[CriticalPoint, ...]:
        """The families attaining :attr:`global_minimum`."""
        g = self.global_minimum
        return tuple(p for p in self.families if p.loss == g)

    @property
    def sylvester_ok(self) -> bool:
        """theory §3.4 at every interior family: same +/- counts, H more zeros in network."""
        return all(p.inertia_network.neg == p.inertia_spline.neg
                   and p.inertia_network.pos == p.inertia_spline.pos
                   and p.inertia_network.zero == p.inertia_spline.zero + self.H
                   for p in self.points)

    @property
    def saddles_explained(self) -> bool:
        """theory §3.2 at every interior saddle: a unit with mu_i = 0, rho_i != 0, negative Hessian
        eigenvalue; and every local minimum inside a pattern has a PSD Hessian."""
        for p in self.points:
            if p.kind == KIND_SADDLE:
                if p.negative_direction is None or p.inertia_spline.neg == 0:
                    return False
            elif p.inertia_spline.neg != 0:
                return False
        return True

    def answer_3_3(self) -> str:
        """Can a PSD critical point inside a pattern be a saddle? Decided on the complete list."""
        return self._answer_3_3(latex=False)

    def answer_3_3_latex(self) -> str:
        """:meth:`answer_3_3` typeset for documents: prose with ``$...$`` math and code spans.

        The same decision on the same complete list; the text form stays for the terminal and JSON.
        """
        return self._answer_3_3(latex=True)

    def _answer_3_3(self, latex: bool) -> str:
        psd = [p for p in self.points if p.inertia_spline.neg == 0]
        allmu = [p for p in psd if not p.zero_units]
        bad = [p for p in psd if p.kind == KIND_SADDLE]
        open_ = [p for p in psd if p.kind == KIND_UNDECIDED]
        quote = "`" if latex else ""
        tail = ("" if not self.undecided else
                "; left undecided: " + "; ".join(f"{quote}{u}{quote}" for u in self.undecided))
        if bad:
            return (f"yes: {len(bad)} positive semidefinite critical famil(ies) are saddles"
                    + tail)
        if open_ or self.undecided:
            return (f"open on this case: {len(open_)} positive semidefinite famil(ies) could "
                    "not be classified" + tail)
        nonzero = "$\\mu_i \\neq 0$" if latex else "mu_i != 0"
        q = "$q(\\mu, \\mu\\beta, c)$ that equals $L$" if latex else "q(mu, mu*beta, c) that equals L"
        return (f"no: all {len(psd)} positive semidefinite critical families inside patterns "
                f"({len(allmu)} with every {nonzero}) of the complete enumeration are local "
                f"minima, each certified exactly (the point minimises the convex quadratic {q} "
                "on the pattern)")

    def as_dict(self) -> dict:
        gm = self.global_minimum
        return {
            "H": self.H, "N": self.N, "patterns_visited": self.patterns_visited,
            "cells": self.cells, "lps": self.lps, "complete": not self.undecided,
            "undecided": list(self.undecided), "counts": self.counts(),
            "kink_counts": self.kink_counts(),
            **exact_fields("global_minimum", gm),
            "global_minimizers": [p.label for p in self.global_minimizers()],
            "sylvester_ok": self.sylvester_ok, "saddles_explained": self.saddles_explained,
            "answer_3_3": self.answer_3_3(), "notes": list(self.notes),
            "families": [p.as_dict() for p in self.points],
            "kinks": [p.as_dict() for p in self.kinks],
        }


def exact_fields(name: str, value: object) -> dict:
    """``NAME`` as float(s) and ``NAME_exact`` as string(s) (docs/json.md); values here are exact.

    The same contract as ``symspline.cli._common.exact_fields``, kept local so the library does not
    import the CLI layer.
    """
    if isinstance(value, list | tuple):
        return {name: [float(v) for v in value], name + "_exact": [str(v) for v in value]}
    return {name: float(value), name + "_exact": str(value)}


def _count(items: tuple[CriticalPoint, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in items:
        out[p.kind] = out.get(p.kind, 0) + 1
    return out


# ------------------------------------------------------------------ inertia
def inertia(M: sp.Matrix) -> Inertia:
    """Exact inertia of a symmetric matrix from its characteristic polynomial.

    All eigenvalues are real, so Descartes' rule of signs counts the positive roots exactly;
    negative roots are the positive roots of p(-lambda); zeros are the multiplicity of 0.
    """
    try:
        dm = M.to_DM().to_field()
        # fast over QQ; highest degree first, domain elements back to SymPy numbers
        coeffs = [dm.domain.to_sympy(c) for c in dm.charpoly()]
    except Exception:  # noqa: BLE001 - symbolic entries: fall back to the generic charpoly
        lam = sp.Dummy("lambda")
        coeffs = M.charpoly(lam).all_coeffs()
    n = len(coeffs) - 1
    zero = 0
    while zero < n and coeffs[n - zero] == 0:
        zero += 1
    core = coeffs[: n - zero + 1]

    def changes(cs: list) -> int:
        signs = [sp.sign(c) for c in cs if c != 0]
        return sum(1 for a, b in itertools.pairwise(signs) if a != b)

    pos = changes(core)
    deg = len(core) - 1
    neg = changes([c * (-1) ** (deg - j) for j, c in enumerate(core)])
    return Inertia(pos, neg, zero)


def inertia_exact(M: list[list[Fraction]]) -> Inertia:
    """Exact inertia of a symmetric rational matrix by symmetric elimination (Sylvester's law).

    A non-zero diagonal pivot p contributes sign(p) and is eliminated by its Schur complement; if
    every remaining diagonal entry is zero but some a_ij != 0, the congruent 2x2 block
    [[0, a_ij], [a_ij, 0]] contributes one positive and one negative eigenvalue; a zero remainder
    contributes zeros. Congruence preserves inertia, so the counts are exact.
    """
    A = [[F(v) for v in row] for row in M]
    active = list(range(len(A)))
    pos = neg = 0
    while active:
        i = next((i for i in active if A[i][i] != 0), None)
        if i is not None:
            p = A[i][i]
            pos, neg = (pos + 1, neg) if p > 0 else (pos, neg + 1)
            active.remove(i)
            for j in active:
                if A[j][i] != 0:
                    f = A[j][i] / p
                    for k in active:
                        A[j][k] -= f * A[i][k]
            continue
        pair = next(((i, j) for i in active for j in active if i < j and A[i][j] != 0), None)
        if pair is None:
            break
        i, j = pair
        b = A[i][j]
        pos, neg = pos + 1, neg + 1
        active.remove(i)
        active.remove(j)
        upd = {(k, m): (A[k][i] * A[j][m] + A[k][j] * A[i][m]) / b for k in active for m in active}
        for (k, m), v in upd.items():
            A[k][m] -= v
    return Inertia(pos, neg, len(A) - pos - neg)


def _hessians(ctx: _Ctx, units: list, beta: list[Fraction], mu: list[Fraction],
              r: tuple[Fraction, ...]) -> tuple[list[list[Fraction]], list[list[Fraction]]]:
    """Exact spline and network Hessians (J^T J + R) / N inside a pattern (theory §3.1).

    Spline order (beta, mu, c): J columns -s_i mu_i and s_i (x - beta_i) on A_i, 1; R has only
    R[beta_i, mu_i] = rho_i = -s_i sum_{A_i} r. Network representative w_i = s_i,
    b_i = -s_i beta_i, v_i = mu_i, order (w, b, v, c): J columns v_i x, v_i, w_i x + b_i on A_i,
    1; R[w_i, v_i] = sum_{A_i} r x, R[b_i, v_i] = sum_{A_i} r.
    """
    H, N, x = ctx.H, ctx.N, ctx.x
    acts = [set(_active(u[0], u[1], N)) for u in units]
    s = [u[0] for u in units]

    def gram(cols: list[list[Fraction]]) -> list[list[Fraction]]:
        return [[sum((a * b for a, b in zip(ca, cb, strict=True)), F(0)) for cb in cols]
                for ca in cols]

    def ind(i: int, f: Callable[[int], Fraction]) -> list[Fraction]:
        return [f(n) if n in acts[i] else F(0) for n in range(N)]

    cols = ([ind(i, lambda n, i=i: -s[i] * mu[i]) for i in range(H)]
            + [ind(i, lambda n, i=i: s[i] * (x[n] - beta[i])) for i in range(H)] + [[F(1)] * N])
    Hs = gram(cols)
    for i in range(H):
        rho = -s[i] * sum((r[n] for n in acts[i]), F(0))
        Hs[i][H + i] += rho
        Hs[H + i][i] += rho
    w = [F(si) for si in s]
    b = [-si * bi for si, bi in zip(s, beta, strict=True)]
    cols = ([ind(i, lambda n, i=i: mu[i] * x[n]) for i in range(H)]
            + [ind(i, lambda n, i=i: mu[i]) for i in range(H)]
            + [ind(i, lambda n, i=i: w[i] * x[n] + b[i]) for i in range(H)] + [[F(1)] * N])
    Hn = gram(cols)
    for i in range(H):
        srx = sum((r[n] * x[n] for n in acts[i]), F(0))
        sr = sum((r[n] for n in acts[i]), F(0))
        Hn[i][2 * H + i] += srx
        Hn[2 * H + i][i] += srx
        Hn[H + i][2 * H + i] += sr
        Hn[2 * H + i][H + i] += sr
    return ([[v / N for v in row] for row in Hs], [[v / N for v in row] for row in Hn])


# ------------------------------------------------------------------ exact linear algebra
def _rref(rows: list[list[Fraction]], ncols: int) -> tuple[list[list[Fraction]], list[int]]:
    """Reduced row echelon form over Q, pivoting only in the first ``ncols`` columns."""
    rows = [r[:] for r in rows]
    piv: list[int] = []
    ri = 0
    for col in range(ncols):
        p = next((i for i in range(ri, len(rows)) if rows[i][col] != 0), None)
        if p is None:
            continue
        rows[ri], rows[p] = rows[p], rows[ri]
        pv = rows[ri][col]
        rows[ri] = [v / pv for v in rows[ri]]
        for i in range(len(rows)):
            if i != ri and rows[i][col] != 0:
                fac = rows[i][col]
                rows[i] = [a - fac * b for a, b in zip(rows[i], rows[ri], strict=True)]
        piv.append(col)
        ri += 1
        if ri == len(rows):
            break
    return rows[:ri], piv


@dataclass(frozen=True)
class _LSQ:
    """Solution set u0 + K tau of the normal equations, the unique residual, and its RREF rows."""

    u0: tuple[Fraction, ...]
    K: tuple[tuple[Fraction, ...], ...]  # basis vectors of the kernel of the design matrix
    r: tuple[Fraction, ...]
    rref: tuple[tuple[Fraction, ...], ...]


def _unit_columns(s: int, place: tuple[str, int], act: set[int],
                  x: list[Fraction]) -> list[list[Fraction]]:
    """Design columns of one live unit: (mu, nu = mu beta) in a gap, mu alone on a data point x_m.

    f(x_n) gains s (mu x_n - nu) on the active samples in a gap; on a data point the breakpoint is
    fixed, so the unit contributes s mu (x_n - x_m) and has one coefficient.
    """
    N = len(x)
    if place[0] == "gap":
        return [[s * x[n] if n in act else F(0) for n in range(N)],
                [F(-s) if n in act else F(0) for n in range(N)]]
    xm = x[place[1]]
    return [[s * (x[n] - xm) if n in act else F(0) for n in range(N)]]


def _lstsq(cols: list[list[Fraction]], y: list[Fraction]) -> _LSQ:
    """Least squares min |A u - y|^2 exactly: normal equations A^T A u = A^T y (always consistent)."""
    p, N = len(cols), len(y)
    G = [[sum((a * b for a, b in zip(cols[i], cols[j], strict=True)), F(0)) for j in range(p)]
         + [sum((a * b for a, b in zip(cols[i], y, strict=True)), F(0))] for i in range(p)]
    R, piv = _rref(G, p)
    u0 = [F(0)] * p
    for row, c in zip(R, piv, strict=True):
        u0[c] = row[p]
    K = []
    for f in (c for c in range(p) if c not in piv):
        v = [F(0)] * p
        v[f] = F(1)
        for row, c in zip(R, piv, strict=True):
            v[c] = -row[f]
        K.append(tuple(v))
    r = tuple(sum((cols[a][n] * u0[a] for a in range(p)), F(0)) - y[n] for n in range(N))
    return _LSQ(tuple(u0), tuple(K), r, tuple(tuple(row) for row in R))


# ------------------------------------------------------------------ cells
def _active(s: int, place: tuple[str, int], N: int, side: str = "") -> range:
    """Active samples of a unit: open unit in gap k, or kink unit at x_m (side '' excludes m)."""
    what, idx = place
    if what == "gap":
        return range(idx, N) if s > 0 else range(0, idx)
    m = idx
    if s > 0:
        return range(m, N) if side == "left" else range(m + 1, N)
    return range(0, m + 1) if side == "right" else range(0, m)


def _states(N: int) -> list[tuple[int, tuple[str, int], str]]:
    """Per-unit base states (s, place, role) with role 'live' (mu != 0), 'zero' or 'dead'."""
    out = []
    for s in (1, -1):
        for k in range(N + 1):
            dead = (s > 0 and k == N) or (s < 0 and k == 0)
            for role in (("dead",) if dead else ("live", "zero")):
                out.append((s, ("gap", k), role))
        for m in range(N):
            for role in ("live", "zero"):
                out.append((s, ("point", m), role))
    return out


def cell_count(H: int, N: int) -> int:
    """Number of cells up to unit permutation (before signs): multisets of H of 8N+2 states."""
    return math.comb(8 * N + 2 + H - 1, H)


def _about(n: float) -> str:
    """A count or a duration for a one-line message: exact when short, else two digits."""
    return str(int(n)) if n < 1e6 else f"about {float(n):.1e}" if n < 1e300 else "more than 1e300"


def _check_size(H: int, N: int) -> None:
    if H > MAX_H or N > MAX_N.get(H, 0):
        cells = cell_count(H, N)
        pats = math.comb(2 * (N + 1) + H - 1, H)
        # cost per cell doubles per unit beyond the measured widths (families multiply)
        per = SECONDS_PER_CELL.get(H, SECONDS_PER_CELL[MAX_H] * 2.0 ** min(H - MAX_H, 900))
        limits = ", ".join(f"N <= {n} at H = {h}" for h, n in MAX_N.items())
        base = SECONDS_PER_CELL.get(H, SECONDS_PER_CELL[MAX_H])
        seconds = float(cells) * per if cells < 10**300 else math.inf
        raise SizeError(
            f"critical points are enumerated for H <= {MAX_H} ({limits}); H = {H}, N = {N} "
            f"means {_about(pats)} patterns (up to permutation) x up to 2^{H} zero sets x up to "
            f"2^{H} sign vectors, with kinks {_about(cells)} cells: "
            f"{'about ' if seconds < 1e6 else ''}{_about(seconds)} s at the measured "
            f"{base * 1000:.1f} ms per cell"
            + (" (doubling per unit beyond H = 3)" if H > MAX_H else ""))


# ------------------------------------------------------------------ the enumeration
def critical_points(data: Dataset, H: int, *,
                    progress: Callable[[int, int], None] | None = None) -> CriticalReport:
    """Every Clarke-stationary point of the loss of a width-H network on exact data, classified.

    See the module docstring for the cells, the stationarity conditions, the exact LP and the
    classification. Families are listed up to permutation of units, each with its multiplicity.

    Parameters
    ----------
    data
        Exact (rational) samples.
    H
        Width of the network.
    progress
        Called as ``progress(done, total)`` after each cell (multiset of unit states).

    Returns
    -------
    CriticalReport
        Families inside patterns (``points``) and at kinks (``kinks``), each with dimension,
        equalities, strict inequalities, an exact interior point, loss, type, reason and
        multiplicity; the global minimum; the theory §3.2/3.3/3.4 verdicts; what was undecided.

    Raises
    ------
    DataError
        If the data are not exact rationals.
    ParameterError
        If H is not a positive integer.
    SizeError
        If H > 3 or N exceeds the limit for H (H = 1: 40, H = 2: 8, H = 3: 5), with an estimate.
    """
    if data.kind != "exact":
        raise DataError("exact critical points need exact (rational) data")
    if isinstance(H, bool) or not isinstance(H, int) or H < 1:
        raise ParameterError(f"width H must be a positive integer, got {H!r}")
    N = data.n
    _check_size(H, N)
    x = [_frac(v) for v in data.x]
    y = [_frac(v) for v in data.y]
    if any(v is None for v in x + y):
        raise DataError("exact critical points need rational data (no irrational values)")
    ctx = _Ctx(H, N, x, y, data)
    states = _states(N)
    combos = list(itertools.combinations_with_replacement(range(len(states)), H))
    fams: list[CriticalPoint] = []
    for done, combo in enumerate(combos, 1):
        fams.extend(_cell(ctx, [states[i] for i in combo]))
        if progress is not None:
            progress(done, len(combos))
    interior = tuple(sorted((f for f in fams if not f.at_kink), key=lambda p: (p.loss, p.label)))
    at_kinks = tuple(sorted((f for f in fams if f.at_kink), key=lambda p: (p.loss, p.label)))
    undecided = tuple(f"{f.label}: {f.explanation}" for f in fams if f.kind == KIND_UNDECIDED)
    notes = (
        "families are listed up to permutation of units, each with its multiplicity",
        "cells (placement of each breakpoint in a gap or on a data point, sign of each mu) are "
        "pairwise disjoint and cover the parameter space, so no listed family contains another",
        "stationary means 0 in the Clarke subdifferential; at a kink the one-sided derivatives "
        "in beta_i differ by mu_i r_m / N",
    )
    return CriticalReport(H, N, interior, at_kinks, math.comb(2 * (N + 1) + H - 1, H),
                          len(combos), ctx.lps, undecided, notes)


def _frac(v: object) -> Fraction | None:
    if not isinstance(v, sp.Rational):
        return None
    return F(int(v.p), int(v.q))


def _q(v: Fraction) -> sp.Rational:
    return sp.Rational(v.numerator, v.denominator)


class _Ctx:
    """Data and caches shared by all cells of one enumeration."""

    def __init__(self, H: int, N: int, x: list[Fraction], y: list[Fraction],
                 data: Dataset) -> None:
        self.H, self.N, self.x, self.y, self.data = H, N, x, y, data
        self.cache: dict = {}
        self.lps = 0
        self.t_lp = 0.0

    def gap(self, k: int) -> tuple[Fraction | None, Fraction | None]:
        return (self.x[k - 1] if k > 0 else None), (self.x[k] if k < self.N else None)

    def gap_point(self, k: int) -> Fraction:
        lo, hi = self.gap(k)
        if lo is None:
            return hi - 1
        if hi is None:
            return lo + 1
        return (lo + hi) / 2

    def lsq(self, live: tuple[tuple[int, tuple[str, int]], ...]) -> _LSQ:
        """Least squares of the live variables (cached: many cells share their live units)."""
        if live not in self.cache:
            N, x = self.N, self.x
            cols = []
            for s, place in live:
                cols.extend(_unit_columns(s, place, set(_active(s, place, N)), x))
            cols.append([F(1)] * N)
            self.cache[live] = _lstsq(cols, self.y)
        return self.cache[live]


def _cell(ctx: _Ctx, units: list[tuple[int, tuple[str, int], str]]) -> list[CriticalPoint]:
    """All families in one cell (a multiset of unit states), over the sign vectors of live mu."""
    H, N, x = ctx.H, ctx.N, ctx.x
    live_idx = [i for i, u in enumerate(units) if u[2] == "live"]
    live_key = tuple((units[i][0], units[i][1]) for i in live_idx)
    ls = ctx.lsq(live_key)
    r = ls.r

    def rsum(rng: range, weight: Callable[[int], Fraction] | None = None) -> Fraction:
        return sum((r[n] * (weight(n) if weight else 1) for n in rng), F(0))

    # Conditions on r alone (constant on the cell): decide them before any sign vector.
    beta_fixed: dict[int, Fraction] = {}
    free_beta: list[int] = []
    for i, (s, place, role) in enumerate(units):
        if role == "zero":
            act = _active(s, place, N)
            if place[0] == "gap":
                sr, srx = rsum(act), rsum(act, lambda n: x[n])
                if sr != 0:
                    b = srx / sr
                    lo, hi = ctx.gap(place[1])
                    if (lo is not None and not lo < b) or (hi is not None and not b < hi):
                        return []
                    beta_fixed[i] = b
                elif srx != 0:
                    return []
                else:
                    free_beta.append(i)
            else:
                xm = x[place[1]]
                if rsum(act, lambda n, xm=xm: x[n] - xm) != 0:
                    return []
        elif role == "live" and place[0] == "point":
            sl = rsum(_active(s, place, N, "left"))
            sr_ = rsum(_active(s, place, N, "right"))
            if sl * sr_ > 0:  # 0 outside [dl, dr]: not Clarke-stationary
                return []
    # Sign vectors: within a group of identical live states only sign multisets (permutations).
    groups: dict[tuple, list[int]] = {}
    for i in live_idx:
        groups.setdefault(units[i][:2], []).append(i)
    group_list = list(groups.values())
    per_group = [[(1,) * a + (-1,) * (len(g) - a) for a in range(len(g), -1, -1)]
                 for g in group_list]
    out = []
    for choice in itertools.product(*per_group):
        signs: list[int | None] = [None] * H
        for g, sv in zip(group_list, choice, strict=True):
            for i, sg in zip(g, sv, strict=True):
                signs[i] = sg
        for i, u in enumerate(units):
            if u[2] == "zero":
                signs[i] = 0
        fam = _family(ctx, units, signs, live_idx, ls, beta_fixed, free_beta)
        if fam is not None:
            out.append(fam)
    return out


def _family(ctx: _Ctx, units: list, signs: list, live_idx: list[int], ls: _LSQ,
            beta_fixed: dict[int, Fraction], free_beta: list[int]) -> CriticalPoint | None:
    H, N, x = ctx.H, ctx.N, ctx.x
    ntau = len(ls.K)
    # Strict inequalities a . tau + a0 > 0 from the signs and the gaps of live units.
    ineqs: list[tuple[list[Fraction], Fraction]] = []

    def affine(var: int) -> tuple[list[Fraction], Fraction]:
        return [k[var] for k in ls.K], ls.u0[var]

    var = 0
    for i in live_idx:
        s, place, _ = units[i]
        sg = signs[i]
        a_mu, m0 = affine(var)
        forms = [([sg * v for v in a_mu], sg * m0)]
        if place[0] == "gap":
            a_nu, n0 = affine(var + 1)
            lo, hi = ctx.gap(place[1])
            if lo is not None:
                forms.append(([sg * (b - lo * a) for a, b in zip(a_mu, a_nu, strict=True)],
                              sg * (n0 - lo * m0)))
            if hi is not None:
                forms.append(([sg * (hi * a - b) for a, b in zip(a_mu, a_nu, strict=True)],
                              sg * (hi * m0 - n0)))
            var += 2
        else:
            var += 1
        for a, a0 in forms:
            if all(v == 0 for v in a):
                if not a0 > 0:
                    return None
            else:
                ineqs.append((a, a0))
    tau = [F(0)] * ntau
    # tau = 0 satisfying every inequality proves nonemptiness; only otherwise is the LP needed
    if ineqs and not all(a0 > 0 for _, a0 in ineqs):
        tau = _interior(ctx, ineqs, ntau)
        if tau is None:
            return None
    u = [ls.u0[a] + sum((t * k[a] for t, k in zip(tau, ls.K, strict=True)), F(0))
         for a in range(len(ls.u0))]
    beta: list[Fraction] = [F(0)] * H
    mu: list[Fraction] = [F(0)] * H
    var = 0
    for i in live_idx:
        s, place, _ = units[i]
        if place[0] == "gap":
            mu[i], beta[i] = u[var], u[var + 1] / u[var]
            var += 2
        else:
            mu[i], beta[i] = u[var], x[place[1]]
            var += 1
    for i, (_s, place, role) in enumerate(units):
        if role == "zero":
            beta[i] = beta_fixed.get(i, x[place[1]] if place[0] == "point"
                                     else ctx.gap_point(place[1]))
        elif role == "dead":
            beta[i] = ctx.gap_point(place[1])
    c = u[-1]
    s_vec = tuple(u_[0] for u_ in units)
    place = tuple(u_[1] for u_ in units)
    spline = Spline([_q(b) for b in beta], [_q(m) for m in mu], s_vec, _q(c))
    loss = _q(sum((v * v for v in ls.r), F(0)) / (2 * N))
    dim = ntau + len(free_beta) + 2 * sum(1 for u_ in units if u_[2] == "dead")
    eqs, ins = _describe(ctx, units, signs, live_idx, ls, beta_fixed, free_beta)
    mult = _multiplicity(units, signs)
    sgn = tuple(None if u_[2] == "dead" else signs[i] for i, u_ in enumerate(units))
    kind, expl, direction, order, one_sided, witness = _classify(ctx, units, sgn, ls.r, beta, mu,
                                                                 c, dim)
    rho = tuple(_q(-s * sum((ls.r[n] for n in _active(s, p, N)), F(0))) if p[0] == "gap"
                else None for s, p in zip(s_vec, place, strict=True))
    inert_s = inert_n = None
    if all(p[0] == "gap" for p in place):
        Hs, Hn = _hessians(ctx, units, beta, mu, ls.r)
        inert_s, inert_n = inertia_exact(Hs), inertia_exact(Hn)
        if direction is not None and order == 2:
            d = [_frac(v) for v in direction]
            curv = sum((d[a] * Hs[a][b] * d[b] for a in range(len(d)) for b in range(len(d))),
                       F(0))
            expl += f"; exact d^T Hess d = {curv}"
    return CriticalPoint(s_vec, place, sgn, spline, loss, dim, eqs, ins, mult, kind, expl,
                         direction, order, inert_s, inert_n, rho, one_sided, N, witness)


def _interior(ctx: _Ctx, ineqs: list[tuple[list[Fraction], Fraction]],
              ntau: int) -> list[Fraction] | None:
    """An exact point with a . tau + a0 > 0 for all rows, or None: exact simplex on the slack.

    (One parameter: exact intersection of half-lines. Several: a solution of a . tau + a0 = 1
    on every row, if there is one, is checked first; it only ever proves nonemptiness.)

    maximise t subject to -a . tau + t <= a0, t <= 1 (tau free): the open set is nonempty iff
    max t > 0, and the optimal tau then satisfies every strict inequality with slack >= t > 0.
    """
    if ntau == 1:  # one parameter: the LP is an intersection of half-lines, done directly
        lo = max((-a0 / a[0] for a, a0 in ineqs if a[0] > 0), default=None)
        hi = min((-a0 / a[0] for a, a0 in ineqs if a[0] < 0), default=None)
        if lo is not None and hi is not None:
            return [(lo + hi) / 2] if lo < hi else None
        return [lo + 1] if lo is not None else [hi - 1]
    # A solution of a . tau + a0 = 1 on every row (when that system is consistent) is a point;
    # it is verified exactly, and only otherwise is the simplex run.
    R, piv = _rref([list(a) + [1 - a0] for a, a0 in ineqs], ntau)
    cand = [F(0)] * ntau
    for row, col in zip(R, piv, strict=True):
        cand[col] = row[ntau]
    if all(sum((v * x for v, x in zip(a, cand, strict=True)), a0) > 0 for a, a0 in ineqs):
        return cand
    A = [[-v for v in a] + [F(1)] for a, _ in ineqs] + [[F(0)] * ntau + [F(1)]]
    b = [a0 for _, a0 in ineqs] + [F(1)]
    c = [F(0)] * ntau + [F(-1)]
    t0 = time.perf_counter()
    ctx.lps += 1
    val, sol = _lp_free(c, A, b)
    ctx.t_lp += time.perf_counter() - t0
    if not -val > 0:
        return None
    return sol[:ntau]


def _lp_free(c: list, A: list, b: list, A_eq: list | None = None,
             b_eq: list | None = None) -> tuple[Fraction, list[Fraction]]:
    """min c.z subject to A z <= b (and A_eq z = b_eq) with z free: exact simplex over Q.

    Free variables are split z = z+ - z-. Returns (optimal value, z); callers pass bounded,
    feasible problems. (SymPy 1.14's ``sympy.solvers.simplex.linprog`` was tried first: it
    rejects feasible problems with free variables as infeasible and aborts on cycling
    ("oscillating system") in this enumeration, so the exact two-phase simplex with Bland's
    anti-cycling rule below is used instead; it is checked against SciPy's HiGHS in the tests.)
    """
    n = len(c)
    split = [[F(v) for v in row] + [-F(v) for v in row] for row in A]
    split_eq = [[F(v) for v in row] + [-F(v) for v in row] for row in (A_eq or [])]
    cost = [-F(v) for v in c] + [F(v) for v in c]  # maximise -c.z
    status, val, z = simplex_max(cost, split, [F(v) for v in b], split_eq,
                                 [F(v) for v in (b_eq or [])])
    if status != "optimal":  # pragma: no cover - every LP built here is feasible and bounded
        raise AssertionError(f"exact LP unexpectedly {status}")
    return -val, [z[j] - z[n + j] for j in range(n)]


def simplex_max(c: list[Fraction], A_ub: list[list[Fraction]], b_ub: list[Fraction],
                A_eq: list[list[Fraction]] | None = None, b_eq: list[Fraction] | None = None
                ) -> tuple[str, Fraction | None, list[Fraction] | None]:
    """Exact two-phase simplex: maximise c.z subject to A_ub z <= b_ub, A_eq z = b_eq, z >= 0.

    Rational arithmetic (``fractions.Fraction``) and Bland's rule (smallest entering index,
    smallest leaving basic index among ties), which cannot cycle, so the method terminates with
    the exact optimum. Returns (status, value, z) with status 'optimal', 'infeasible' or
    'unbounded'.
    """
    A_eq, b_eq = A_eq or [], b_eq or []
    n, m1 = len(c), len(A_ub)
    ncols = n + m1
    rows: list[list[Fraction]] = []
    basis: list[int] = []
    art_rows: list[int] = []
    for i, (a, b) in enumerate(zip(A_ub, b_ub, strict=True)):
        row = [F(v) for v in a] + [F(0)] * m1
        row[n + i] = F(1)
        if b >= 0:
            rows.append(row + [F(b)])
            basis.append(n + i)
        else:
            rows.append([-v for v in row] + [-F(b)])
            art_rows.append(len(rows) - 1)
            basis.append(-1)
    for a, b in zip(A_eq, b_eq, strict=True):
        row = [F(v) for v in a] + [F(0)] * m1
        if b < 0:
            row, b = [-v for v in row], -b
        rows.append(row + [F(b)])
        art_rows.append(len(rows) - 1)
        basis.append(-1)
    na = len(art_rows)
    for row in rows:
        row[-1:-1] = [F(0)] * na
    for k, i in enumerate(art_rows):
        rows[i][ncols + k] = F(1)
        basis[i] = ncols + k
    if na:
        obj = _objective([F(0)] * ncols + [F(-1)] * na, rows, basis)
        _bland(rows, basis, obj)
        if obj[-1] != 0:
            return "infeasible", None, None
        keep = []
        for i in range(len(rows)):
            if basis[i] >= ncols:
                j = next((j for j in range(ncols) if rows[i][j] != 0), None)
                if j is None:
                    continue  # redundant equality
                _pivot(rows, basis, obj, i, j)
            keep.append(i)
        rows = [rows[i][:ncols] + [rows[i][-1]] for i in keep]
        basis = [basis[i] for i in keep]
    obj = _objective(list(c) + [F(0)] * m1, rows, basis)
    if not _bland(rows, basis, obj):
        return "unbounded", None, None
    z = [F(0)] * n
    for i, bv in enumerate(basis):
        if bv < n:
            z[bv] = rows[i][-1]
    return "optimal", sum((ci * zi for ci, zi in zip(c, z, strict=True)), F(0)), z


def _objective(cost: list[Fraction], rows: list[list[Fraction]], basis: list[int]
               ) -> list[Fraction]:
    """Reduced costs cost_j - c_B B^-1 a_j, and minus the objective value in the last entry."""
    obj = list(cost) + [F(0)]
    for i, bv in enumerate(basis):
        cb = cost[bv]
        if cb != 0:
            obj = [o - cb * v for o, v in zip(obj, rows[i], strict=True)]
    return obj


def _pivot(rows: list[list[Fraction]], basis: list[int], obj: list[Fraction], r: int,
           col: int) -> None:
    pv = rows[r][col]
    rows[r] = [v / pv for v in rows[r]]
    for i in range(len(rows)):
        f = rows[i][col]
        if i != r and f != 0:
            rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
    f = obj[col]
    if f != 0:
        obj[:] = [a - f * b for a, b in zip(obj, rows[r], strict=True)]
    basis[r] = col


def _bland(rows: list[list[Fraction]], basis: list[int], obj: list[Fraction]) -> bool:
    """Pivot to optimality (True) or detect unboundedness (False), Bland's rule."""
    ncol = len(obj) - 1
    while True:
        col = next((j for j in range(ncol) if obj[j] > 0), None)
        if col is None:
            return True
        best = None
        for i, row in enumerate(rows):
            if row[col] > 0:
                ratio = row[-1] / row[col]
                if best is None or ratio < best[0] or (ratio == best[0] and basis[i] < best[2]):
                    best = (ratio, i, basis[i])
        if best is None:
            return False
        _pivot(rows, basis, obj, best[1], col)


def _multiplicity(units: list, signs: list) -> int:
    """Number of distinct families obtained by permuting units: H! / prod(count of each state)!."""
    keys: dict[tuple, int] = {}
    for u, sg in zip(units, signs, strict=True):
        k = (u[0], u[1], u[2], sg)
        keys[k] = keys.get(k, 0) + 1
    out = math.factorial(len(units))
    for v in keys.values():
        out //= math.factorial(v)
    return out


def _describe(ctx: _Ctx, units: list, signs: list, live_idx: list[int], ls: _LSQ,
              beta_fixed: dict[int, Fraction], free_beta: list[int]
              ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Equalities (normal equations in RREF, fixed values) and strict inequalities as text."""
    H, x = ctx.H, ctx.x
    beta = [f"beta{i + 1}" for i in range(H)]
    mu = [f"mu{i + 1}" for i in range(H)]
    names: list[str] = []
    for i in live_idx:
        s, place, _ = units[i]
        names.append(mu[i])
        if place[0] == "gap":
            names.append(f"{mu[i]}*{beta[i]}")
    names.append("c")
    eqs = [f"{_linear_text(row[:-1], names)} = {row[-1]}" for row in ls.rref]
    ins = []
    for i, (_s, place, role) in enumerate(units):
        if place[0] == "point":
            eqs.append(f"{beta[i]} = {x[place[1]]}")
        if role == "zero":
            eqs.append(f"{mu[i]} = 0")
            if i in beta_fixed:
                eqs.append(f"{beta[i]} = {beta_fixed[i]}")
        if role == "live":
            ins.append(f"{mu[i]} {'>' if signs[i] > 0 else '<'} 0")
        if place[0] == "gap" and (role in ("live", "dead") or i in free_beta):
            lo, hi = ctx.gap(place[1])
            if lo is not None:
                ins.append(f"{beta[i]} > {lo}")
            if hi is not None:
                ins.append(f"{beta[i]} < {hi}")
    return tuple(eqs), tuple(ins)


def _linear_text(coeffs: tuple[Fraction, ...], names: list[str]) -> str:
    """``2*mu1 - mu1*beta1 + 3/2*c`` from coefficients and names (zero terms left out)."""
    out = ""
    for v, name in zip(coeffs, names, strict=True):
        if v == 0:
            continue
        mag = abs(v)
        term = name if mag == 1 else f"{mag}*{name}"
        if not out:
            out = term if v > 0 else f"-{term}"
        else:
            out += f" + {term}" if v > 0 else f" - {term}"
    return out or "0"


# ------------------------------------------------------------------ classification
def _classify(ctx: _Ctx, units: list, signs: tuple, r: tuple[Fraction, ...],
              beta: list[Fraction], mu: list[Fraction], c: Fraction, dim: int
              ) -> tuple[str, str, tuple | None, int | None, tuple, Spline | None]:
    """Type of the family with its argument and, for saddles, a descent direction.

    Local minimum iff the first-order condition holds on every adjacent piece's tangent cone
    (module docstring). A violated condition gives the descent direction returned here.
    """
    H, N, x = ctx.H, ctx.N, ctx.x

    def rsum(rng: range) -> Fraction:
        return sum((r[n] for n in rng), F(0))

    one_sided = []
    reasons_min = []
    for i, (s, place, role) in enumerate(units):
        if role == "live" and place[0] == "point":
            dl = _q(-s * mu[i] * rsum(_active(s, place, N, "left")) / N)
            dr = _q(-s * mu[i] * rsum(_active(s, place, N, "right")) / N)
            one_sided.append((i, dl, dr))
    # 1. mu_i = 0 in an open gap with sum_{A_i} r != 0: theory §3.2, second order.
    for i, (s, place, role) in enumerate(units):
        if role == "zero" and place[0] == "gap":
            act = _active(s, place, N)
            sr = rsum(act)
            if sr != 0:
                g = -s * sr / N  # rho_i / N: the (beta_i, mu_i) entry of the Hessian
                a = sum(((x[n] - beta[i]) ** 2 for n in act), F(0)) / N
                d = [F(0)] * (2 * H + 1)
                d[H + i] = F(1)
                d[i] = -(a + 1) / (2 * g)
                expl = (f"theory §3.2: unit {i + 1} has mu = 0 and sum_(A_{i + 1}) r = {_q(sr)} "
                        f"!= 0; the (beta{i + 1}, mu{i + 1}) Hessian block [[0, g], [g, a]] with "
                        f"g = {_q(g)}, a = {_q(a)} has determinant -g^2 < 0: L(theta + t d) = "
                        "L - t^2/2 + O(t^3) along d")
                return KIND_SADDLE, expl, tuple(_q(v) for v in d), 2, tuple(one_sided), None
    # 2. mu_i = 0 on a data point with a non-zero residual sum on one side: second order.
    for i, (s, place, role) in enumerate(units):
        if role == "zero" and place[0] == "point":
            xm = x[place[1]]
            for side, bsign in (("left", -1), ("right", 1)):
                act = _active(s, place, N, side)
                S = rsum(act)
                if S != 0:
                    g = -s * S / N
                    a = sum(((x[n] - xm) ** 2 for n in act), F(0)) / N
                    b = bsign * (a + 1) / (2 * abs(g))
                    mdir = F(-1) if b * g > 0 else F(1)
                    d = [F(0)] * (2 * H + 1)
                    d[i], d[H + i] = b, mdir
                    expl = (f"unit {i + 1} has mu = 0 with its breakpoint on x{place[1] + 1}; on "
                            f"the {side} piece sum r = {_q(S)} != 0, so moving beta{i + 1} "
                            f"{side} with mu{i + 1} of the right sign lowers L at second order "
                            f"(block [[0, {_q(g)}], [{_q(g)}, {_q(a)}]] on that piece): "
                            "L(theta + t d) = L - t^2/2 + O(t^3) for t > 0")
                    return KIND_SADDLE, expl, tuple(_q(v) for v in d), 2, tuple(one_sided), None
    # 3. A kink of maximum type: the loss decreases at first order into one side.
    for i, dl, dr in one_sided:
        if dl > 0 or dr < 0:
            d = [sp.Integer(0)] * (2 * H + 1)
            d[i] = sp.Integer(-1 if dl > 0 else 1)
            side = "left" if dl > 0 else "right"
            expl = (f"kink of unit {i + 1} at x{units[i][1][1] + 1}: one-sided derivatives "
                    f"dL/dbeta{i + 1} = {dl} (left), {dr} (right) contain 0 between them (Clarke "
                    f"stationary) but moving beta{i + 1} {side} lowers L at first order, rate "
                    f"{abs(dl) if dl > 0 else abs(dr)}")
            return KIND_SADDLE, expl, tuple(d), 1, tuple(one_sided), None
    # Local minimum: the first-order condition holds on every piece's cone.
    kinks_ = [i for i, u in enumerate(units) if u[1][0] == "point"]
    if kinks_:
        reasons_min.append("on each adjacent closed piece L = q_P(mu, nu, c) is convex and its "
                           "gradient is non-negative on the piece's tangent cone (one-sided "
                           "derivatives left <= 0 <= right at every kink, residual sums zero "
                           "for mu = 0 units)")
    else:
        reasons_min.append("every unit has sum_(A_i) r = sum_(A_i) r x = 0, so the point "
                           "minimises the convex quadratic q(mu, nu = mu beta, c) that equals L "
                           "on the pattern")
    nonstrict = dim > 0 or any(sg == 0 or sg is None for sg in signs)
    if nonstrict:
        why = ("positive-dimensional family" if dim > 0 else
               "a unit with mu = 0 or a dead unit leaves L unchanged along its breakpoint")
        return (KIND_MIN, "; ".join(reasons_min) + f"; not strict: {why}", None, None,
                tuple(one_sided), None)
    if not kinks_:
        return (KIND_STRICT_MIN, reasons_min[0] + "; strict: every mu_i != 0 and the family is a "
                "single point, so q is minimised only there", None, None, tuple(one_sided), None)
    strict, why, witness = _strict_at_kink(ctx, units, signs, r, beta, mu, c)
    if strict is None:
        return KIND_UNDECIDED, why, None, None, tuple(one_sided), None
    return ((KIND_STRICT_MIN if strict else KIND_MIN), reasons_min[0] + "; " + why, None, None,
            tuple(one_sided), witness)


def _strict_at_kink(ctx: _Ctx, units: list, signs: tuple, r: tuple[Fraction, ...],
                    beta: list[Fraction], mu: list[Fraction], c: Fraction
                    ) -> tuple[bool | None, str, Spline | None]:
    """A 0-dimensional kink minimum with every mu_i != 0: strict iff on no adjacent piece a
    nonzero direction d of the tangent cone has A_P d = 0 and g_P . d = 0 (exact LP per piece).

    Coordinates per kink unit: (mu_i, e_i = nu_i - x_m mu_i); the piece's cone is
    sigma_i e_i <= 0 (left) or >= 0 (right); on it q_P(u* + d) = q* + g.d + |A_P d|^2 / (2N).
    When not strict, the witness is the exact point phi^-1(u* + t d) of that piece (t halved
    until it lies in the piece): a different point with exactly the same loss.
    """
    N, x = ctx.N, ctx.x
    kinks_ = [i for i, u in enumerate(units) if u[1][0] == "point"]
    for sides in itertools.product(("left", "right"), repeat=len(kinks_)):
        side_of = dict(zip(kinks_, sides, strict=True))
        cols: list[list[Fraction]] = []
        evars: list[tuple[int, int]] = []  # (column index, orientation sign of e in the cone)
        for i, (s, place, _) in enumerate(units):
            act = set(_active(s, place, N, side_of.get(i, "")))
            cols.extend(_unit_columns(s, place, act, x))
            if place[0] == "point":
                S = sum((r[n] for n in act), F(0))
                cols.append([F(-s) if n in act else F(0) for n in range(N)])
                sg = signs[i] if side_of[i] == "right" else -signs[i]  # sg * e >= 0 on the cone
                evars.append((len(cols) - 1, sg if S == 0 else 0))  # g_e != 0 forces e = 0
        cols.append([F(1)] * N)
        p = len(cols)
        A_eq = [[cols[a][n] for a in range(p)] for n in range(N)]
        b_eq = [0] * N
        for col, sg in evars:
            if sg == 0:
                row = [0] * p
                row[col] = 1
                A_eq.append(row)
                b_eq.append(0)
        free = [(col, sg) for col, sg in evars if sg != 0]
        if not free:
            continue  # every e is forced to 0 and the reduced design has trivial kernel
        obj = [0] * p
        A_ub = []
        b_ub = []
        for col, sg in free:
            obj[col] = -sg
            row = [0] * p
            row[col] = -sg
            A_ub.append(row)  # sg * e >= 0
            b_ub.append(0)
        A_ub.append([-v for v in obj])
        b_ub.append(1)
        ctx.lps += 1
        val, d = _lp_free(obj, A_ub, b_ub, A_eq, b_eq)
        if -val > 0:
            return False, (f"not strict: on the piece with sides {list(sides)} a cone direction "
                           "keeps q_P at its minimum (exact LP); witness: a nearby point with "
                           "the same loss"), _witness(ctx, units, side_of, beta, mu, c, d)
    return True, ("strict: on every adjacent piece the only tangent-cone direction with "
                  "A_P d = 0 and g_P . d = 0 is d = 0 (exact LP)"), None


def _witness(ctx: _Ctx, units: list, side_of: dict, beta: list[Fraction], mu: list[Fraction],
             c: Fraction, d: list[Fraction]) -> Spline:
    """phi^-1(u* + t d) for the largest t = 2^-k keeping every unit in its place or side."""
    t = F(1)
    for _ in range(200):
        nb, nm, ok, a = [], [], True, 0
        for i, (_s, place, _) in enumerate(units):
            m = mu[i] + t * d[a]
            if m == 0 or (m > 0) != (mu[i] > 0):
                ok = False
            elif place[0] == "gap":
                b = (mu[i] * beta[i] + t * d[a + 1]) / m
                lo, hi = ctx.gap(place[1])
                ok = ok and (lo is None or lo < b) and (hi is None or b < hi)
            else:
                b = beta[i] + t * d[a + 1] / m
                # on the chosen side of x_m, and not past the neighbouring data point
                lo, hi = ctx.gap(place[1] if side_of[i] == "left" else place[1] + 1)
                if side_of[i] == "left":
                    ok = ok and b <= beta[i] and (lo is None or lo < b)
                else:
                    ok = ok and b >= beta[i] and (hi is None or b < hi)
            if not ok:
                break
            nb.append(b)
            nm.append(m)
            a += 2
        if ok:
            return Spline([_q(v) for v in nb], [_q(v) for v in nm], tuple(u[0] for u in units),
                          _q(c + t * d[a]))
        t /= 2
    raise AssertionError("no witness step found")  # pragma: no cover - t -> 0 always works
