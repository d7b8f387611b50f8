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

**Leaky ReLU** (``negative_slope`` = alpha in [0, 1), exact; theory §7.4). Unit i contributes
g_i(n) s_i (mu_i x_n - nu_i) with g_i = 1 on A_i and alpha off it, still linear in (mu, nu, c), so
everything above holds with every residual sum taken with the gains: the design columns are
g_i s_i x and -g_i s_i (:func:`_unit_columns`); for mu_i != 0, sum_n g_i r_n = 0 and
sum_n g_i r_n x_n = 0; for mu_i = 0, sum_n g_i r_n (x_n - beta_i) = 0; rho_i = -s_i sum_n g_i r_n;
the one-sided beta_i derivatives at a kink differ by (1 - alpha) mu_i r_m / N. No unit is dead: a
unit with no sample on its active side is the line alpha s_i mu_i (x - beta_i), live or zero like
any other. The Hessians come from the model protocol (``line_derivatives``,
``line_second_derivatives``) with the same gains. alpha = 0 is the ReLU enumeration unchanged.

**Weight decay** (``weight_decay`` = lambda > 0, objective L + (lambda/2)||theta||^2 in network
parameters): :func:`decay_critical_points`. Proved: every critical point has each unit balanced or
zero; the zero network is critical and is decided exactly by D = max |h(w,b)|/(N ||(w,b)||)
against lambda (:func:`decay_dual`); on every closed piece the orbit-reduced objective
q(mu, nu, c) + lambda sum_i ||(mu_i, nu_i)|| + lambda c^2/2 is convex, so a critical point with
every unit non-zero and no kink of maximum type is a local minimum. Tested: the non-zero critical
points themselves (multistart search, Newton polish, float decisions). Never claimed complete.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy as sp

from .data import Dataset
from .errors import DataError, DegenerateUnitError, ParameterError, SizeError
from .numbers import kind_of, to_sympy
from .params import Network, Spline, weight_decay_value
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
    negative_slope: sp.Rational = sp.Integer(0)

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
            "H": self.H, "N": self.N, **exact_fields("negative_slope", self.negative_slope),
            "weight_decay": 0.0, "weight_decay_exact": "0", "level": "proved",
            "patterns_visited": self.patterns_visited,
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

    Built from the model protocol of the point in each parameterization (the spline and its
    network representative w_i = s_i, b_i = -s_i beta_i, v_i = mu_i, same ``negative_slope``):
    J_{n,a} = g_u(n) (p_a + q_a x_n) from ``line_derivatives`` (g_u = 1 on the unit's active set
    and alpha off it, g = 1 for c) and R_{ab} = sum_n r_n g_u(n) (alpha_ab + gamma_ab x_n) from
    ``line_second_derivatives``. Spline: R has only R[beta_i, mu_i] = rho_i = -s_i sum_n g_i r_n.
    """
    s = [u[0] for u in units]
    alpha = ctx.alpha_sym
    spline = Spline([_q(b) for b in beta], [_q(m) for m in mu], tuple(s), 0, alpha)
    net = Network([sp.Integer(si) for si in s], [_q(-si * bi) for si, bi in zip(s, beta, strict=True)],
                  [_q(m) for m in mu], 0, alpha)
    gains = [ctx.gains(u[0], u[1]) for u in units]
    return _protocol_hessian(ctx, spline, gains, r), _protocol_hessian(ctx, net, gains, r)


def _protocol_hessian(ctx: _Ctx, params: Spline | Network, gains: list[list[Fraction]],
                      r: tuple[Fraction, ...]) -> list[list[Fraction]]:
    """(J^T J + R) / N over Q from ``params.line_derivatives`` and ``line_second_derivatives``."""
    N, x = ctx.N, ctx.x
    ones = [F(1)] * N
    cols = []
    for unit, p, q in params.line_derivatives():
        g = ones if unit is None else gains[unit]
        pf, qf = _frac(sp.Rational(p)), _frac(sp.Rational(q))
        cols.append([g[n] * (pf + qf * x[n]) for n in range(N)])
    P = len(cols)
    Hm = [[sum((a * b for a, b in zip(cols[i], cols[j], strict=True)), F(0)) for j in range(P)]
          for i in range(P)]
    for a, b, unit, al, ga in params.line_second_derivatives():
        g = gains[unit]
        alf, gaf = _frac(sp.Rational(al)), _frac(sp.Rational(ga))
        v = sum((r[n] * g[n] * (alf + gaf * x[n]) for n in range(N)), F(0))
        Hm[a][b] += v
        Hm[b][a] += v
    return [[v / N for v in row] for row in Hm]


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


def _unit_columns(s: int, place: tuple[str, int], gain: list[Fraction],
                  x: list[Fraction]) -> list[list[Fraction]]:
    """Design columns of one live unit: (mu, nu = mu beta) in a gap, mu alone on a data point x_m.

    f(x_n) gains g(n) s (mu x_n - nu) in a gap, with g = 1 on the active samples and alpha (the
    leaky slope; 0 for the ReLU) off them; on a data point the breakpoint is fixed, so the unit
    contributes g(n) s mu (x_n - x_m) and has one coefficient.
    """
    N = len(x)
    if place[0] == "gap":
        return [[s * gain[n] * x[n] for n in range(N)], [-s * gain[n] for n in range(N)]]
    xm = x[place[1]]
    return [[s * gain[n] * (x[n] - xm) for n in range(N)]]


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


def _states(N: int, leaky: bool = False) -> list[tuple[int, tuple[str, int], str]]:
    """Per-unit base states (s, place, role) with role 'live' (mu != 0), 'zero' or 'dead'.

    A ReLU unit active on no sample is dead (one state whatever mu is); a leaky unit never is:
    with no sample on its active side it contributes the line alpha s mu (x - beta) everywhere.
    """
    out = []
    for s in (1, -1):
        for k in range(N + 1):
            dead = not leaky and ((s > 0 and k == N) or (s < 0 and k == 0))
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
def critical_points(data: Dataset, H: int, *, negative_slope: object = 0,
                    weight_decay: object = 0,
                    progress: Callable[[int, int], None] | None = None,
                    starts: int = 60, seed: int = 0) -> CriticalReport | DecayReport:
    """Every Clarke-stationary point of the loss of a width-H network on exact data, classified.

    See the module docstring for the cells, the stationarity conditions, the exact LP and the
    classification. Families are listed up to permutation of units, each with its multiplicity.
    The leaky ReLU (``negative_slope`` = alpha > 0) is decided by the same exact procedure with
    every residual sum taken with the unit's gains g_i(n) (1 on A_i, alpha off it).

    With ``weight_decay`` = lambda > 0 the objective is L + (lambda/2) ||theta||^2 and the answer
    is a :class:`DecayReport` from :func:`decay_critical_points` (its own levels: proved, tested,
    undecided; ``starts`` and ``seed`` are its multistart settings).

    Parameters
    ----------
    data
        Exact (rational) samples.
    H
        Width of the network.
    negative_slope
        alpha in [0, 1), an exact rational (0: the ReLU).
    weight_decay
        lambda >= 0 (0: the plain squared loss, decided exactly here).
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
        If H is not a positive integer, or alpha is not an exact rational in [0, 1).
    SizeError
        If H > 3 or N exceeds the limit for H (H = 1: 40, H = 2: 8, H = 3: 5), with an estimate.
    """
    lam = weight_decay_value(weight_decay)
    if lam != 0:
        return decay_critical_points(data, H, lam, negative_slope=negative_slope, starts=starts,
                                     seed=seed)
    alpha = _exact_slope(negative_slope)
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
    ctx = _Ctx(H, N, x, y, data, alpha)
    states = _states(N, leaky=alpha != 0)
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
        "in beta_i differ by (1 - alpha) mu_i r_m / N",
    )
    if alpha != 0:
        notes += (f"leaky ReLU, alpha = {alpha}: unit i contributes g_i(n) s_i mu_i (x_n - beta_i) "
                  "with g_i = 1 on A_i and alpha off it; no unit is dead, and every residual sum "
                  "of theory §2.4 and 3.2 is taken with these gains (exact over Q)",)
    return CriticalReport(H, N, interior, at_kinks, math.comb(2 * (N + 1) + H - 1, H),
                          len(combos), ctx.lps, undecided, notes, _q(alpha))


def _exact_slope(alpha: object) -> Fraction:
    """The leaky slope as a Fraction in [0, 1); exact rationals only (the decision is over Q)."""
    if isinstance(alpha, bool) or isinstance(alpha, float) or kind_of(alpha) != "exact":
        raise ParameterError(
            f"exact critical points need an exact rational negative_slope (e.g. 1/10), "
            f"got {alpha!r}")
    a = _frac(to_sympy(alpha))
    if a is None or not (0 <= a < 1):
        raise ParameterError(f"negative_slope must be a rational in [0, 1), got {alpha}")
    return a


def _frac(v: object) -> Fraction | None:
    if not isinstance(v, sp.Rational):
        return None
    return F(int(v.p), int(v.q))


def _q(v: Fraction) -> sp.Rational:
    return sp.Rational(v.numerator, v.denominator)


class _Ctx:
    """Data and caches shared by all cells of one enumeration."""

    def __init__(self, H: int, N: int, x: list[Fraction], y: list[Fraction],
                 data: Dataset, alpha: Fraction | int = 0) -> None:
        self.H, self.N, self.x, self.y, self.data = H, N, x, y, data
        self.alpha = F(alpha)
        self.alpha_sym = _q(self.alpha)
        self.cache: dict = {}
        self._gains: dict = {}
        self.lps = 0
        self.t_lp = 0.0

    def gains(self, s: int, place: tuple[str, int], side: str = "") -> list[Fraction]:
        """g(n): 1 on the unit's active samples (:func:`_active`), alpha (leaky slope) off them."""
        key = (s, place, side)
        if key not in self._gains:
            act = set(_active(s, place, self.N, side))
            self._gains[key] = [F(1) if n in act else self.alpha for n in range(self.N)]
        return self._gains[key]

    def wsum(self, r: tuple[Fraction, ...], g: list[Fraction],
             weight: Callable[[int], Fraction] | None = None) -> Fraction:
        """sum_n g(n) r_n (times weight(n)): a residual sum over a unit's (leaky) active set."""
        if weight is None:
            return sum((gn * rn for gn, rn in zip(g, r, strict=True) if gn != 0), F(0))
        return sum((g[n] * r[n] * weight(n) for n in range(self.N) if g[n] != 0), F(0))

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
            x = self.x
            cols = []
            for s, place in live:
                cols.extend(_unit_columns(s, place, self.gains(s, place), x))
            cols.append([F(1)] * self.N)
            self.cache[live] = _lstsq(cols, self.y)
        return self.cache[live]


def _cell(ctx: _Ctx, units: list[tuple[int, tuple[str, int], str]]) -> list[CriticalPoint]:
    """All families in one cell (a multiset of unit states), over the sign vectors of live mu."""
    H, x = ctx.H, ctx.x
    live_idx = [i for i, u in enumerate(units) if u[2] == "live"]
    live_key = tuple((units[i][0], units[i][1]) for i in live_idx)
    ls = ctx.lsq(live_key)
    r = ls.r

    # Conditions on r alone (constant on the cell): decide them before any sign vector. Residual
    # sums run over the unit's active set with gain 1 and over the rest with gain alpha.
    beta_fixed: dict[int, Fraction] = {}
    free_beta: list[int] = []
    for i, (s, place, role) in enumerate(units):
        if role == "zero":
            g = ctx.gains(s, place)
            if place[0] == "gap":
                sr, srx = ctx.wsum(r, g), ctx.wsum(r, g, lambda n: x[n])
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
                if ctx.wsum(r, g, lambda n, xm=xm: x[n] - xm) != 0:
                    return []
        elif role == "live" and place[0] == "point":
            sl = ctx.wsum(r, ctx.gains(s, place, "left"))
            sr_ = ctx.wsum(r, ctx.gains(s, place, "right"))
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
    spline = Spline([_q(b) for b in beta], [_q(m) for m in mu], s_vec, _q(c), ctx.alpha_sym)
    loss = _q(sum((v * v for v in ls.r), F(0)) / (2 * N))
    dim = ntau + len(free_beta) + 2 * sum(1 for u_ in units if u_[2] == "dead")
    eqs, ins = _describe(ctx, units, signs, live_idx, ls, beta_fixed, free_beta)
    mult = _multiplicity(units, signs)
    sgn = tuple(None if u_[2] == "dead" else signs[i] for i, u_ in enumerate(units))
    kind, expl, direction, order, one_sided, witness = _classify(ctx, units, sgn, ls.r, beta, mu,
                                                                 c, dim)
    rho = tuple(_q(-s * ctx.wsum(ls.r, ctx.gains(s, p))) if p[0] == "gap"
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

    one_sided = []
    reasons_min = []
    for i, (s, place, role) in enumerate(units):
        if role == "live" and place[0] == "point":
            dl = _q(-s * mu[i] * ctx.wsum(r, ctx.gains(s, place, "left")) / N)
            dr = _q(-s * mu[i] * ctx.wsum(r, ctx.gains(s, place, "right")) / N)
            one_sided.append((i, dl, dr))
    # 1. mu_i = 0 in an open gap with sum_n g_i r != 0: theory §3.2, second order.
    for i, (s, place, role) in enumerate(units):
        if role == "zero" and place[0] == "gap":
            gi = ctx.gains(s, place)
            sr = ctx.wsum(r, gi)
            if sr != 0:
                g = -s * sr / N  # rho_i / N: the (beta_i, mu_i) entry of the Hessian
                a = sum((gi[n] ** 2 * (x[n] - beta[i]) ** 2 for n in range(N)), F(0)) / N
                d = [F(0)] * (2 * H + 1)
                d[H + i] = F(1)
                d[i] = -(a + 1) / (2 * g)
                rs = f"sum_(A_{i + 1}) r" if ctx.alpha == 0 else f"sum_n g_{i + 1} r"
                expl = (f"theory §3.2: unit {i + 1} has mu = 0 and {rs} = {_q(sr)} "
                        f"!= 0; the (beta{i + 1}, mu{i + 1}) Hessian block [[0, g], [g, a]] with "
                        f"g = {_q(g)}, a = {_q(a)} has determinant -g^2 < 0: L(theta + t d) = "
                        "L - t^2/2 + O(t^3) along d")
                return KIND_SADDLE, expl, tuple(_q(v) for v in d), 2, tuple(one_sided), None
    # 2. mu_i = 0 on a data point with a non-zero residual sum on one side: second order.
    for i, (s, place, role) in enumerate(units):
        if role == "zero" and place[0] == "point":
            xm = x[place[1]]
            for side, bsign in (("left", -1), ("right", 1)):
                gs = ctx.gains(s, place, side)
                S = ctx.wsum(r, gs)
                if S != 0:
                    g = -s * S / N
                    a = sum((gs[n] ** 2 * (x[n] - xm) ** 2 for n in range(N)), F(0)) / N
                    b = bsign * (a + 1) / (2 * abs(g))
                    mdir = F(-1) if b * g > 0 else F(1)
                    d = [F(0)] * (2 * H + 1)
                    d[i], d[H + i] = b, mdir
                    gr = "r" if ctx.alpha == 0 else "g r"
                    expl = (f"unit {i + 1} has mu = 0 with its breakpoint on x{place[1] + 1}; on "
                            f"the {side} piece sum {gr} = {_q(S)} != 0, so moving beta{i + 1} "
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
            gain = ctx.gains(s, place, side_of.get(i, ""))
            cols.extend(_unit_columns(s, place, gain, x))
            if place[0] == "point":
                S = ctx.wsum(r, gain)
                cols.append([-s * gain[n] for n in range(N)])
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
                          _q(c + t * d[a]), ctx.alpha_sym)
        t /= 2
    raise AssertionError("no witness step found")  # pragma: no cover - t -> 0 always works



# ------------------------------------------------------------------ weight decay
#: Relative tolerance of the tested classification (Hessian eigenvalues, dual margin).
DECAY_TOL = 1e-7
LEVEL_PROVED = "proved"
LEVEL_TESTED = "tested"


@dataclass(frozen=True)
class DecayPoint:
    """One critical point of F = L + (lambda/2) ||theta||^2 (network parameters, every one decayed).

    ``network`` holds the point: every non-zero unit balanced (v^2 = w^2 + b^2), every other unit
    zero (w = b = v = 0). ``level`` is "proved" (exact point, exact decision) or "tested"
    (numerically converged point, float classification). ``gradient_bound`` is max |dF/dtheta_a|
    over the non-zero units and c, computed in exact rational arithmetic at the stored point (an
    a-posteriori check, not a proof that a critical point lies nearby). ``dual`` is
    D = max_{(w,b) != 0} |(1/N) sum_n r_n sigma(w x_n + b)| / ||(w, b)||, which decides the zero
    units: D < lambda keeps them at a local minimum, D > lambda opens a descent direction.
    """

    network: Network
    objective: object
    loss: object
    kind: str
    level: str
    reason: str
    zero_units: int
    balances: tuple[float, ...]
    gradient_bound: float | None
    hessian_min: float | None
    dual: float
    descent_direction: tuple | None = None
    found: int = 1

    def as_dict(self) -> dict:
        exact = self.level == LEVEL_PROVED
        vec = list(self.network.vector)
        out: dict = {"order": list(self.network.names), "type": self.kind, "level": self.level,
                     "reason": self.reason, "zero_units": self.zero_units}
        out.update(_num_fields("point", vec, exact))
        out.update(_num_fields("objective", self.objective, exact))
        out.update(_num_fields("loss", self.loss, exact))
        out["balances"] = [float(b) for b in self.balances]
        out["gradient_bound"] = self.gradient_bound
        if self.gradient_bound is None:
            out["gradient_bound_reason"] = (
                "an exact point: stationarity is proved" if exact else
                "the zero network: the unit derivatives vanish, dF/dc = 0 up to the rounding of c"
                if self.zero_units == self.network.H else
                "a breakpoint on a data point: the float point is not exactly on it")
        out["hessian_min_eigenvalue"] = self.hessian_min
        if self.hessian_min is None:
            out["hessian_min_eigenvalue_reason"] = (
                "no non-zero unit: decided by D alone" if self.zero_units == self.network.H
                else "decided exactly without a float Hessian")
        out["dual"] = float(self.dual)
        out["descent_direction"] = (None if self.descent_direction is None
                                    else [float(v) for v in self.descent_direction])
        if self.descent_direction is None:
            out["descent_direction_reason"] = (
                "a local minimum: no descent direction" if self.kind != KIND_UNDECIDED
                and self.kind != KIND_SADDLE else "undecided")
        elif exact:
            out["descent_direction_exact"] = [str(v) for v in self.descent_direction]
        out["found"] = self.found
        return out


@dataclass(frozen=True)
class DecayReport:
    """Critical points of L + (lambda/2) ||theta||^2 for a width-H network: what is decided.

    ``points[0]`` is the zero network (all units zero, c = mean(y) / (1 + lambda)): a critical
    point for every lambda, classified exactly (``level`` "proved") when data, lambda and alpha
    are rational. The rest come from a multistart search (``starts`` per number of non-zero
    units, ``seed``): numerically converged, classified by float Hessian eigenvalues and the dual
    bound, ``level`` "tested". ``complete`` is True only when every critical point was decided
    exactly (width 1, exact input, every cell settled); otherwise ``undecided`` says what is open.
    """

    H: int
    N: int
    weight_decay: object
    negative_slope: object
    points: tuple[DecayPoint, ...]
    starts: int
    seed: int
    undecided: tuple[str, ...]
    notes: tuple[str, ...]
    complete: bool = False

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.points:
            key = f"{p.kind} ({p.level})"
            out[key] = out.get(key, 0) + 1
        return out

    def as_dict(self) -> dict:
        return {"H": self.H, "N": self.N,
                **_num_fields("weight_decay", self.weight_decay, _is_exact(self.weight_decay)),
                **_num_fields("negative_slope", self.negative_slope,
                              _is_exact(self.negative_slope)),
                "objective": "L + (lambda/2) ||theta||^2 over all 3H + 1 network parameters",
                "complete": self.complete, "undecided": list(self.undecided),
                "starts": self.starts,
                "seed": self.seed, "counts": self.counts(), "notes": list(self.notes),
                "points": [p.as_dict() for p in self.points]}


def _is_exact(v: object) -> bool:
    return not isinstance(v, float) and kind_of(v) == "exact"


def _num_fields(name: str, value: object, exact: bool) -> dict:
    """``NAME`` as float(s), and ``NAME_exact`` as string(s) when the value is exact."""
    if isinstance(value, list | tuple):
        out = {name: [float(v) for v in value]}
        if exact:
            out[name + "_exact"] = [str(v) for v in value]
        return out
    return {name: float(value), **({name + "_exact": str(value)} if exact else {})}


def decay_dual(x: Sequence, r: Sequence, alpha: object) -> tuple[object, tuple]:
    """(N D)^2 and a maximiser (w, b) of h(w, b)^2 / (w^2 + b^2), h = sum_n r_n sigma(w x_n + b).

    sigma(z) = max(z, alpha z). h is positively homogeneous and linear on each closed cone of
    (w, b) where the active set {n : w x_n + b > 0} is a fixed prefix or suffix A:
    h = a_A . (w, b) with a_A = sum_n g_A(n) r_n (x_n, 1). Its maximum over a cone's unit arc is
    at a boundary ray (w, b) = +-(1, -x_m) or at +-a_A when that lies in the closed cone, so the
    maximum is one of finitely many candidates: exact for exact x, r and alpha (x sorted).
    """
    return max(_dual_candidates(x, r, alpha), key=lambda c: c[0])


def _dual_candidates(x: Sequence, r: Sequence, alpha: object) -> list[tuple[object, tuple]]:
    """Every candidate (h(u)^2 / |u|^2, u) of :func:`decay_dual` (u non-zero)."""
    N = len(x)
    one = 1 if _is_exact(alpha) and all(_is_exact(v) for v in x) else 1.0

    def h(w: object, b: object) -> object:
        tot = 0 * one
        for xn, rn in zip(x, r, strict=True):
            z = w * xn + b
            tot += rn * (z if z > 0 else alpha * z)
        return tot

    out: list[tuple[object, tuple]] = [(0 * one, (one, 0 * one))]
    for xm in x:
        for u in ((one, -xm), (-one, xm)):
            out.append((h(*u) ** 2 / (u[0] ** 2 + u[1] ** 2), u))
    tot_r = sum(r, 0 * one)
    tot_rx = sum((rn * xn for rn, xn in zip(r, x, strict=True)), 0 * one)
    for k in range(N + 1):
        for act in (range(k, N), range(0, k)):
            sr = sum((r[n] for n in act), 0 * one)
            srx = sum((r[n] * x[n] for n in act), 0 * one)
            a = (alpha * tot_rx + (1 - alpha) * srx, alpha * tot_r + (1 - alpha) * sr)
            if a[0] == 0 and a[1] == 0:
                continue
            for u in (a, (-a[0], -a[1])):
                if all((u[0] * x[n] + u[1] >= 0) if n in act else (u[0] * x[n] + u[1] <= 0)
                       for n in range(N)):
                    out.append((a[0] ** 2 + a[1] ** 2, u))
    return out


def decay_critical_points(data: Dataset, H: int, weight_decay: object, *,
                          negative_slope: object = 0, starts: int = 60, seed: int = 0
                          ) -> DecayReport:
    """Critical points of F = L + (lambda/2) ||theta||^2 (network parameters), honestly levelled.

    What is decided (the penalty as in :mod:`symspline.evaluation`; theory §1.5 and §7.5):

    - **Balance (proved).** At a critical point <grad F, (w_i, b_i, -v_i)> = lambda (w_i^2 + b_i^2
      - v_i^2) = -lambda delta_i (the loss term vanishes by theory §1.3), so every unit is
      balanced; a unit with v_i = 0 then has w_i = b_i = 0 (zero unit), and a zero unit is
      stationary in its own parameters (every generalized derivative carries a factor v_i or
      sigma(0) = 0).
    - **The zero network (proved for rational input).** theta = (0, ..., 0, c0) with
      c0 = mean(y) / (1 + lambda) is critical. Near it F - F0 = (1 + lambda) dc^2 / 2 + sum_i
      [lambda/2 (|u_i|^2 + v_i^2) + v_i h(u_i) / N] + higher order, u_i = (w_i, b_i), with
      h(u) = sum_n r_n sigma(u . (x_n, 1)). With D = max |h(u)| / (N |u|) (:func:`decay_dual`,
      exact): D < lambda gives a strict local minimum (each bracket >= (lambda - D)/2 |.|^2);
      D > lambda a saddle, descent direction u = the maximiser, v = -sign(h) |h| / (N lambda),
      along which F - F0 = t^2 (lambda |u|^2 / 2 - h^2 / (2 N^2 lambda)) + O(t^4) < 0; D = lambda
      is reported undecided.
    - **Every breakpoint on a data point (proved, rational input).** Each cell placing the
      non-zero units on distinct (orientation, data point) states, with every sign vector
      (:func:`_kink_cells`, at most ``MAX_KINK_CELLS``), is decided by
      :func:`_certify_kink_point`: exact in Q(sqrt(1 + x_m^2)); cells it cannot settle are counted
      in ``undecided``.
    - **Non-zero critical points (tested).** For every number k = 1..H of non-zero units, a
      multistart search (``starts`` BFGS runs and ``starts`` Newton root searches from random
      points, then Newton polishing on the pattern Hessian) finds width-k critical points; each
      is padded with H - k zero units (still critical, by the balance argument). Classified by
      the float Hessian of F on the non-zero part (eigenvalues beyond a relative 1e-7) and, for
      the zero units, by D against lambda; a saddle's descent direction is checked by evaluating
      F. The gradient is re-evaluated exactly at the stored point (``gradient_bound``).
      Nothing says the search found every critical point: ``undecided`` always says so.

    Parameters
    ----------
    data
        Samples (float or exact).
    H
        Width.
    weight_decay
        lambda > 0.
    negative_slope
        alpha in [0, 1) (0: the ReLU).
    starts, seed
        Multistart size (per number of non-zero units and per method) and seed.

    Returns
    -------
    DecayReport
    """
    from .calculus import gradient as closed_gradient
    from .calculus import hessian as closed_hessian

    lam = weight_decay_value(weight_decay)
    if lam == 0:
        raise ParameterError("weight_decay must be > 0 here; use critical_points for lambda = 0")
    if kind_of(lam) == "symbolic" or data.kind == "symbolic":
        raise ParameterError("critical points with weight decay need numeric data and lambda")
    if isinstance(H, bool) or not isinstance(H, int) or H < 1:
        raise ParameterError(f"width H must be a positive integer, got {H!r}")
    if isinstance(starts, bool) or not isinstance(starts, int) or not 0 <= starts <= 100_000:
        raise ParameterError(f"starts must be an integer in 0..100000, got {starts!r}")
    probe = Network([0], [0], [0], 0, negative_slope)  # validates alpha in [0, 1)
    alpha = probe.negative_slope
    N = data.n
    exact_in = data.kind == "exact" and _is_exact(lam) and _is_exact(alpha)
    points = [_decay_origin(data, H, lam, alpha, exact_in)]
    undecided = [] if points[0].kind != KIND_UNDECIDED else [
        "the zero network: D = lambda exactly, the second-order test is inconclusive"]
    fdata = data.as_float()
    xf, yf = np.asarray(fdata.x, dtype=float), np.asarray(fdata.y, dtype=float)
    lamf, alf = float(lam), float(alpha)
    scale = max(1.0, float(np.max(np.abs(xf))), float(np.max(np.abs(yf))))
    rng = np.random.default_rng(seed)

    def objective(net: Network) -> float:
        r = net(xf) - yf
        return float(r @ r / (2 * N) + lamf * (net.vector @ net.vector) / 2)

    def grad(net: Network, pattern: Pattern | None) -> np.ndarray:
        return (np.asarray(closed_gradient(net, fdata, pattern=pattern), dtype=float)
                + np.asarray(net.decay(lamf).gradient, dtype=float))

    def hess(net: Network, pattern: Pattern | None) -> np.ndarray:
        return (np.asarray(closed_hessian(net, fdata, pattern=pattern), dtype=float)
                + np.asarray(net.decay(lamf).hessian, dtype=float))

    found: dict[tuple, list] = {}
    for k in range(1, H + 1):
        template = Network(np.ones(k), np.zeros(k), np.ones(k), 0.0, alf)
        for start in range(2 * starts):
            theta0 = rng.standard_normal(3 * k + 1) * np.r_[np.full(2 * k, 1.0),
                                                            np.full(k, scale), scale]
            got = _decay_search(template, theta0, grad, hess, objective, xf,
                                newton_only=start >= starts)
            if got is None:
                continue
            key = _merged_key(*got)
            if key in found:
                found[key][2] += 1
            else:
                found[key] = [*got, 1]
    tested = []
    rejected = 0
    n_cells = sum(math.comb(2 * N, k) * 2 ** k for k in range(1, H + 1)) if exact_in else 0
    kink_cells = _kink_cells(N, H) if exact_in and n_cells <= MAX_KINK_CELLS else []
    settled: dict[tuple, DecayPoint | None] = {}
    unsettled = 0
    if n_cells <= MAX_KINK_CELLS:
        for cell in kink_cells:
            got = _certify_kink_point(data, lam, alpha, *cell, H)
            if got is None:
                unsettled += 1
            else:
                settled[cell] = (None if got[0] == _REJECT else
                                 _proved_point(got, len(cell[0]), H, alpha, "exact enumeration "
                                               "of the cells with every breakpoint on a data "
                                               "point", None, 0, data))
    for net, kinks, count in found.values():
        if len(kinks) == net.H and exact_in:
            cell = _kink_cell(net, kinks)
            if cell in settled:  # decided exactly above: the float point adds nothing
                if settled[cell] is None:
                    rejected += 1
                else:
                    settled[cell] = dataclasses.replace(settled[cell],
                                                        found=settled[cell].found + count)
                continue
        pt = _decay_classify(net, kinks, count, H, fdata, data, lam, lamf, alf, grad, hess,
                             objective)
        if pt is not None and exact_in and len(kinks) == net.H:
            got = _certify_kink_point(data, lam, alpha, *_kink_cell(net, kinks), H)
            if got is not None and got[0] == _REJECT:
                rejected += 1
                continue
            if got is not None:
                pt = _proved_point(got, net.H, H, alpha, f"found by {count} start(s) of the "
                                   "search", pt, count, data)
        if pt is not None:
            tested.append(pt)
    tested += [p for p in settled.values() if p is not None]
    complete = False
    if exact_in and H == 1 and n_cells <= MAX_KINK_CELLS:
        tested, complete = _width_one_gaps(data, lam, alpha, tested, undecided)
        complete = complete and unsettled == 0 and points[0].kind != KIND_UNDECIDED
    tested.sort(key=lambda p: (float(p.objective), -p.zero_units))
    points += tested
    undecided += [f"point {j + 2} ({p.kind}): {p.reason}" for j, p in enumerate(tested)
                  if p.kind == KIND_UNDECIDED]
    if exact_in and n_cells > MAX_KINK_CELLS:
        undecided.append(f"{_about(n_cells)} cells with every non-zero breakpoint on a data "
                         f"point: not enumerated exactly (limit {MAX_KINK_CELLS})")
    elif exact_in and unsettled:
        undecided.append(
            f"{unsettled} of the {n_cells} cells with every non-zero breakpoint on a data "
            "point (distinct placements, each sign) are not settled exactly (a family of "
            "stationary points, a one-sided derivative 0, or D = lambda); the other cells are "
            "complete: every critical point in them is listed as proved")
    if not complete:
        undecided.append(
            f"completeness: the search ({starts} BFGS and {starts} Newton starts per number of "
            f"non-zero units, seed {seed}) may miss critical points, and units with w_i = 0, "
            "b_i != 0 (constant on the data) are not searched; an exact enumeration is done for "
            "width 1 only (several units in open gaps need a polynomial system in several "
            "sqrt(1 + beta_i^2))")
    notes = (
        "objective F = L + (lambda/2) ||theta||^2 over all 3H + 1 network parameters "
        "(torch.optim weight_decay); in spline coordinates its orbit minimum is "
        "L + lambda sum_i |mu_i| sqrt(1 + beta_i^2) + lambda c^2 / 2",
        "proved: at every critical point each unit is balanced (v^2 = w^2 + b^2) or zero; the zero "
        "network is critical, and its type is decided exactly by D against lambda",
        "tested: the non-zero critical points (numerically converged; float Hessian eigenvalues; "
        "gradient re-evaluated exactly at the stored point), except those with every non-zero "
        "breakpoint on a data point, which are re-solved exactly in Q(sqrt(1 + x_m^2)) and "
        "then proved (level 'proved') when the exact test settles them",
        "on a fixed pattern the orbit-reduced objective is convex in (mu, nu = mu beta, c) "
        "(q + lambda sum_i ||(mu_i, nu_i)|| + lambda c^2/2, a group lasso), so a critical point "
        "with every breakpoint strictly inside a gap and every unit non-zero is a local minimum; "
        "saddles need a zero unit or a breakpoint on a data point",
    )
    if exact_in and not unsettled and n_cells <= MAX_KINK_CELLS:
        notes += (f"all {n_cells} cells with every non-zero breakpoint on a data point "
                  "(distinct placements, each sign) are settled exactly: every critical point "
                  "in them is listed as proved",)
    if rejected:
        # decided, not undecided: the exact test refuted these numeric candidates
        notes += (f"{rejected} numerically converged point(s) with every breakpoint on a data "
                  "point were dropped: the exact test shows their cell holds no critical point "
                  "with those signs",)
    if complete:
        notes += ("complete (width 1, exact input): the zero network, every cell with the "
                  "breakpoint on a data point, every open-gap cell and the units with w = 0 are "
                  "all decided exactly; every critical point is listed at level 'proved' and the "
                  "search only cross-checks them",)
    return DecayReport(H, N, lam, alpha, tuple(points), starts, seed, tuple(undecided), notes,
                       complete)


def _decay_origin(data: Dataset, H: int, lam: object, alpha: object, exact: bool) -> DecayPoint:
    """The zero network, with the exact (or float) second-order decision by D against lambda."""
    N = data.n
    if exact:
        x, y = list(data.x), list(data.y)
        c0 = sp.Add(*y) / N / (1 + lam)
        zero = sp.Integer(0)
    else:
        x = [float(v) for v in data.x]
        y = [float(v) for v in data.y]
        lam, alpha = float(lam), float(alpha)
        c0 = sum(y) / N / (1 + lam)
        zero = 0.0
    r = [c0 - yn for yn in y]
    loss = sum((rn * rn for rn in r), zero) / (2 * N)
    obj = loss + lam * c0 * c0 / 2
    M, u = decay_dual(x, r, alpha)
    D = math.sqrt(float(M)) / N
    net = Network([zero] * H, [zero] * H, [zero] * H, c0, alpha)
    level = LEVEL_PROVED if exact else LEVEL_TESTED
    cmp = M - (N * lam) ** 2
    if not exact and abs(float(cmp)) <= DECAY_TOL * max(1.0, float((N * lam) ** 2)):
        cmp = 0
    common = (f"the zero network with c = mean(y)/(1 + lambda) = {c0} is critical (every "
              "unit's generalized derivatives carry v_i = 0 or sigma(0) = 0; "
              "dF/dc = mean(r) + lambda c = 0); D = max |h(w,b)|/(N ||(w,b)||) = "
              f"{D:.10g} (D^2 N^2 = {M}) against lambda = {lam}")
    if cmp < 0:
        return DecayPoint(net, obj, loss, KIND_STRICT_MIN, level, common + ": D < lambda, so "
                          "F - F0 >= (1 + lambda) dc^2/2 + (lambda - D)/2 ||unit||^2 + higher "
                          "order: a strict local minimum", H, (), None, None, D)
    if cmp > 0:
        hu = _h_value(x, r, alpha, u)
        kv = abs(hu) / (N * lam)
        v = -kv if hu > 0 else kv
        d = [zero] * (3 * H + 1)
        d[0], d[H], d[2 * H] = u[0], u[1], v
        q2 = lam * (u[0] ** 2 + u[1] ** 2) / 2 - hu * hu / (2 * N * N * lam)
        return DecayPoint(net, obj, loss, KIND_SADDLE, level, common + ": D > lambda, so along "
                          f"d (unit 1: (w, b) = {tuple(u)}, v = {v}) F(theta + t d) = F + "
                          f"{q2} t^2 + O(t^4) with {q2} < 0 (and d^2F/dc^2 = 1 + lambda > 0): "
                          "a saddle", H, (), None, None, D, tuple(d))
    return DecayPoint(net, obj, loss, KIND_UNDECIDED, level, common + ": D = lambda, the "
                      "second-order test is inconclusive", H, (), None, None, D)


def _h_value(x: Sequence, r: Sequence, alpha: object, u: tuple) -> object:
    tot = 0
    for xn, rn in zip(x, r, strict=True):
        z = u[0] * xn + u[1]
        tot += rn * (z if z > 0 else alpha * z)
    return tot


def _kink_pattern(net: Network, xf: np.ndarray, kinks: dict[int, int],
                  inactive: int | None = None) -> Pattern:
    """The pattern of a float point whose units in ``kinks`` have beta_i = x_m exactly: sample m
    counted active for unit i (inactive for the unit ``inactive``); other units by position."""
    from .regions import Pattern as _Pattern

    s, k = [], []
    for i in range(net.H):
        if net.w[i] == 0:
            raise DegenerateUnitError(i)
        si = 1 if net.w[i] > 0 else -1
        if i in kinks:
            m = kinks[i]
            active = i != inactive
            k.append((m if active else m + 1) if si > 0 else (m + 1 if active else m))
        else:
            k.append(int(np.searchsorted(xf, -net.b[i] / net.w[i], side="left")))
        s.append(si)
    return _Pattern(s, k, len(xf))


def _embedding(net: Network, xf: np.ndarray, kinks: dict[int, int]) -> np.ndarray:
    """E with theta = E theta_red on {b_i = -w_i x_m : i in kinks} (linear, so no curvature term)."""
    H = net.H
    P = 3 * H + 1
    keep = [a for a in range(P) if not (H <= a < 2 * H and (a - H) in kinks)]
    E = np.zeros((P, len(keep)))
    for j, a in enumerate(keep):
        E[a, j] = 1.0
        if a < H and a in kinks:
            E[H + a, j] = -xf[kinks[a]]
    return E


def _decay_search(template: Network, theta0: np.ndarray, grad: Callable, hess: Callable,
                  objective: Callable, xf: np.ndarray, newton_only: bool
                  ) -> tuple[Network, dict[int, int]] | None:
    """One start: BFGS on F (or none), then Newton on grad F = 0 with the breakpoints found near
    a data point held on it (b_i = -w_i x_m; within 1e-5, else a quarter or half of the smallest
    spacing, tried in turn); None unless converged to a point with every unit non-zero and
    max |reduced grad F| <= 1e-10 (relative)."""
    from scipy.optimize import minimize

    from .errors import KinkError

    def fg(th: np.ndarray) -> tuple[float, np.ndarray]:
        net = template.with_vector(th)
        try:
            return objective(net), grad(net, None)
        except (KinkError, DegenerateUnitError):
            th2 = th + 1e-9 * np.arange(1, th.size + 1)
            return objective(template.with_vector(th2)), grad(template.with_vector(th2), None)

    theta = np.asarray(theta0, dtype=float)
    H = template.H
    span = max(1.0, float(np.max(np.abs(xf))))
    spacing = float(np.min(np.diff(xf))) if xf.size > 1 else 1.0
    try:
        if not newton_only:
            # BFGS, restarted while it improves (it stalls at kinks; L-BFGS-B's Fortran BLAS
            # calls spin threads on problems this small and cost milliseconds per step)
            last = math.inf
            for _ in range(8):
                res = minimize(fg, theta, jac=True, method="BFGS",
                               options={"maxiter": 1000, "gtol": 1e-10})
                theta = res.x
                if res.fun > last - 1e-13 * max(1.0, abs(last)):
                    break
                last = res.fun
        net = template.with_vector(theta)
        if np.any(net.w == 0):
            return None
    except (KinkError, ParameterError):
        return None
    beta = -net.b / net.w
    near = [int(np.argmin(np.abs(xf - bi))) for bi in beta]
    dist = [abs(xf[m] - bi) for m, bi in zip(near, beta, strict=True)]
    # breakpoints held on data points: those within 1e-5, then (further tries) those within a
    # quarter and a half of the smallest spacing -- descent stalls short of a kink it rests on
    tries = []
    for tol in (1e-5 * span, 0.25 * spacing, 0.5 * spacing):
        kinks = {i: near[i] for i in range(H) if dist[i] <= tol}
        if kinks not in tries:
            tries.append(kinks)
    if newton_only:  # Newton starts also try every unit held on its nearest data point
        tries.append(dict(enumerate(near)))
    for kinks in tries:
        got = _newton(template, theta, kinks, grad, hess, xf, 40 if newton_only else 20)
        if got is not None:
            break
    else:
        return None
    net, g = got
    theta = net.vector
    if np.max(np.abs(g)) > 1e-10 * max(1.0, float(np.max(np.abs(theta)))):
        return None
    if np.any(np.abs(np.c_[net.w, net.b, net.v]).max(axis=1) < 1e-6):
        return None  # a unit collapsed to zero: that point is found with fewer units
    return net, kinks


def _newton(template: Network, theta: np.ndarray, kinks: dict[int, int], grad: Callable,
            hess: Callable, xf: np.ndarray, steps: int) -> tuple[Network, np.ndarray] | None:
    """Newton on the reduced gradient E^T grad F (E: :func:`_embedding`) from ``theta`` projected
    onto {b_i = -w_i x_m : i in kinks}; (point, reduced gradient) or None on failure."""
    from .errors import KinkError

    try:
        net = template.with_vector(theta)
        E = _embedding(net, xf, kinks)
        red = np.linalg.lstsq(E, theta, rcond=None)[0]
        for _ in range(steps):
            net = template.with_vector(E @ red)
            pat = _kink_pattern(net, xf, kinks)
            g = E.T @ grad(net, pat)
            if np.max(np.abs(g)) <= 1e-13 * max(1.0, float(np.max(np.abs(red)))):
                return net, g
            red = red - np.linalg.lstsq(E.T @ hess(net, pat) @ E, g, rcond=None)[0]
            if not np.all(np.isfinite(red)) or np.max(np.abs(red)) > 1e8:
                return None
        net = template.with_vector(E @ red)
        return net, E.T @ grad(net, _kink_pattern(net, xf, kinks))
    except (KinkError, np.linalg.LinAlgError, ParameterError):  # incl. DegenerateUnitError
        return None


def _decay_classify(net: Network, kinks: dict[int, int], count: int, H: int, fdata: Dataset,
                    data: Dataset, lam: object, lamf: float, alf: float, grad: Callable,
                    hess: Callable, objective: Callable) -> DecayPoint | None:
    """Pad a width-k point with zero units and classify it (float; level "tested").

    Breakpoints on data points (``kinks``): F is smooth on {b_i = -w_i x_m}; the point must be
    stationary there, and along the normal n = (x_m, 1) of unit i the one-sided derivatives are
    a_act = g_act . n (sample m active) and -a_in (inactive): Clarke-stationary iff
    a_act a_in <= 0; a minimum needs a_act > 0 > a_in, the reverse order is a descent.
    Returns None when the point is not Clarke-stationary (same signs).
    """
    from .errors import KinkError
    from .evaluation import evaluate

    k, N = net.H, fdata.n
    xf, yf = np.asarray(fdata.x, dtype=float), np.asarray(fdata.y, dtype=float)
    z = H - k
    full = Network(np.r_[net.w, np.zeros(z)], np.r_[net.b, np.zeros(z)],
                   np.r_[net.v, np.zeros(z)], float(net.c), alf)

    def pad(d: np.ndarray) -> np.ndarray:
        return np.r_[d[:k], np.zeros(z), d[k:2 * k], np.zeros(z), d[2 * k:3 * k], np.zeros(z),
                     d[-1]]

    r = net(xf) - yf
    loss = float(r @ r / (2 * N))
    obj = objective(net)
    M, u = decay_dual(list(xf), list(r), alf)
    D = math.sqrt(float(M)) / N
    bal = tuple(float(v) for v in net.balance)
    gbound = None
    if not kinks:  # exact a-posteriori gradient at the stored (binary) point
        try:
            ex = Network([_q(F(v)) for v in net.w], [_q(F(v)) for v in net.b],
                         [_q(F(v)) for v in net.v], _q(F(float(net.c))), _q(F(alf)))
            exd = data if data.kind == "exact" else Dataset.from_arrays(
                [_q(F(float(v))) for v in data.x], [_q(F(float(v))) for v in data.y])
            lam_ex = lam if _is_exact(lam) else _q(F(float(lam)))
            g = evaluate(ex, exd, weight_decay=lam_ex).gradient
            gbound = float(max(abs(v) for v in g))
        except KinkError:
            gbound = None

    def point(kind: str, why: str, emin: float | None, d: np.ndarray | None = None
              ) -> DecayPoint:
        return DecayPoint(full, obj, loss, kind, LEVEL_TESTED, why, z, bal, gbound, emin, D,
                          None if d is None else tuple(float(v) for v in d), count)

    E = _embedding(net, xf, kinks)
    pat = _kink_pattern(net, xf, kinks)
    Hr = E.T @ hess(net, pat) @ E
    ev, evecs = np.linalg.eigh(0.5 * (Hr + Hr.T))
    tol = DECAY_TOL * max(1.0, float(np.max(np.abs(ev))))
    emin = float(ev[0])
    where = "" if not kinks else (
        " (on the set where unit(s) " + ", ".join(f"{i + 1} at x{m + 1}" for i, m in
                                                 sorted(kinks.items())) + " keep their breakpoint)")
    g_act = grad(net, pat)
    gtol = 1e-8 * max(1.0, float(np.max(np.abs(g_act))))
    for i, m in sorted(kinks.items()):
        nvec = np.zeros(3 * k + 1)
        nvec[i], nvec[k + i] = xf[m], 1.0
        a_act = float(g_act @ nvec)
        a_in = float(grad(net, _kink_pattern(net, xf, kinks, inactive=i)) @ nvec)
        if a_act * a_in > 0 and min(abs(a_act), abs(a_in)) > gtol:
            return None  # not Clarke-stationary: both one-sided derivatives of one sign
        if a_act < -gtol and a_in > gtol:
            return point(KIND_SADDLE, f"unit {i + 1} at x{m + 1} is a kink of maximum type: the "
                         f"one-sided derivatives along (w, b) += t (x_m, 1) are {a_act:.6g} "
                         f"(sample active) and {-a_in:.6g} (inactive), F decreases into the "
                         "active side at first order", emin, pad(nvec))
        if a_act < -gtol or a_in > gtol:
            return point(KIND_UNDECIDED, f"unit {i + 1} at x{m + 1}: the signs of the one-sided "
                         f"derivatives across the kink ({a_act:.3g}, {-a_in:.3g}) are not "
                         "decided in float", emin)
    theorem = ("a local minimum of the non-zero part by the convexity theorem (on every closed "
               "piece the orbit-reduced objective is convex in (mu, nu = mu beta, c), and the "
               "first-order condition holds on each adjacent piece" + where + ")")
    if emin < -tol:  # impossible at a true critical point by the theorem: distrust the point
        return point(KIND_UNDECIDED, f"the reduced Hessian{where} has eigenvalue {emin:.3g} < 0, "
                     "which contradicts the convexity theorem at a critical point: the float "
                     "point is not trusted", emin)
    lamtol = DECAY_TOL * max(1.0, lamf)
    if z and D > lamf + lamtol:
        hu = _h_value(list(xf), list(r), alf, u)
        d = np.zeros(3 * H + 1)
        d[k], d[H + k], d[2 * H + k] = u[0], u[1], -abs(hu) / (N * lamf) * np.sign(hu)
        ok = _descends(full, d, objective)
        return point(KIND_SADDLE if ok else KIND_UNDECIDED,
                     f"a zero unit can grow: D = {D:.6g} > lambda = {lamf:.6g}, descent at second "
                     "order along (w, b) = the maximiser of |h|, v = -sign(h)|h|/(N lambda)"
                     + ("" if ok else "; but F did not decrease in float"), emin, d if ok else None)
    if z and abs(D - lamf) <= lamtol:
        if not _only_splits(net, xf, r, alf, N, lamf, lamtol):
            return point(KIND_UNDECIDED, f"{theorem}, but D - lambda = {D - lamf:.3g} is 0 "
                         "within the tolerance and attained off the non-zero units' own "
                         "directions: whether a zero unit can grow is undecided", emin)
        split = _split_pair(net)
        strict_part = emin > tol and split is None
        return point(KIND_MIN if strict_part else KIND_UNDECIDED,
                     f"{theorem}; D = lambda (as at every point with a non-zero unit: "
                     "stationarity in mu_i gives |h(w_i, b_i)| = N lambda ||(w_i, b_i)||), "
                     "attained only on the directions of the non-zero units, where a zero unit "
                     "can only grow as a split of an existing unit (same breakpoint, "
                     "orientation and sign), which leaves F unchanged: not strict"
                     + ("" if strict_part else "; whether it is a minimum is undecided (the "
                        "non-zero part is not strict)"), emin)
    held = (f"; D = {D:.6g} < lambda = {lamf:.6g} holds the {z} zero unit(s) at a minimum"
            if z else "")
    split = _split_pair(net)
    if split is not None:
        i, j = split
        return point(KIND_MIN, f"{theorem}{held}; not strict: units {i + 1} and {j + 1} share "
                     "breakpoint and orientation with amplitudes of one sign, and moving "
                     "amplitude between them (each balanced) leaves F unchanged", emin)
    if emin <= tol:
        return point(KIND_UNDECIDED, f"{theorem}{held}; whether it is strict is undecided (the "
                     f"reduced Hessian is singular within the tolerance, smallest {emin:.3g})",
                     emin)
    return point(KIND_STRICT_MIN, f"{theorem}{held}; strict: the reduced Hessian is positive "
                 f"definite (smallest eigenvalue {emin:.6g})", emin)


def _only_splits(net: Network, xf: np.ndarray, r: np.ndarray, alpha: float, N: int,
                 lam: float, tol: float) -> bool:
    """Whether every dual candidate with D within ``tol`` of lambda points along a non-zero
    unit's (w_i, b_i) (a positive multiple) with the split sign -sign(h) = sign(v_i)."""
    units = [(np.array([w, b]) / math.hypot(w, b), v) for w, b, v in
             zip(net.w, net.b, net.v, strict=True)]
    for val, u in _dual_candidates(list(xf), list(r), alpha):
        if abs(math.sqrt(float(val)) / N - lam) > tol:
            continue
        uu = np.array([float(u[0]), float(u[1])])
        uu = uu / np.linalg.norm(uu)
        hu = _h_value(list(xf), list(r), alpha, (uu[0], uu[1]))
        if not any(np.linalg.norm(uu - ui) <= 1e-6 and -np.sign(hu) == np.sign(vi)
                   for ui, vi in units):
            return False
    return True


def _split_pair(net: Network) -> tuple[int, int] | None:
    """Two units with the same orientation and breakpoint and amplitudes of one sign, if any."""
    beta, s = -net.b / net.w, np.sign(net.w)
    scale = max(1.0, float(np.max(np.abs(beta))))
    for i in range(net.H):
        for j in range(i + 1, net.H):
            if (s[i] == s[j] and abs(beta[i] - beta[j]) <= 1e-7 * scale
                    and net.v[i] * net.v[j] > 0):
                return i, j
    return None


def _merged_key(net: Network, kinks: dict[int, int]) -> tuple:
    """Rounded key of the function, units with one (orientation, breakpoint) merged, and of how
    many units are non-zero: every point of a split-unit family gets the same key."""
    beta, s, mu = -net.b / net.w, np.sign(net.w), net.v * np.abs(net.w)
    groups: dict[tuple, float] = {}
    for i in range(net.H):
        key = (int(s[i]), round(float(beta[i]), 6))
        groups[key] = groups.get(key, 0.0) + float(mu[i])
    return (net.H, tuple(sorted((k, round(v, 6)) for k, v in groups.items())),
            round(float(net.c), 6), tuple(sorted(kinks.values())))


def _descends(net: Network, d: np.ndarray, objective: Callable) -> bool:
    """F(theta + t d) < F(theta) at t = 1e-3 and 1e-4 (float check of a descent direction)."""
    f0 = objective(net)
    th = net.vector
    return all(objective(net.with_vector(th + t * d)) < f0 for t in (1e-3, 1e-4))


# ------------------------------------------------------------------ weight decay: exact kink points
_REJECT = "not a critical point"


def _exact_sign(e: object) -> int | None:
    """Sign of a real algebraic number written with square roots, or None if not settled.

    Zero is decided exactly: after expansion a rational combination of square roots of distinct
    square-free integers is 0 only when SymPy reduces it to 0 (they are linearly independent over
    Q). A non-zero value is signed by SymPy's precision-tracked evaluation at 60 digits.
    """
    e = sp.expand(e)
    if e == 0:
        return 0
    v = e.evalf(60)
    if not v.is_Number or abs(v) < sp.Float("1e-45"):
        return None
    return 1 if v > 0 else -1


def _certify_kink_point(data: Dataset, lam: object, alpha: object, s: tuple[int, ...],
                        place: tuple[int, ...], sigma: tuple[int, ...], H: int
                        ) -> tuple[str, str, Spline, object, object] | None:
    """Exact decision for a weight-decay critical point whose k non-zero units all have their
    breakpoint on a data point (unit i: orientation s_i, beta_i = x_(place_i), sign sigma_i of mu_i),
    padded with H - k zero units. Returns (kind, reason, spline, objective, loss) or None when the
    exact test does not settle it (the float classification then stands). The kind is
    ``_REJECT`` when the exact test shows that the cell holds no critical point with these signs.

    With beta fixed, f(x_n) = c + sum_i g_i(n) s_i mu_i (x_n - x_(m_i)) is linear in (mu, c) and the
    orbit-reduced objective is R = q(mu, c) + lambda sum_i |mu_i| rho_i + lambda c^2/2,
    rho_i = sqrt(1 + x_(m_i)^2): for fixed signs its stationary point solves the rational linear
    system (A^T A / N + lambda e_c e_c^T) u = A^T y / N - lambda (sigma_i rho_i, 0), exact in
    Q(rho). Then: the signs of mu must be sigma; the one-sided derivatives of R in beta_i,
    -(s_i mu_i / N) sum_n g_i^side(n) r_n + lambda |mu_i| x_m / rho_i, decide Clarke
    stationarity (0 between them), a first-order descent (maximum type: saddle) or the minimum
    type (with the convexity theorem: a local minimum; strict when both are non-zero and the
    matrix is positive definite); zero units are decided by D against lambda over the exact
    candidates of :func:`decay_dual`.
    """
    N = data.n
    x, y = list(data.x), list(data.y)
    k = len(s)

    def gains(i: int, side: str) -> list:
        m = place[i]
        if s[i] > 0:
            act = range(m, N) if side == "left" else range(m + 1, N)
        else:
            act = range(0, m + 1) if side == "right" else range(0, m)
        act = set(act)
        return [sp.Integer(1) if n in act else alpha for n in range(N)]

    cols = [[g * s[i] * (x[n] - x[place[i]]) for n, g in enumerate(gains(i, "left"))]
            for i in range(k)]
    cols.append([sp.Integer(1)] * N)
    A = sp.Matrix(N, k + 1, lambda n, a: cols[a][n])
    M = A.T * A / N
    M[k, k] += lam
    rho = [sp.sqrt(1 + x[place[i]] ** 2) for i in range(k)]
    rhs = A.T * sp.Matrix(y) / N - sp.Matrix([lam * sigma[i] * rho[i] for i in range(k)] + [0])
    if M.det() == 0:
        try:
            M.gauss_jordan_solve(rhs)
        except ValueError:  # inconsistent: no stationary point with these signs
            return (_REJECT, "the cell's stationarity system has no solution", None, None, None)
        return None  # a family of stationary points: not settled here
    u = [sp.expand(v) for v in M.LUsolve(rhs)]
    mu, c = u[:k], u[k]
    for i in range(k):
        if _exact_sign(mu[i]) != sigma[i]:
            return (_REJECT, "the cell's unique stationary point has other signs of mu", None,
                    None, None)
    r = [sp.expand(c + sum((cols[i][n] * mu[i] for i in range(k)), sp.Integer(0)) - y[n])
         for n in range(N)]
    loss = sp.expand(sum((v * v for v in r), sp.Integer(0)) / (2 * N))
    obj = sp.expand(loss + lam * sum((sigma[i] * mu[i] * rho[i] for i in range(k)),
                                     sp.Integer(0)) + lam * c * c / 2)
    spline = Spline([x[m] for m in place] + [sp.Integer(0)] * (H - k),
                    list(mu) + [sp.Integer(0)] * (H - k), tuple(s) + (1,) * (H - k), c, alpha)
    strict = bool(M.is_positive_definite)
    for i in range(k):
        pen = lam * sigma[i] * mu[i] * x[place[i]] / rho[i]
        one = {}
        for side in ("left", "right"):
            g = gains(i, side)
            one[side] = sp.expand(-s[i] * mu[i] * sum((g[n] * r[n] for n in range(N)),
                                                      sp.Integer(0)) / N + pen)
        sl, sr = _exact_sign(one["left"]), _exact_sign(one["right"])
        if sl is None or sr is None:
            return None
        if sl * sr > 0:
            return (_REJECT, f"the cell's unique stationary point is not Clarke-stationary in "
                    f"beta{i + 1}", None, None, None)
        if sl > 0 or sr < 0:
            side = "left" if sl > 0 else "right"
            return (KIND_SADDLE, f"exact: unit {i + 1} at x{place[i] + 1} is a kink of maximum "
                    f"type, one-sided dR/dbeta = {one['left']} (left), {one['right']} (right): "
                    f"moving beta{i + 1} {side} lowers F at first order", spline, obj, loss,
                    (i, -1 if side == "left" else 1))
        strict = strict and sl != 0 and sr != 0
    z = H - k
    held = ""
    if z:
        verdict = _exact_dual_verdict(x, r, alpha, lam, N)
        if verdict is None:
            return None
        if verdict > 0:
            return (KIND_SADDLE, "exact: D > lambda, a zero unit grows at second order",
                    spline, obj, loss)
        held = f"; exact D < lambda holds the {z} zero unit(s) at a minimum"
    if not strict:
        return None
    return (KIND_STRICT_MIN, "exact in Q(sqrt(1 + x_m^2)): the stationary point of the "
            "orbit-reduced objective with every breakpoint on its data point solves a rational "
            "linear system with positive definite matrix, the signs of mu agree, and at every "
            "kink the one-sided derivatives in beta are < 0 (left) and > 0 (right): a strict local "
            "minimum (convexity theorem on each adjacent piece)" + held, spline, obj, loss)


#: Largest number of all-breakpoints-on-data cells decided exactly with weight decay.
MAX_KINK_CELLS = 1500


def _kink_cells(N: int, H: int) -> list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]]:
    """(s, place, sigma) for k = 1..H non-zero units on distinct (orientation, data point) states
    (two units on one state give a singular system), up to permutation, with every sign vector."""
    states = [(si, m) for si in (1, -1) for m in range(N)]
    out = []
    for k in range(1, H + 1):
        for combo in itertools.combinations(states, k):
            for sigma in itertools.product((1, -1), repeat=k):
                out.append((tuple(c[0] for c in combo), tuple(c[1] for c in combo), sigma))
    return out


def _kink_cell(net: Network, kinks: dict[int, int]) -> tuple:
    """The (s, place, sigma) cell of a float point, units in the order of :func:`_kink_cells`."""
    units = sorted(((1 if net.w[i] > 0 else -1, kinks[i], 1 if net.v[i] > 0 else -1)
                    for i in range(net.H)), key=lambda u: (-u[0], u[1]))
    return (tuple(u[0] for u in units), tuple(u[1] for u in units), tuple(u[2] for u in units))


def _proved_point(got: tuple, k: int, H: int, alpha: object, how: str,
                  float_point: DecayPoint | None, count: int, data: Dataset) -> DecayPoint:
    """A :class:`DecayPoint` at level "proved" from :func:`_certify_kink_point`'s answer."""
    kind, why, spl, obj_ex, loss_ex = got[:5]
    zero = sp.Integer(0)
    nk = Spline(spl.beta[:k], spl.mu[:k], spl.s[:k], spl.c, alpha).balanced()
    full = Network([*nk.w, *[zero] * (H - k)], [*nk.b, *[zero] * (H - k)],
                   [*nk.v, *[zero] * (H - k)], nk.c, alpha)
    fd = data.as_float()
    xf = np.asarray(fd.x, dtype=float)
    r = full.as_float()(xf) - np.asarray(fd.y, dtype=float)
    dual = math.sqrt(float(decay_dual(list(xf), list(r), float(alpha))[0])) / len(xf)
    direction = None
    if len(got) > 5:  # a kink of maximum type: move beta_i (b_i by -w_i per unit of beta_i)
        i, sign = got[5]
        direction = [zero] * (3 * H + 1)
        direction[H + i] = -sign * full.w[i]
        direction = tuple(direction)
    return DecayPoint(full, obj_ex, loss_ex, kind, LEVEL_PROVED, f"{why}; {how}", H - k,
                      tuple(0.0 for _ in range(k)), None,
                      None if float_point is None else float_point.hessian_min, dual, direction,
                      count)


def _exact_dual_verdict(x: list, r: list, alpha: object, lam: object, N: int) -> int | None:
    """sign(D - lambda) exactly over the candidates of :func:`decay_dual` (None: not settled)."""
    target = (N * lam) ** 2

    def h(w: object, b: object) -> object:
        tot = sp.Integer(0)
        for xn, rn in zip(x, r, strict=True):
            z = w * xn + b
            tot += rn * (z if z > 0 else alpha * z)
        return tot

    worst = -1
    for xm in x:
        for u in ((1, -xm), (-1, xm)):
            sg = _exact_sign(h(*u) ** 2 - target * (1 + xm * xm))
            if sg is None:
                return None
            worst = max(worst, sg)
    tot_r = sum(r, sp.Integer(0))
    tot_rx = sum((rn * xn for rn, xn in zip(r, x, strict=True)), sp.Integer(0))
    for kk in range(len(x) + 1):
        for act in (range(kk, len(x)), range(0, kk)):
            sr = sum((r[n] for n in act), sp.Integer(0))
            srx = sum((r[n] * x[n] for n in act), sp.Integer(0))
            a = (sp.expand(alpha * tot_rx + (1 - alpha) * srx),
                 sp.expand(alpha * tot_r + (1 - alpha) * sr))
            for u in (a, (-a[0], -a[1])):
                signs = [_exact_sign(u[0] * x[n] + u[1]) for n in range(len(x))]
                if any(v is None for v in signs):
                    return None
                inside = all((v >= 0) if n in act else (v <= 0) for n, v in enumerate(signs))
                if inside:
                    sg = _exact_sign(a[0] ** 2 + a[1] ** 2 - target)
                    if sg is None:
                        return None
                    worst = max(worst, sg)
    return None if worst == 0 else worst


def _certify_gap_unit(data: Dataset, lam: object, alpha: object, s: int, k: int
                      ) -> list[tuple[str, str, Spline, object, object]] | None:
    """Every critical point of F with one unit, non-zero, its breakpoint strictly inside gap k
    (width 1), exactly; None when a decision is not settled.

    In (mu, nu = mu beta, c) the orbit-reduced objective is q + lambda ||(mu, nu)|| + lambda c^2/2
    (convex). With t = 1 / ||(mu, nu)|| stationarity is the linear system
    (G + lambda diag(t, t, 1)) u = b, G = A^T A / N, b = A^T y / N, so u = adj(M(t)) b / det M(t)
    and t^2 (u_mu^2 + u_nu^2) det^2 = det^2 is a polynomial equation in t of degree <= 6. Each real
    root t > 0 (SymPy ``real_roots``, exact algebraic numbers) gives one stationary point, kept
    when mu != 0 and beta = nu/mu lies strictly inside the gap. Signs of these algebraic numbers
    come from SymPy's evaluation at 60 digits (a value within 1e-45 of 0 leaves the cell
    unsettled). Every such point is a local minimum (convexity theorem); strict when G is
    positive definite (exact rational test); otherwise not settled.
    """
    N = data.n
    x, y = list(data.x), list(data.y)
    act = set(range(k, N)) if s > 0 else set(range(0, k))
    g = [sp.Integer(1) if n in act else alpha for n in range(N)]
    A = sp.Matrix(N, 3, lambda n, a: (g[n] * s * x[n], -g[n] * s, sp.Integer(1))[a])
    G = A.T * A / N
    b = A.T * sp.Matrix(y) / N
    t = sp.Symbol("t", positive=True)
    M = G + sp.diag(lam * t, lam * t, lam)
    det = sp.expand(M.det())
    adjb = (M.adjugate() * b).applyfunc(sp.expand)
    poly = sp.Poly(sp.expand(t ** 2 * (adjb[0] ** 2 + adjb[1] ** 2) - det ** 2), t)
    if poly.is_zero:
        return None
    lo = x[k - 1] if k > 0 else None
    hi = x[k] if k < N else None
    out = []
    strict = bool(G.is_positive_definite)
    for root in poly.real_roots():
        if _exact_sign(root) != 1:
            continue
        d = det.subs(t, root)
        if _exact_sign(d) in (0, None):
            return None
        mu, nu, c = (sp.cancel(adjb[j] / det).subs(t, root) for j in range(3))
        sm = _exact_sign(mu)
        if sm is None:
            return None
        if sm == 0:
            continue
        beta = nu / mu
        inside = []
        for bound, want in ((lo, 1), (hi, -1)):
            if bound is not None:
                sg = _exact_sign(beta - bound)
                if sg is None:
                    return None
                inside.append(sg == want)
        if not all(inside):
            continue
        r = [c + g[n] * s * (mu * x[n] - nu) - y[n] for n in range(N)]
        loss = sum((v * v for v in r), sp.Integer(0)) / (2 * N)
        obj = loss + lam * sp.sqrt(mu ** 2 + nu ** 2) + lam * c * c / 2
        spline = Spline([beta], [mu], (s,), c, alpha)
        if not strict:
            return None
        out.append((KIND_STRICT_MIN, "exact: the unique stationary point of the convex orbit-"
                    "reduced objective q + lambda ||(mu, nu)|| + lambda c^2/2 on this cell "
                    "(t = 1/||(mu, nu)|| a positive root of a polynomial of degree "
                    f"{poly.degree()}), breakpoint strictly inside gap {k}: a local minimum by "
                    "the convexity theorem, strict since A^T A is positive definite",
                    spline, obj, loss))
    return out


def _width_one_gaps(data: Dataset, lam: object, alpha: object, found: list[DecayPoint],
                    undecided: list[str]) -> tuple[list[DecayPoint], bool]:
    """Width 1, exact input: decide every open-gap cell (:func:`_certify_gap_unit`) and the
    degenerate unit w = 0 exactly. Search points in open gaps are matched to the exact ones
    (objective within 1e-9) and dropped; an unmatched one stays, tested, and makes the answer
    incomplete. Returns (points, complete)."""
    N = data.n
    proved: list[DecayPoint] = []
    ok = True
    for s in (1, -1):
        for k in range(N + 1):
            got = _certify_gap_unit(data, lam, alpha, s, k)
            if got is None:
                ok = False
                undecided.append(f"the open-gap cell s = {s:+d}, gap {k} is not settled exactly")
                continue
            proved += [_proved_point(g, 1, 1, alpha, "exact enumeration of the open-gap cells",
                                     None, 0, data) for g in got]
    out = []
    for p in found:
        if p.level == LEVEL_PROVED or p.zero_units == 1:
            out.append(p)
            continue
        match = [q for q in proved if abs(float(q.objective) - float(p.objective)) <= 1e-9]
        if match:
            i = proved.index(match[0])
            proved[i] = dataclasses.replace(proved[i], found=proved[i].found + p.found)
        else:
            ok = False
            undecided.append(f"a search point (F = {float(p.objective):.12g}) matches no exactly "
                             "decided critical point")
            out.append(p)
    degenerate = _degenerate_unit_exists(data, lam, alpha)
    if degenerate:
        ok = False
        undecided.append("a critical point with w = 0, b != 0 (the unit constant on the data) "
                         "exists and is not classified")
    return out + proved, ok


def _degenerate_unit_exists(data: Dataset, lam: object, alpha: object) -> bool:
    """Whether F (width 1) has a critical point with w = 0, b != 0, decided exactly.

    The unit is the constant v sigma(b); with gamma = sigma'(b) (1 for b > 0, alpha for b < 0),
    f = c + gamma v b is constant, and grad F = 0 reads sum_n r_n x_n = 0 (from w), sum r =
    -N lambda c (from c), b = gamma c v and v = gamma c b (from v and b): gamma^2 c^2 = 1,
    f = c + gamma^2 c v^2 with v^2 > 0.
    """
    N = data.n
    x, y = list(data.x), list(data.y)
    sx, sxy, ybar = sum(x), sum(a * b for a, b in zip(x, y, strict=True)), sum(y) / N
    for gamma in (sp.Integer(1), alpha):
        if gamma == 0:
            continue
        for c in (1 / gamma, -1 / gamma):
            f = ybar - lam * c  # from sum r = N (f - ybar) = -N lambda c
            if sp.expand(f * sx - sxy) != 0:  # sum_n (f - y_n) x_n = 0
                continue
            v2 = (f - c) / (gamma ** 2 * c)
            if v2 > 0:
                return True
    return False
