"""Population loss: exact risk for a continuous input measure and a piecewise-polynomial target.

Normalization (theory §7.3). For an input measure with density p on [a, b] (uniform, or piecewise
constant) and a target g,

    L_pop(theta) = (1/2) E_{X ~ p} [(f(X) - g(X))^2] = (1/2) int_a^b (f(x) - g(x))^2 p(x) dx,

which is the N -> infinity limit of the sample loss (1/(2N)) sum_n (f(x_n) - y_n)^2 for samples
x_n ~ p, y_n = g(x_n) (law of large numbers; for stratified samples it is a Riemann sum).

Exact piecewise structure. Let t_0 = a < t_1 < ... < t_K = b be the knots where p or g changes
formula. A *population pattern* fixes the orientations s and the position of every breakpoint among
the knots and the other breakpoints. On such a pattern f - g is a polynomial in x on every cell
between consecutive events, so L_pop is a sum of integrals of polynomials whose limits are knots or
breakpoints: a polynomial in (beta, mu, c) -- a rational function in (w, b, v, c). Differentiating it
gives the gradient, Hessian and critical-point equations. Unlike the sample loss, L_pop is C^1 (the
sample kink mu_i r_m / N of theory §2.3 becomes the continuous density term), and its Hessian has the
extra diagonal term d^2 L/d beta_i^2 \\ni mu_i r(beta_i) p(beta_i), which jumps only where p or g jumps.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp

from .errors import InputError, ParameterError, ParseError
from .numbers import to_sympy
from .params import Network, Spline
from .parsing import parse_expression
from .regions import check_size

#: The variable of target expressions.
X = sp.Symbol("x", real=True)
#: Largest number of population patterns in a global Piecewise.
MAX_POP_PATTERNS = 5_000


@dataclass(frozen=True)
class PopulationPattern:
    """Orientations and the order of breakpoints among the knots t_0 < ... < t_K.

    ``slot[i] = j`` puts beta_i in (t_{j-1}, t_j] (slot 0: beta_i <= t_0 = a; slot K + 1:
    beta_i > b). ``rank[i]`` orders the breakpoints that share an interior slot (0 first); it is 0
    outside the support, where the order does not matter.
    """

    s: tuple[int, ...]
    slot: tuple[int, ...]
    rank: tuple[int, ...]

    @property
    def H(self) -> int:
        return len(self.s)

    def __str__(self) -> str:
        return "PopPattern[" + ", ".join(
            f"{'+' if s > 0 else '-'}{j}.{r}" for s, j, r in zip(self.s, self.slot, self.rank,
                                                                   strict=True)) + "]"


@dataclass(frozen=True, eq=False)
class Population:
    """An input density p (piecewise constant, normalized) and a piecewise-polynomial target g.

    ``knots`` t_0 < ... < t_K (exact), ``density[j]`` and ``target[j]`` the value of p and the
    polynomial g (in :data:`X`) on the cell (t_j, t_{j+1}). Build with :meth:`uniform`,
    :meth:`from_pieces` or :func:`parse_population`.
    """

    knots: tuple[sp.Expr, ...]
    density: tuple[sp.Expr, ...]
    target: tuple[sp.Expr, ...]
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_pieces(cls, target: Sequence[tuple[object, object, object]],
                    density: Sequence[tuple[object, object, object]] | None = None,
                    support: tuple[object, object] | None = None) -> Population:
        """Build from ``target`` pieces (expr, lo, hi) and ``density`` pieces (weight, lo, hi).

        Without ``density`` the measure is uniform on ``support`` (default: the span of the
        target pieces). Weights are normalized to total mass 1; density pieces must be contiguous.

        Raises
        ------
        InputError
            On overlapping or non-contiguous pieces, a negative weight, zero total mass, a
            non-polynomial target, or a support the target does not cover.
        """
        tpieces = []
        for expr, lo, hi in target:
            e = to_sympy(expr) if isinstance(expr, int | sp.Basic) else expr
            if not isinstance(e, sp.Expr):
                raise InputError("target pieces must be SymPy expressions (parse text first)")
            if e.free_symbols - {X}:
                raise InputError(f"target {e} may only depend on x")
            if not e.is_polynomial(X):
                raise InputError(f"target {e} is not a polynomial in x: split it into pieces")
            tpieces.append((sp.expand(e), _exact(lo), _exact(hi)))
        if not tpieces:
            raise InputError("the target needs at least one piece")
        tpieces.sort(key=lambda t: t[1])
        for (_, lo, hi) in tpieces:
            if not lo < hi:
                raise InputError(f"empty target interval [{lo}, {hi}]")
        for (_, _, h1), (_, l2, _) in itertools.pairwise(tpieces):
            if l2 < h1:
                raise InputError(f"target pieces overlap at [{l2}, {h1}]")
        if density is None:
            lo, hi = support if support is not None else (tpieces[0][1], tpieces[-1][2])
            density = [(1, lo, hi)]
        dpieces = sorted([(_exact(w), _exact(lo), _exact(hi)) for w, lo, hi in density],
                         key=lambda t: t[1])
        for w, lo, hi in dpieces:
            if w < 0:
                raise InputError(f"negative density weight {w} on [{lo}, {hi}]")
            if not lo < hi:
                raise InputError(f"empty density interval [{lo}, {hi}]")
        for (_, _, h1), (_, l2, _) in itertools.pairwise(dpieces):
            if l2 != h1:
                raise InputError(f"density pieces must be contiguous: gap or overlap at {h1}, {l2}")
        mass = sum(w * (hi - lo) for w, lo, hi in dpieces)
        if mass == 0:
            raise InputError("the density has zero total mass")
        knots = sorted({t for _, lo, hi in dpieces for t in (lo, hi)}
                       | {t for _, lo, hi in tpieces for t in (lo, hi)
                          if dpieces[0][1] < t < dpieces[-1][2]})
        dens, targ = [], []
        for lo, hi in itertools.pairwise(knots):
            mid = (lo + hi) / 2
            w = next(wt for wt, dl, dh in dpieces if dl <= mid <= dh)
            dens.append(sp.nsimplify(w / mass))
            g = next((e for e, tl, th in tpieces if tl <= mid <= th), None)
            if g is None:
                if w != 0:
                    raise InputError(f"the target is not defined on [{lo}, {hi}] where the "
                                     "density is positive")
                g = sp.Integer(0)
            targ.append(g)
        return cls(tuple(knots), tuple(dens), tuple(targ))

    @classmethod
    def uniform(cls, a: object, b: object, target: object) -> Population:
        """Uniform measure on [a, b] and one polynomial target (expression in :data:`X`)."""
        return cls.from_pieces([(target, a, b)], support=(a, b))

    # ------------------------------------------------------------------ basic facts
    @property
    def a(self) -> sp.Expr:
        return self.knots[0]

    @property
    def b(self) -> sp.Expr:
        return self.knots[-1]

    @property
    def K(self) -> int:
        """Number of cells."""
        return len(self.knots) - 1

    def __repr__(self) -> str:
        return f"Population(support=[{self.a}, {self.b}], cells={self.K})"

    def g(self, x: object) -> np.ndarray:
        """The target at float points (cells closed on the left; the last one closed)."""
        xs = np.atleast_1d(np.asarray(x, dtype=np.float64))
        out = np.zeros_like(xs)
        kf = np.array([float(t) for t in self.knots])
        idx = np.clip(np.searchsorted(kf, xs, side="right") - 1, 0, self.K - 1)
        for j in range(self.K):
            m = idx == j
            if m.any():
                out[m] = sp.lambdify(X, self.target[j], "numpy")(xs[m])
        return out

    def p(self, x: object) -> np.ndarray:
        """The density at float points (zero outside [a, b])."""
        xs = np.atleast_1d(np.asarray(x, dtype=np.float64))
        kf = np.array([float(t) for t in self.knots])
        idx = np.searchsorted(kf, xs, side="right") - 1
        dens = np.array([float(d) for d in self.density] + [0.0])
        idx = np.where((xs < kf[0]) | (xs > kf[-1]), self.K, np.clip(idx, 0, self.K - 1))
        return dens[idx]

    def sample(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """``n`` inputs: i.i.d. from p with ``rng``, else stratified (inverse CDF of midpoints)."""
        u = rng.random(n) if rng is not None else (np.arange(n) + 0.5) / n
        kf = np.array([float(t) for t in self.knots])
        mass = np.array([float(d) for d in self.density]) * np.diff(kf)
        cdf = np.concatenate([[0.0], np.cumsum(mass)])
        j = np.clip(np.searchsorted(cdf, u, side="right") - 1, 0, self.K - 1)
        # Skip zero-mass cells: their cdf step is empty, searchsorted never lands inside.
        return kf[j] + (u - cdf[j]) / np.where(mass[j] > 0, mass[j], 1.0) * np.diff(kf)[j]

    # ------------------------------------------------------------------ patterns
    def locate(self, params: Network | Spline, *, side: str = "left") -> PopulationPattern:
        """The pattern of numeric parameters; a breakpoint on a knot goes to the ``side`` cell."""
        if side not in ("left", "right"):
            raise InputError(f"side must be 'left' or 'right', got {side!r}")
        spline = _as_spline(params)
        if spline.kind == "symbolic":
            raise ParameterError("locating a population pattern needs numeric parameters")
        betas = [float(b) for b in spline.beta]
        kf = [float(t) for t in self.knots]
        slots = [int(np.searchsorted(kf, b, side="left" if side == "left" else "right"))
                 for b in betas]
        ranks = [0] * spline.H
        for j in range(1, len(kf)):
            members = sorted((i for i in range(spline.H) if slots[i] == j), key=lambda i: betas[i])
            for r, i in enumerate(members):
                ranks[i] = r
        return PopulationPattern(tuple(spline.s), tuple(slots), tuple(ranks))

    def patterns(self, s: Sequence[int], *, limit: int | None = MAX_POP_PATTERNS):
        """Every population pattern with orientations ``s`` (breakpoint orders among the knots)."""
        H, K = len(s), self.K
        count = _count_orders(H, K)
        if limit is not None:
            check_size(count, limit, f"width {H} on {K} population cells")
        for slots in itertools.product(range(K + 2), repeat=H):
            groups = [[i for i in range(H) if slots[i] == j] for j in range(1, K + 1)]
            for perms in itertools.product(*[itertools.permutations(g) for g in groups]):
                rank = [0] * H
                for perm in perms:
                    for r, i in enumerate(perm):
                        rank[i] = r
                yield PopulationPattern(tuple(s), tuple(slots), tuple(rank))

    def condition(self, pattern: PopulationPattern, params: Spline) -> sp.Boolean:
        """The region of ``pattern`` as inequalities on the breakpoints (left-closed at knots)."""
        conds = []
        for i in range(pattern.H):
            j, beta = pattern.slot[i], params.beta[i]
            if j >= 1:
                conds.append(sp.StrictLessThan(self.knots[j - 1], beta))
            if j <= self.K:
                conds.append(sp.LessThan(beta, self.knots[j]))
        for j in range(1, self.K + 1):
            members = sorted((i for i in range(pattern.H) if pattern.slot[i] == j),
                             key=lambda i: pattern.rank[i])
            for i1, i2 in itertools.pairwise(members):
                conds.append(sp.LessThan(params.beta[i1], params.beta[i2]))
        return sp.And(*conds)

    # ------------------------------------------------------------------ exact pieces
    def pattern_loss(self, pattern: PopulationPattern, params: Network | Spline) -> sp.Expr:
        """L_pop on one pattern: a polynomial in (beta, mu, c), rational in (w, b, v, c)."""
        spline = _as_spline(params, s=pattern.s)
        if pattern.H != spline.H or any(not 0 <= j <= self.K + 1 for j in pattern.slot):
            raise ParameterError(f"{pattern} does not fit width {spline.H} and slots 0..{self.K + 1}")
        if tuple(spline.s) != tuple(pattern.s):
            raise ParameterError(f"pattern orientations {pattern.s} differ from {spline.s}")
        # Events inside the support in increasing order: ("k", j) knots, ("u", i) breakpoints.
        events: list[tuple[str, int]] = [("k", 0)]
        for j in range(1, self.K + 1):
            members = sorted((i for i in range(pattern.H) if pattern.slot[i] == j),
                             key=lambda i: pattern.rank[i])
            events += [("u", i) for i in members] + [("k", j)]
        active = {i for i in range(pattern.H)
                  if (pattern.s[i] > 0 and pattern.slot[i] == 0)
                  or (pattern.s[i] < 0 and pattern.slot[i] > 0)}
        total = sp.Integer(0)
        cell = 0
        alpha = spline.negative_slope
        lines = [spline.mu[i] * pattern.s[i] * (X - spline.beta[i]) for i in range(pattern.H)]

        def where(ev: tuple[str, int]) -> sp.Expr:
            return self.knots[ev[1]] if ev[0] == "k" else spline.beta[ev[1]]

        for ev, nxt in itertools.pairwise(events):
            if ev[0] == "k":
                cell = ev[1]
            else:
                active ^= {ev[1]}
            if cell >= self.K or self.density[cell] == 0:
                continue
            # unit i adds its line on the active side and alpha times it off it (leaky ReLU)
            f = spline.c + sum((lines[i] if i in active else alpha * lines[i]
                                for i in range(pattern.H) if i in active or alpha != 0),
                               sp.Integer(0))
            poly = sp.Poly(sp.expand((f - self.target[cell]) ** 2), X)
            anti = poly.integrate()
            total += self.density[cell] * (anti.eval(where(nxt)) - anti.eval(where(ev)))
        return sp.expand(total / 2)

    def _symbolic(self, pattern: PopulationPattern, param: str, alpha: object = 0) -> dict:
        key = (pattern, param, alpha)
        if key not in self._cache:
            if param == "spline":
                sym = Spline.symbols(pattern.H, pattern.s, negative_slope=alpha)
            else:
                sym = Network.symbols(pattern.H, pattern.s, negative_slope=alpha)
            theta = list(sym.vector)
            L = self.pattern_loss(pattern, sym)
            grad = [sp.diff(L, t) for t in theta]
            self._cache[key] = {"theta": theta, "loss": L, "grad": grad, "hess": None, "fns": {}}
        return self._cache[key]

    def _hess(self, entry: dict) -> sp.Matrix:
        if entry["hess"] is None:
            th = entry["theta"]
            entry["hess"] = sp.Matrix(len(th), len(th),
                                      lambda a, b: sp.diff(entry["grad"][a], th[b]))
        return entry["hess"]

    def _evaluate(self, params: Network | Spline, what: str, side: str,
                  weight_decay: object = 0) -> object:
        value = self._evaluate_risk(params, what, side)
        if weight_decay == 0:
            return value
        decay = params.decay(weight_decay)
        if what == "loss":
            return value + (float(decay.value) if params.kind == "float" else decay.value)
        extra = decay.gradient if what == "grad" else decay.hessian
        if params.kind == "float":
            return value + np.asarray(extra, dtype=np.float64)
        return (value + sp.Matrix(extra).reshape(*value.shape)).applyfunc(_tidy)

    def _evaluate_risk(self, params: Network | Spline, what: str, side: str) -> object:
        param = params.parameterization
        if params.kind == "symbolic":
            raise ParameterError("give numeric parameters, or use pattern_loss for expressions")
        pattern = self.locate(params, side=side)
        alpha = params.negative_slope
        entry = self._symbolic(pattern, param, 0 if alpha == 0 else to_sympy(alpha))
        expr = {"loss": lambda: entry["loss"], "grad": lambda: sp.Matrix(entry["grad"]),
                "hess": lambda: self._hess(entry)}[what]()
        if params.kind == "exact":
            sub = dict(zip(entry["theta"], params.vector, strict=True))
            out = expr.xreplace(sub)
            return _tidy(out) if what == "loss" else out.applyfunc(_tidy)
        if what not in entry["fns"]:
            entry["fns"][what] = sp.lambdify(entry["theta"], expr, "numpy", cse=True)
        val = entry["fns"][what](*np.asarray(params.vector, dtype=np.float64))
        return float(val) if what == "loss" else np.asarray(val, dtype=np.float64).reshape(
            (-1,) if what == "grad" else (len(entry["theta"]),) * 2)

    # ------------------------------------------------------------------ public evaluation
    def loss(self, params: Network | Spline, *, weight_decay: object = 0) -> object:
        """L_pop = (1/2) int (f - g)^2 p dx: exact SymPy number for exact input, float for float.

        Float input uses Gauss-Legendre quadrature on every cell between sorted knots and
        breakpoints (exact for the polynomial integrand up to rounding); exact input the
        pattern polynomial. Degenerate network units (w_i = 0) are allowed for float input.
        ``weight_decay`` adds the penalty of ``params.decay`` (theory §1.5); a leaky
        ``negative_slope`` on the parameters is honoured.
        """
        if params.kind == "float":
            value = self.loss_quadrature(params)
            return value if weight_decay == 0 else value + float(params.decay(weight_decay).value)
        return self._evaluate(params, "loss", "left", weight_decay)

    def loss_quadrature(self, params: Network | Spline) -> float:
        """Float64 L_pop by Gauss-Legendre on each polynomial cell: an independent route."""
        p = params.as_float() if params.kind != "float" else params
        kf = [float(t) for t in self.knots]
        if isinstance(p, Network):
            bps = [-bi / wi for wi, bi in zip(p.w, p.b, strict=True) if wi != 0]
        else:
            bps = list(p.beta)
        deg = max([1] + [sp.Poly(g, X).degree() for g in self.target])
        nodes, weights = np.polynomial.legendre.leggauss(deg + 1)
        total = 0.0
        for j in range(self.K):
            dj = float(self.density[j])
            if dj == 0:
                continue
            lo, hi = kf[j], kf[j + 1]
            cuts = sorted({lo, hi, *[b for b in bps if lo < b < hi]})
            gj = sp.lambdify(X, self.target[j], "numpy")
            for u, v in itertools.pairwise(cuts):
                xs = 0.5 * (v - u) * nodes + 0.5 * (u + v)
                r = np.asarray(p(xs), dtype=np.float64) - np.broadcast_to(gj(xs), xs.shape)
                total += dj * 0.5 * (v - u) * float(np.dot(weights, r * r))
        return 0.5 * total

    def gradient(self, params: Network | Spline, *, weight_decay: object = 0) -> object:
        """grad L_pop (+ penalty) in the order of ``params`` (exact Matrix / float array).

        L_pop is C^1."""
        return self._evaluate(params, "grad", "left", weight_decay)

    def hessian(self, params: Network | Spline, side: str = "left", *,
                weight_decay: object = 0) -> object:
        """Hess L_pop (+ penalty) on the pattern of ``params``; ``side`` picks the cell of a
        breakpoint on a knot."""
        return self._evaluate(params, "hess", side, weight_decay)

    def critical_equations(self, pattern: PopulationPattern, param: str = "spline"
                           ) -> tuple[list[sp.Symbol], list[sp.Expr]]:
        """Symbols and the equations grad L_pop = 0 (expressions equal to zero) on ``pattern``."""
        if param not in ("spline", "network"):
            raise InputError(f"param must be 'spline' or 'network', got {param!r}")
        entry = self._symbolic(pattern, param)
        return list(entry["theta"]), [sp.factor(g) for g in entry["grad"]]

    @cached_property
    def target_latex(self) -> str:
        """g as a LaTeX cases environment."""
        rows = [rf"{sp.latex(g)} & {sp.latex(lo)} \le x < {sp.latex(hi)}"
                for g, lo, hi in zip(self.target, self.knots[:-1], self.knots[1:], strict=True)]
        return r"\begin{cases}" + r" \\ ".join(rows) + r"\end{cases}"

    def piecewise(self, params: Spline, *, limit: int = MAX_POP_PATTERNS) -> sp.Piecewise:
        """The global L_pop over all breakpoint orders of symbolic spline parameters."""
        if not isinstance(params, Spline):
            raise InputError("the global piecewise population loss is built for Spline symbols")
        pieces = [(self.pattern_loss(pt, params), self.condition(pt, params))
                  for pt in self.patterns(params.s, limit=limit)]
        return sp.Piecewise(*pieces, evaluate=False)


# ---------------------------------------------------------------------- critical points
@dataclass(frozen=True)
class PopulationCriticalPoint:
    """A solution of grad L_pop = 0 on ``pattern`` (spline coordinates) lying in its region.

    ``values`` are exact (beta..., mu..., c); a positive-dimensional family keeps free symbols and
    ``condition`` says where it lies. ``eigenvalues`` (float, ascending) are given for isolated
    points: the Hessian of the pattern's piece (one-sided when the point is on a boundary).
    """

    pattern: PopulationPattern
    values: tuple
    loss: object
    condition: object
    eigenvalues: tuple[float, ...] | None

    @property
    def family(self) -> bool:
        return self.eigenvalues is None

    def as_dict(self, names: Sequence[str]) -> dict:
        return {"pattern": str(self.pattern), "s": list(self.pattern.s),
                "point": {n: str(v) for n, v in zip(names, self.values, strict=True)},
                "loss": str(self.loss), "family": self.family, "condition": str(self.condition),
                "eigenvalues": list(self.eigenvalues) if self.eigenvalues is not None else None}


def population_critical_points(pop: Population, H: int, *, max_width: int = 1
                               ) -> list[PopulationCriticalPoint]:
    """Critical points of L_pop for width 1, pattern by pattern, by ``sympy.solve``.

    Solutions of the polynomial equations grad L_P = 0 of each piece are kept when they satisfy
    the region conditions of the piece (checked exactly). Kept for compatibility: families come
    unclassified and ``sympy.solve`` on the full system does not finish at width 2 in minutes.
    Use :func:`symspline.population_critical.population_critical_set`, which is complete and
    classifies every point and family, for any width up to 3.

    Raises
    ------
    SizeError
        If H exceeds ``max_width``.
    """
    from .errors import SizeError

    if not isinstance(H, int) or H < 1:
        raise InputError(f"width must be a positive integer, got {H!r}")
    if H > max_width:
        raise SizeError(f"population_critical_points is limited to width {max_width}, got {H}: "
                        "use symspline.population_critical.population_critical_set")
    out: list[PopulationCriticalPoint] = []
    seen: set = set()
    for s in itertools.product((1, -1), repeat=H):
        sym = Spline.symbols(H, s)
        for pt in pop.patterns(s):
            theta, eqs = pop.critical_equations(pt)
            for sol in sp.solve(eqs, theta, dict=True):
                vals = tuple(sp.radsimp(to_sympy(sol.get(t, t))) for t in theta)
                if not all(v.is_real is not False for v in vals):
                    continue
                sub = dict(zip(theta, vals, strict=True))
                cond = sp.simplify(pop.condition(pt, sym).xreplace(sub))
                if cond is sp.false:
                    continue
                free = set().union(*[v.free_symbols for v in vals])
                entry = pop._symbolic(pt, "spline")
                loss = sp.radsimp(sp.expand(entry["loss"].xreplace(sub)))
                key = (s, vals)
                if key in seen:
                    continue
                seen.add(key)
                if free:
                    out.append(PopulationCriticalPoint(pt, vals, sp.simplify(loss), cond, None))
                    continue
                if cond is not sp.true:
                    continue
                Hm = np.array(pop._hess(entry).xreplace(sub).evalf(30).tolist(), dtype=float)
                ev = tuple(float(e) for e in np.linalg.eigvalsh(Hm))
                out.append(PopulationCriticalPoint(pt, vals, loss, cond, ev))
    return out


# ---------------------------------------------------------------------- parsing
_PIECE_RE = re.compile(r"\s*(?P<expr>.+?)\s+on\s*\[(?P<lo>[^,\]]+),(?P<hi>[^\]]+)\]\s*(?:,|$)")


def _pieces(text: str, what: str) -> list[tuple[str, sp.Expr, sp.Expr]]:
    from .parsing import parse_interval

    text = text.strip()
    if " on " not in f" {text} " and "on[" not in text.replace(" ", ""):
        return [(text, None, None)]
    out, pos = [], 0
    while pos < len(text):
        m = _PIECE_RE.match(text, pos)
        if m is None:
            raise ParseError(f"cannot read {what} piece at {text[pos:pos + 30]!r}: write "
                             "'EXPR on [LO, HI], ...'")
        lo, hi = parse_interval(f"{m.group('lo')},{m.group('hi')}")
        out.append((m.group("expr"), lo, hi))
        pos = m.end()
    return out


def parse_population(spec: str) -> Population:
    """Parse a population SPEC (never evaluated as code).

    Clauses separated by ``;``:

    - ``uniform:A,B`` -- the uniform measure on [A, B] (exact numbers);
    - ``density:W1 on [T0,T1], W2 on [T1,T2], ...`` -- piecewise-constant weights (normalized);
    - ``target:EXPR`` or ``target:EXPR1 on [LO,HI], EXPR2 on [LO,HI], ...`` -- polynomials in x
      (parsed by :func:`symspline.parsing.parse_expression`; decimals are exact).

    Example: ``"uniform:-1,1; target: x**2 on [-1,0], 1 - x on [0,1]"``. Without a measure
    clause the measure is uniform on the span of the target pieces.

    Raises
    ------
    ParseError
        For unknown clauses, missing target, malformed pieces or expressions.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ParseError("empty population spec (e.g. 'uniform:-1,1;target:x**2')")
    if len(spec) > 4000:
        raise ParseError("population spec longer than 4000 characters")
    from .numbers import parse_number
    from .parsing import parse_interval

    clauses: dict[str, str] = {}
    for part in spec.split(";"):
        if not part.strip():
            continue
        name, sep, body = part.partition(":")
        name = name.strip().lower()
        if not sep or name not in ("uniform", "density", "target"):
            raise ParseError(f"unknown population clause {part.strip()[:30]!r} "
                             "(expected uniform:A,B, density:..., target:...)")
        if name in clauses:
            raise ParseError(f"clause {name!r} given twice")
        clauses[name] = body
    if "target" not in clauses:
        raise ParseError("the population spec needs a target clause (target:EXPR)")
    if "uniform" in clauses and "density" in clauses:
        raise ParseError("give either uniform:A,B or density:..., not both")
    support = parse_interval(clauses["uniform"]) if "uniform" in clauses else None
    density = None
    if "density" in clauses:
        density = []
        for wtext, lo, hi in _pieces(clauses["density"], "density"):
            if lo is None:
                raise ParseError("density pieces need intervals: 'W on [LO,HI], ...'")
            density.append((parse_number(wtext.strip(), exact_decimals=True), lo, hi))
    tp = _pieces(clauses["target"], "target")
    if len(tp) == 1 and tp[0][1] is None:
        if support is not None:
            span = support
        elif density:
            span = (min(d[1] for d in density), max(d[2] for d in density))
        else:
            raise ParseError("a target without intervals needs uniform:A,B or density:...")
        tp = [(tp[0][0], span[0], span[1])]
    target = [(parse_expression(t, {"x": X}), lo, hi) for t, lo, hi in tp]
    try:
        return Population.from_pieces(target, density=density, support=support)
    except InputError as exc:
        raise ParseError(str(exc)) from None


# ---------------------------------------------------------------------- helpers
def _exact(v: object) -> sp.Expr:
    if isinstance(v, float):
        raise InputError(f"population knots and weights must be exact, got the float {v}")
    e = to_sympy(v)
    if not (e.is_real and e.is_finite) or e.free_symbols:
        raise InputError(f"expected a finite exact number, got {v}")
    return e


def _as_spline(params: Network | Spline, s: Sequence[int] | None = None) -> Spline:
    if isinstance(params, Spline):
        return params
    if not isinstance(params, Network):
        raise InputError(f"params must be a Network or a Spline, got {type(params).__name__}")
    if params.kind == "symbolic":
        # Symbolic networks: the orientation must be decided by the symbols' signs.
        s = s or params.orientations()
        sa = [sp.Integer(si) for si in s]
        return Spline([-bi / wi for wi, bi in zip(params.w, params.b, strict=True)],
                      [vi * si * wi for vi, si, wi in zip(params.v, sa, params.w, strict=True)],
                      tuple(s), params.c, params.negative_slope)
    return params.to_spline()


def _tidy(e: sp.Expr) -> sp.Expr:
    # Rationals are canonical; algebraic values (from to_network) are rationalized exactly.
    return e if e.is_Rational else sp.radsimp(sp.expand(e))


def _count_orders(H: int, K: int) -> int:
    # Breakpoints in slots 0..K+1; within each of the K interior slots all orders count.
    total = 0
    for slots in itertools.product(range(K + 2), repeat=H):
        m = 1
        for j in range(1, K + 1):
            c = sum(1 for sl in slots if sl == j)
            for t in range(2, c + 1):
                m *= t
        total += m
        if total > 10**7:
            break
    return total

