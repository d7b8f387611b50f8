"""Exact critical points of the loss per activation pattern, and their classification (THEORY 2.4, 3.2-3.4).

Inside a pattern, f(x_n) = c + sum_{i: n in A_i} s_i (mu_i x_n - nu_i) with nu_i = mu_i beta_i, so the
loss is a convex quadratic in (mu, nu, c): a linear least-squares problem. THEORY 2.4 splits every
critical point by the set Z of units with mu_i = 0:

- units j not in Z (mu_j != 0): sum_{A_j} r = sum_{A_j} r x = 0 -- with sum r = 0 these are exactly
  the normal equations of least squares in (mu_j, nu_j, c), j not in Z. Their solution set is an
  affine space, the residual r is unique on it (the projection of y), and beta_j = nu_j / mu_j.
- units i in Z (mu_i = 0): only sum_{A_i} r (x - beta_i) = 0, i.e. beta_i = sum_{A_i} r x / sum_{A_i} r,
  or beta_i free when both sums vanish.

With rational data every critical point is therefore rational and found by exact linear algebra.
The admissibility conditions (mu_j != 0; each breakpoint strictly inside its gap) select the
points; affine solution sets give positive-dimensional families, represented by a rational point.

Classification uses the inertia of the exact Hessian (characteristic polynomial and Descartes' rule,
exact because a symmetric matrix has only real eigenvalues) in spline coordinates and, at the
network representative w_i = s_i, b_i = -s_i beta_i, v_i = mu_i, in network coordinates (THEORY 3.4:
same negative count, H more zeros). Strict saddles come with the negative direction of THEORY 3.2.
Positive semidefinite degenerate points are settled exactly where possible (THEORY 3.3): a local
minimum when the gradient vanishes on the whole affine kernel (a flat critical manifold, Morse-Bott),
a saddle when the loss decreases along a curve theta + t k + t^2 u (k in the kernel).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from .calculus import pattern_gradient, pattern_hessian, pattern_rho
from .data import Dataset
from .errors import DataError, ParameterError, SizeError
from .loss import pattern_loss
from .params import Network, Spline
from .regions import Pattern, patterns

#: Limits of the exact enumeration (THEORY 3.3 showcase sizes).
MAX_H = 3
MAX_N = 8


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
    """One critical point (or a representative of a family) with its classification."""

    pattern: Pattern
    spline: Spline
    loss: sp.Rational
    dimension: int
    zero_units: tuple[int, ...]
    inertia_spline: Inertia
    inertia_network: Inertia
    kind: str
    explanation: str
    negative_direction: tuple | None = None
    rho: tuple = ()
    family: str = ""

    def as_dict(self) -> dict:
        return {
            "pattern": str(self.pattern), "s": list(self.pattern.s), "k": list(self.pattern.k),
            "beta": [str(v) for v in self.spline.beta], "mu": [str(v) for v in self.spline.mu],
            "c": str(self.spline.c), "loss": str(self.loss), "loss_float": float(self.loss),
            "dimension": self.dimension, "family": self.family,
            "zero_units": [i + 1 for i in self.zero_units],
            "rho": [str(r) for r in self.rho],
            "inertia_spline": dict(zip(("pos", "neg", "zero"), self.inertia_spline.as_tuple(),
                                       strict=True)),
            "inertia_network": dict(zip(("pos", "neg", "zero"), self.inertia_network.as_tuple(),
                                        strict=True)),
            "kind": self.kind, "explanation": self.explanation,
            "negative_direction": None if self.negative_direction is None
            else [str(v) for v in self.negative_direction],
        }


@dataclass(frozen=True)
class CriticalReport:
    """All critical points found, with counts by kind and the answer to THEORY 3.3 on this case."""

    H: int
    N: int
    points: tuple[CriticalPoint, ...]
    patterns_visited: int
    notes: tuple[str, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.points:
            out[p.kind] = out.get(p.kind, 0) + 1
        return out

    @property
    def sylvester_ok(self) -> bool:
        """THEORY 3.4 on every point: same positive/negative counts, H more zeros in network."""
        return all(p.inertia_network.neg == p.inertia_spline.neg
                   and p.inertia_network.pos == p.inertia_spline.pos
                   and p.inertia_network.zero == p.inertia_spline.zero + self.H
                   for p in self.points)

    @property
    def saddles_explained(self) -> bool:
        """Every strict saddle has a THEORY 3.2 direction (a unit with mu_i = 0, rho_i != 0)."""
        return all(p.negative_direction is not None for p in self.points
                   if p.kind == "strict saddle")

    def answer_3_3(self) -> str:
        """Can a PSD critical point with every mu_i != 0 be a saddle? Settled on this case."""
        psd = [p for p in self.points if p.inertia_spline.neg == 0]
        allmu = [p for p in psd if not p.zero_units]
        bad = [p for p in psd if p.kind == "degenerate saddle"]
        undecided = [p for p in psd if p.kind == "degenerate (undecided)"]
        if bad:
            return (f"yes: {len(bad)} positive semidefinite critical point(s) are saddles through "
                    "higher-order terms")
        if undecided:
            return (f"open on this case: {len(undecided)} degenerate point(s) could not be "
                    "decided")
        return (f"no: all {len(psd)} positive semidefinite critical point(s) ({len(allmu)} with "
                "every mu_i != 0) are local minima, each certified exactly (positive definite, "
                "or a critical point of the convex quadratic q(mu, mu*beta, c) that equals L on "
                "the pattern)")

    def as_dict(self) -> dict:
        return {"H": self.H, "N": self.N, "patterns_visited": self.patterns_visited,
                "counts": self.counts(), "sylvester_ok": self.sylvester_ok,
                "saddles_explained": self.saddles_explained, "answer_3_3": self.answer_3_3(),
                "notes": list(self.notes), "points": [p.as_dict() for p in self.points]}


# ------------------------------------------------------------------ inertia
def inertia(M: sp.Matrix) -> Inertia:
    """Exact inertia of a symmetric matrix from its characteristic polynomial.

    All eigenvalues are real, so Descartes' rule of signs counts the positive roots exactly;
    negative roots are the positive roots of p(-lambda); zeros are the multiplicity of 0.
    """
    lam = sp.Dummy("lambda")
    p = M.charpoly(lam)
    coeffs = p.all_coeffs()  # highest degree first
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


# ------------------------------------------------------------------ enumeration
def critical_points(data: Dataset, H: int, *, family_tries: int = 64,
                    progress: Callable[[int, int], None] | None = None) -> CriticalReport:
    """Every critical point of the loss of a width-H network on exact data, classified.

    Patterns are visited up to a permutation of units (pattern keys (s_i, k_i) non-decreasing).
    Only points strictly inside a pattern are considered: where a breakpoint sits on a data point
    the loss is not differentiable (THEORY 2.3) and such kink points are not enumerated here.

    Raises
    ------
    DataError
        If the data are not exact rationals.
    SizeError
        If H or N exceed the small-case limits (H <= 3, N <= 8).
    """
    if data.kind != "exact":
        raise DataError("exact critical points need exact (rational) data")
    if isinstance(H, bool) or not isinstance(H, int) or H < 1:
        raise ParameterError(f"width H must be a positive integer, got {H!r}")
    if H > MAX_H or data.n > MAX_N:
        raise SizeError(f"exact critical points are enumerated for H <= {MAX_H} and N <= {MAX_N}; "
                        f"got H = {H}, N = {data.n}")
    pts: list[CriticalPoint] = []
    todo = [pat for pat in patterns(H, data.n, limit=None)
            if list(zip(pat.s, pat.k, strict=True)) == sorted(zip(pat.s, pat.k, strict=True))]
    visited = 0
    for pat in todo:
        visited += 1
        if progress is not None:
            progress(visited, len(todo))
        for zset in itertools.product((False, True), repeat=H):
            Z = tuple(i for i in range(H) if zset[i])
            pts.extend(_solve_case(pat, Z, data, family_tries))
    pts.sort(key=lambda p: (p.loss, str(p.pattern)))
    notes = ("patterns are visited up to permutation of units",
             "points with a breakpoint exactly on a data point (kinks) are not enumerated")
    return CriticalReport(H, data.n, tuple(pts), visited, notes)


def _solve_case(pat: Pattern, Z: tuple[int, ...], data: Dataset,
                family_tries: int) -> list[CriticalPoint]:
    H, N = pat.H, data.n
    x, y = list(data.x), list(data.y)
    free_units = [j for j in range(H) if j not in Z]
    # Design matrix of the least-squares problem in (mu_j, nu_j for j not in Z, c).
    cols = []
    for j in free_units:
        act = set(pat.active(j))
        cols.append([pat.s[j] * x[n] if n in act else 0 for n in range(N)])
        cols.append([-pat.s[j] if n in act else 0 for n in range(N)])
    cols.append([1] * N)
    A = sp.Matrix(N, len(cols), lambda n, a: cols[a][n])
    Y = sp.Matrix(y)
    AtA, Aty = A.T * A, A.T * Y
    try:
        sol, params = AtA.gauss_jordan_solve(Aty)
    except ValueError:  # pragma: no cover - normal equations are always consistent
        return []
    tau = list(params)
    base = sol.subs({t: 0 for t in tau})
    dirs = [sol.diff(t) for t in tau]
    r = A * base - Y  # unique residual on the whole solution set
    # Units with mu_i = 0: beta_i from sum_A r (x - beta_i) = 0.
    zbeta: dict[int, object] = {}
    free_betas = []
    for i in Z:
        act = list(pat.active(i))
        sr = sp.Add(*[r[n] for n in act])
        srx = sp.Add(*[r[n] * x[n] for n in act])
        if sr != 0:
            zbeta[i] = srx / sr
            if not _in_gap(zbeta[i], data, pat.k[i]):
                return []
        elif srx == 0:
            free_betas.append(i)
            zbeta[i] = _gap_point(data, pat.k[i])
        else:
            return []
    dim = len(tau) + len(free_betas)
    # Find an admissible point of the affine family (mu_j != 0, beta_j inside gap k_j).
    candidates = [sp.zeros(len(tau), 1)]
    coeffs = [sp.Rational(p, q) for q in (1, 2, 3) for p in range(-3, 4)]
    for combo in itertools.islice(itertools.product(coeffs, repeat=len(tau)), family_tries):
        if tau:
            candidates.append(sp.Matrix(combo))
    point = None
    for cand in candidates:
        vec = base + sum((dirs[m] * cand[m] for m in range(len(tau))), sp.zeros(len(base), 1))
        beta, mu = [None] * H, [sp.Integer(0)] * H
        ok = True
        for a, j in enumerate(free_units):
            m, nu = vec[2 * a], vec[2 * a + 1]
            if m == 0:
                ok = False
                break
            beta[j], mu[j] = nu / m, m
            if not _in_gap(beta[j], data, pat.k[j]):
                ok = False
                break
        if not ok:
            continue
        for i in Z:
            beta[i] = zbeta[i]
        point = Spline(beta, mu, pat.s, vec[-1])
        break
    if point is None:
        return []
    family = ""
    if dim:
        parts = []
        if tau:
            parts.append(f"{len(tau)} free least-squares coefficient direction(s)")
        if free_betas:
            parts.append("free breakpoint(s) of unit(s) " + ", ".join(str(i + 1)
                                                                    for i in free_betas))
        family = f"{dim}-dimensional family: " + "; ".join(parts)
    return [_classify(pat, point, data, Z, dim, family)]


def _in_gap(beta: object, data: Dataset, k: int) -> bool:
    lo, hi = data.gap(k)
    return bool(lo < beta) and bool(beta < hi)


def _gap_point(data: Dataset, k: int) -> sp.Rational:
    lo, hi = data.gap(k)
    if k == 0:
        return hi - 1
    if k == data.n:
        return lo + 1
    return (lo + hi) / 2


# ------------------------------------------------------------------ classification
def _classify(pat: Pattern, point: Spline, data: Dataset, Z: tuple[int, ...], dim: int,
              family: str) -> CriticalPoint:
    H, N = point.H, data.n
    g = pattern_gradient(pat, point, data)
    if any(v != 0 for v in g):  # pragma: no cover - guards the linear algebra above
        raise AssertionError(f"not a critical point on {pat}: gradient {list(g)}")
    Hs = pattern_hessian(pat, point, data)
    inert_s = inertia(Hs)
    net = Network([sp.Integer(si) for si in pat.s], [-si * b for si, b in zip(pat.s, point.beta,
                                                                               strict=True)],
                  list(point.mu), point.c)
    Hn = pattern_hessian(pat, net, data)
    inert_n = inertia(Hn)
    rho = tuple(pattern_rho(pat, point, data))
    loss = sp.nsimplify(pattern_loss(pat, point, data))
    neg_dir = None
    if inert_s.neg > 0:
        kind = "strict saddle"
        expl = "no unit with mu_i = 0 and rho_i != 0: negative curvature unexplained by 3.2"
        for i in range(H):
            if point.mu[i] == 0 and rho[i] != 0:
                a = Hs[H + i, H + i]
                d = [sp.Integer(0)] * (2 * H + 1)
                d[H + i] = sp.Integer(1)
                d[i] = -(a + 1) * N / (2 * rho[i])
                curv = (sp.Matrix(d).T * Hs * sp.Matrix(d))[0]
                neg_dir = tuple(d)
                expl = (f"THEORY 3.2: unit {i + 1} has mu = 0 and rho = {rho[i]} != 0; the "
                        f"(mu{i + 1}, beta{i + 1}) block [[{a}, {rho[i] / N}], [{rho[i] / N}, 0]] "
                        f"has determinant {-(rho[i] / N) ** 2} < 0; direction d with "
                        f"d^T H d = {curv}")
                break
    elif inert_s.zero == 0:
        kind, expl = "strict local minimum", "Hessian positive definite"
    elif _convex_certificate(pat, point, data):
        kind = "local minimum (non-strict)"
        expl = (f"Hessian PSD with {inert_s.zero} zero eigenvalue(s); certified: every unit has "
                "sum_{A_i} r = sum_{A_i} r x = 0, so the point is a critical point of the convex "
                "quadratic q(mu, nu = mu beta, c) with L = q on the pattern, hence L >= L* on the "
                "whole pattern")
    else:
        kind, expl = _degenerate(pat, point, data, Hs)
    return CriticalPoint(pat, point, loss, dim, Z, inert_s, inert_n, kind, expl, neg_dir, rho,
                         family)


def _convex_certificate(pat: Pattern, point: Spline, data: Dataset) -> bool:
    """True when sum r = 0 and sum_{A_i} r = sum_{A_i} r x = 0 for every unit.

    On a pattern L(beta, mu, c) = q(mu, nu, c) with nu_i = mu_i beta_i and q a convex quadratic
    (linear least squares). These sums are (up to signs and 1/N) the gradient of q, so the point
    maps to a minimiser of q: L >= q_min = L* on the whole pattern, a local minimum of L.
    """
    r = [fn - yn for fn, yn in zip(point(data.x), data.y, strict=True)]
    if sp.Add(*r) != 0:
        return False
    for i in range(point.H):
        act = list(pat.active(i))
        if sp.Add(*[r[n] for n in act]) != 0 or sp.Add(*[r[n] * data.x[n] for n in act]) != 0:
            return False
    return True


def _degenerate(pat: Pattern, point: Spline, data: Dataset, Hs: sp.Matrix) -> tuple[str, str]:
    """Settle a positive semidefinite critical point with a non-trivial kernel (THEORY 3.3)."""
    H = point.H
    K = Hs.nullspace()
    ts = sp.symbols(f"t1:{len(K) + 1}")
    theta = sp.Matrix(point.vector.tolist())
    moved = theta + sum((K[m] * ts[m] for m in range(len(K))), sp.zeros(2 * H + 1, 1))
    sym = Spline.from_vector(list(moved), pat.s)
    grad_on_kernel = pattern_gradient(pat, sym, data)
    if all(sp.expand(e) == 0 for e in grad_on_kernel):
        return ("local minimum (non-strict)",
                f"Hessian PSD with {len(K)}-dimensional kernel; the gradient vanishes on the whole "
                "affine kernel (a flat critical manifold), and the Hessian is positive definite "
                "across it (Morse-Bott): a non-strict local minimum")
    # Curves theta + t k + t^2 u: leading coefficient of L - L* decides when it is negative or odd.
    t = sp.Symbol("t")
    L0 = pattern_loss(pat, point, data)
    pinv = Hs.pinv()
    dirs = list(K) + [K[a] + K[b] for a in range(len(K)) for b in range(a + 1, len(K))] + [
        K[a] - K[b] for a in range(len(K)) for b in range(a + 1, len(K))]
    for k in dirs:
        gk = pattern_gradient(pat, Spline.from_vector(list(theta + t * k), pat.s), data)
        third = sp.Matrix([sp.diff(e, t, 2).subs(t, 0) for e in gk])
        u = -pinv * third / 2
        curve = theta + t * k + t**2 * u
        phi = sp.expand(pattern_loss(pat, Spline.from_vector(list(curve), pat.s), data) - L0)
        if phi == 0:
            continue
        poly = sp.Poly(phi, t)
        low = min(m[0] for m in poly.monoms())
        lead = poly.coeff_monomial(t**low)
        if low % 2 == 1 or lead < 0:
            return ("degenerate saddle",
                    f"Hessian PSD but L(theta + t k + t^2 u) - L* = {lead} t^{low} + ... along a "
                    f"kernel direction k = {list(k)}: the loss decreases on one side")
    return ("degenerate (undecided)",
            f"Hessian PSD with {len(K)}-dimensional kernel; no descent along the tested kernel "
            "curves, but the gradient does not vanish on the whole kernel")
