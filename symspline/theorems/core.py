"""Theorem records and the prover: general (symbolic N), exhaustive (every pattern), tested (random).

A :class:`Theorem` carries up to three strategies:

- ``general() -> (proved, detail)``: a proof for symbolic N and every H, usually by the indexed-sum
  templates of :mod:`symspline.theorems.general` (unit-locality: one or two units plus an arbitrary
  rest term cover every width);
- ``obligations(instance) -> [Obligation]``: on one pattern with symbolic parameters and symbolic
  ordered data, identities that must vanish (``kind="zero"``) or quantities that must be
  non-negative (``kind="nonneg"``); checked on every pattern for the given (H, N);
- ``check(point) -> str | None``: the statement at one concrete exact point (rational data and
  parameters), computed independently; returns a description of a violation or None.

:func:`prove` tries them in that order and reports the highest level reached, or a concrete
:class:`Counterexample` (pattern, parameter values, data) as soon as one is confirmed at an exact
point.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp

from .. import reprs
from ..data import Dataset
from ..errors import InputError, SizeError
from ..numbers import to_sympy
from ..params import Network, Spline
from ..regions import Pattern, patterns
from .decide import (  # the decision procedures; is_zero is re-exported for the catalogue
    certify_nonneg,
    is_zero,
    region_of,
    scalar_confirm,
    scalar_score,
    search,
)

#: Largest number of patterns an exhaustive proof will visit.
MAX_EXHAUSTIVE_PATTERNS = 4096


@dataclass(frozen=True)
class Obligation:
    """One thing to verify on a pattern: ``expr`` == 0 (kind "zero") or >= 0 (kind "nonneg").

    ``fixed`` holds hypothesis substitutions (e.g. mu_i = 0) already applied to ``expr``; a
    concrete counterexample is sampled with them in force.
    """

    label: str
    expr: sp.Expr
    kind: str = "zero"
    fixed: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()


@dataclass(frozen=True)
class Counterexample:
    """A concrete exact point where the statement fails."""

    theorem: str
    pattern: str
    params: dict[str, str]
    data_x: tuple[str, ...]
    data_y: tuple[str, ...]
    detail: str

    def as_dict(self) -> dict:
        return {"theorem": self.theorem, "pattern": self.pattern, "params": dict(self.params),
                "data": {"x": list(self.data_x), "y": list(self.data_y)}, "detail": self.detail}

    def __str__(self) -> str:
        ps = ", ".join(f"{k}={v}" for k, v in self.params.items())
        xs = ", ".join(self.data_x)
        ys = ", ".join(self.data_y)
        return f"{self.pattern} with {ps}; data x=[{xs}], y=[{ys}]: {self.detail}"


#: Outcome levels, strongest first: proofs, then "tested" (no counterexample among the points
#: tried: *not* a proof), "refuted" (an exact counterexample) and "failed" (undecided).
LEVELS = ("general", "exhaustive", "tested", "refuted", "failed")
#: The levels that are proofs.
PROOF_LEVELS = ("general", "exhaustive")


@dataclass(frozen=True)
class ProofResult:
    """Outcome of :func:`prove` or :func:`symspline.claim`.

    ``level`` is one of :data:`LEVELS`: "general" (proved for symbolic N and every width),
    "exhaustive" (proved on every activation pattern at this (H, N)), "tested" (no
    counterexample among ``points`` points: not a proof), "refuted" (``counterexample`` is an
    exact point, inside its pattern, where the statement fails) or "failed" (undecided).
    ``label`` spells the level out for people; ``proved`` is True only for the two proof levels.
    """

    theorem: str
    level: str
    counterexample: Counterexample | None
    detail: str
    H: int
    N: int
    expected_false: bool = False
    attempts: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    certificates: tuple[str, ...] = ()
    points: int = 0
    patterns: int = 0
    param: str = "spline"

    @property
    def proved(self) -> bool:
        """True for a proof (general or exhaustive); never for "tested"."""
        return self.level in PROOF_LEVELS

    @property
    def refuted(self) -> bool:
        return self.level == "refuted"

    @property
    def label(self) -> str:
        """The level in words: "proved (general)", "proved (exhaustive, H=2, N=3)",
        "tested (K points, no counterexample)", "refuted (exact counterexample)", "undecided"."""
        if self.level == "general":
            return "proved (general)"
        if self.level == "exhaustive":
            return f"proved (exhaustive, H={self.H}, N={self.N})"
        if self.level == "tested":
            return f"tested ({self.points} points, no counterexample)"
        if self.level == "refuted":
            return "refuted (exact counterexample)"
        return "undecided"

    @property
    def ok(self) -> bool:
        """True when the outcome is the expected one: refuted if expected false, else proved or
        tested (``proved`` tells the two apart; a tested statement is never counted as proved)."""
        if self.expected_false:
            return self.level == "refuted"
        return self.level in ("general", "exhaustive", "tested")

    def _repr_latex_(self) -> str | None:
        return reprs.render(self, "latex")  # registered by symspline.render

    def as_dict(self) -> dict:
        return {"theorem": self.theorem, "level": self.level, "label": self.label,
                "proved": self.proved, "ok": self.ok,
                "expected_false": self.expected_false, "H": self.H, "N": self.N,
                "param": self.param, "detail": self.detail, "seconds": round(self.seconds, 3),
                "patterns": self.patterns, "points": self.points,
                "certificates": list(self.certificates),
                "attempts": [{"strategy": s, "outcome": o} for s, o in self.attempts],
                "counterexample": None if self.counterexample is None
                else self.counterexample.as_dict()}


@dataclass(frozen=True, eq=False)
class Instance:
    """One pattern with parameters and data (symbolic for exhaustive proofs, exact for checks).

    Derived objects (loss polynomial, closed forms, SymPy derivatives) are computed once.
    """

    pattern: Pattern
    params: Network | Spline
    data: Dataset

    @property
    def H(self) -> int:
        return self.params.H

    @property
    def N(self) -> int:
        return self.data.n

    @property
    def theta(self) -> list:
        return list(self.params.vector)

    @cached_property
    def residuals(self) -> list[sp.Expr]:
        from ..piecewise import pattern_residuals

        return pattern_residuals(self.pattern, self.params, self.data)

    @cached_property
    def loss_poly(self) -> sp.Poly:
        """The pattern loss as a polynomial in the parameters (coefficients in the data)."""
        rs = [sp.Poly(r, *self.theta) for r in self.residuals]
        total = rs[0] * rs[0]
        for r in rs[1:]:
            total = total + r * r
        return total * sp.Rational(1, 2 * self.N)

    @cached_property
    def loss(self) -> sp.Expr:
        return self.loss_poly.as_expr()

    @cached_property
    def _grad_polys(self) -> list[sp.Poly]:
        return [self.loss_poly.diff(t) for t in self.theta]

    @cached_property
    def grad_diff(self) -> sp.Matrix:
        """Gradient by differentiation of the pattern polynomial (independent of 2.2)."""
        return sp.Matrix([p.as_expr() for p in self._grad_polys])

    @cached_property
    def hess_diff(self) -> sp.Matrix:
        """Hessian by differentiation of the pattern polynomial (independent of 3.1)."""
        th = self.theta
        return sp.Matrix([[gp.diff(t).as_expr() for t in th] for gp in self._grad_polys])

    @cached_property
    def grad(self) -> sp.Matrix:
        from ..calculus import pattern_gradient

        return pattern_gradient(self.pattern, self.params, self.data)

    @cached_property
    def parts(self) -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
        from ..calculus import pattern_hessian

        return tuple(pattern_hessian(self.pattern, self.params, self.data, parts=True))

    @cached_property
    def rho(self) -> list[sp.Expr]:
        from ..calculus import pattern_rho

        return pattern_rho(self.pattern, self.params, self.data)

    def active_sum(self, i: int, weight: Callable[[int], object] = lambda n: 1) -> sp.Expr:
        """sum_{n in A_i} r_n * weight(n), summed term by term (not through closed forms)."""
        return sp.Add(*[self.residuals[n] * weight(n) for n in self.pattern.active(i)])


@dataclass(frozen=True)
class Theorem:
    """A statement with hypotheses and proof strategies (see module docstring)."""

    name: str
    statement: str
    latex: str
    hypotheses: tuple[str, ...] = ()
    param: str = "spline"
    general: Callable[[], tuple[bool, str]] | None = field(default=None, repr=False)
    obligations: Callable[[Instance], list[Obligation]] | None = field(default=None, repr=False)
    check: Callable[[Instance], str | None] | None = field(default=None, repr=False)
    expected_false: bool = False
    min_H: int = 1
    min_N: int = 1

    def _repr_latex_(self) -> str | None:
        return reprs.render(self, "latex")  # registered by symspline.render

    @property
    def strategies(self) -> tuple[str, ...]:
        out = []
        if self.general is not None:
            out.append("general")
        if self.obligations is not None:
            out.append("exhaustive")
        if self.check is not None:
            out.append("numeric")
        return tuple(out)


# ------------------------------------------------------------------ instances
_CACHE: dict = {}


def symbolic_instances(param: str, H: int, N: int) -> list[Instance]:
    """Every pattern of width H on N symbolic ordered samples, with symbolic parameters.

    Spline: real symbols beta, mu, c for each orientation vector; network: w_i declared positive
    or negative according to the pattern's orientation (so |w_i| = s_i w_i exactly).
    """
    key = (param, H, N)
    if key in _CACHE:
        return _CACHE[key]
    count = (2 * (N + 1)) ** H
    if count > MAX_EXHAUSTIVE_PATTERNS:
        raise SizeError(f"an exhaustive proof at H={H}, N={N} visits {count} patterns, more "
                        f"than the limit of {MAX_EXHAUSTIVE_PATTERNS}")
    data = Dataset.symbols(N)
    out = []
    by_s: dict = {}
    for pat in patterns(H, N, limit=None):
        if pat.s not in by_s:
            by_s[pat.s] = (Spline.symbols(H, pat.s) if param == "spline"
                           else Network.symbols(H, pat.s))
        out.append(Instance(pat, by_s[pat.s], data))
    _CACHE[key] = out
    return out


def _rat(rng: np.random.Generator, lo: int = -9, hi: int = 9, den: int = 4) -> sp.Rational:
    return sp.Rational(int(rng.integers(lo * den, hi * den + 1)), den)


def random_data(rng: np.random.Generator, N: int) -> Dataset:
    """N distinct rational x (denominator 4) in [-3, 3] and rational y."""
    pool = rng.choice(np.arange(-12, 13), size=N, replace=False)
    xs = sorted(sp.Rational(int(v), 4) for v in pool)
    ys = [_rat(rng, -4, 4) for _ in range(N)]
    return Dataset.from_arrays(xs, ys)


def _in_gap(rng: np.random.Generator, data: Dataset, k: int) -> sp.Rational:
    lo, hi = data.gap(k)
    if k == 0:
        return hi - 1 - sp.Rational(int(rng.integers(0, 8)), 4)
    if k == data.n:
        return lo + 1 + sp.Rational(int(rng.integers(0, 8)), 4)
    t = sp.Rational(int(rng.integers(1, 8)), 8)
    return lo + t * (hi - lo)


def random_point(rng: np.random.Generator, pattern: Pattern, param: str, data: Dataset,
                 fixed: dict | None = None, symbols: Network | Spline | None = None,
                 ) -> Network | Spline:
    """Exact parameters inside ``pattern`` (breakpoint of unit i strictly inside gap k_i).

    ``fixed`` maps parameter names (e.g. "mu1") to values imposed as hypotheses.
    """
    fixed = fixed or {}
    H = pattern.H
    beta = [_in_gap(rng, data, k) for k in pattern.k]
    mu = []
    for _ in range(H):
        m = _rat(rng, -3, 3)
        mu.append(m if m != 0 else sp.Rational(1, 2))
    c = _rat(rng, -2, 2)
    if param == "spline":
        vals = {f"beta{i + 1}": beta[i] for i in range(H)}
        vals.update({f"mu{i + 1}": mu[i] for i in range(H)})
        vals["c"] = c
        vals.update(fixed)
        return Spline([vals[f"beta{i + 1}"] for i in range(H)],
                      [vals[f"mu{i + 1}"] for i in range(H)], pattern.s, vals["c"])
    a = [sp.Rational(int(rng.integers(1, 9)), 4) for _ in range(H)]
    w = [pattern.s[i] * a[i] for i in range(H)]
    vals = {f"w{i + 1}": w[i] for i in range(H)}
    vals.update({f"b{i + 1}": -w[i] * beta[i] for i in range(H)})
    vals.update({f"v{i + 1}": mu[i] / a[i] for i in range(H)})
    vals["c"] = c
    vals.update(fixed)
    return Network([vals[f"w{i + 1}"] for i in range(H)], [vals[f"b{i + 1}"] for i in range(H)],
                   [vals[f"v{i + 1}"] for i in range(H)], vals["c"])


def _rescaled(rng: np.random.Generator, data: Dataset, point: Network | Spline,
              ) -> tuple[Dataset, Network | Spline]:
    """The same pattern with x scaled by a and y, f by b (powers of ten in 1e-6..1e8)."""
    a = sp.Integer(10) ** int(rng.integers(-6, 9))
    b = sp.Integer(10) ** int(rng.integers(-6, 9))
    data = Dataset.from_arrays([a * x for x in data.x], [b * y for y in data.y])
    if isinstance(point, Spline):
        return data, Spline([a * t for t in point.beta], [b / a * m for m in point.mu], point.s,
                            b * point.c)
    return data, Network(list(point.w), [a * t for t in point.b], [b / a * v for v in point.v],
                         b * point.c)


def _subs_map(inst: Instance, point: Network | Spline, data: Dataset) -> dict:
    m = dict(zip(inst.theta, point.vector, strict=True))
    m.update(dict(zip(inst.data.x, data.x, strict=True)))
    m.update(dict(zip(inst.data.y, data.y, strict=True)))
    return m


def _counterexample(theorem: Theorem, pattern: Pattern, point: Network | Spline,
                    data: Dataset, detail: str) -> Counterexample:
    return Counterexample(
        theorem.name, str(pattern),
        {name: str(v) for name, v in zip(point.names, point.vector, strict=True)},
        tuple(str(v) for v in data.x), tuple(str(v) for v in data.y), detail)


def _concretize(theorem: Theorem, inst: Instance, ob: Obligation, rng: np.random.Generator,
                tries: int) -> Counterexample | None:
    """Find an exact point in the pattern where the failed obligation really fails."""
    fixed_names = {str(sym): val for sym, val in ob.fixed}
    for _ in range(tries):
        data = random_data(rng, inst.N)
        point = random_point(rng, inst.pattern, theorem.param, data, fixed_names)
        value = sp.expand(ob.expr.subs(_subs_map(inst, point, data)))
        bad = (value != 0) if ob.kind == "zero" else bool(value < 0)
        if not bad:
            continue
        detail = f"{ob.label}: {'value' if ob.kind == 'zero' else 'negative value'} {value}"
        if theorem.check is not None:
            # Confirm independently at the concrete point, in the pattern it lies in.
            confirm = theorem.check(Instance(inst.pattern, point, data))
            if confirm is None and ob.kind == "zero":
                continue
            if confirm:
                detail += f"; confirmed: {confirm}"
        return _counterexample(theorem, inst.pattern, point, data, detail)
    return None


# ------------------------------------------------------------------ the prover
def open_obligations(theorem: Theorem, inst: Instance) -> list[Obligation]:
    """The obligations of ``theorem`` on ``inst`` that are not verified symbolically."""
    out = []
    for ob in theorem.obligations(inst):  # type: ignore[misc]
        if ob.kind == "zero" and is_zero(ob.expr):
            continue
        if ob.kind == "nonneg" and _nonneg_certified(ob, inst):
            continue
        out.append(ob)
    return out


def _nonneg_certified(ob: Obligation, inst: Instance) -> bool:
    """An exact certificate that the obligation is >= 0 on the pattern (see :mod:`.decide`)."""
    if sp.expand(ob.expr).is_nonnegative:
        return True
    if inst.params.kind != "symbolic" or inst.data.kind != "symbolic":
        return False
    return certify_nonneg(ob.expr, region_of(inst)) is not None


def _search_nonneg(theorem: Theorem, inst: Instance, ob: Obligation,
                   rng: np.random.Generator) -> tuple[Counterexample | None, int]:
    """Adversarial search for a violation of a "nonneg" obligation, confirmed exactly inside
    the pattern (see :func:`.decide.search`)."""
    region = region_of(inst)
    viol, n = search(region, rng, score=scalar_score(ob.expr, region, False),
                     confirm=scalar_confirm(ob.expr, False))
    if viol is None:
        return None, n
    vals = dict(viol.values)
    vals.update({sym: to_sympy(v).xreplace(viol.values) for sym, v in ob.fixed})
    data = Dataset.from_arrays([vals[x] for x in inst.data.x], [vals[y] for y in inst.data.y])
    p = inst.params
    if isinstance(p, Spline):
        point: Network | Spline = Spline([vals[b] for b in p.beta], [vals[m] for m in p.mu],
                                         inst.pattern.s, vals[p.c])
    else:
        point = Network([vals[w] for w in p.w], [vals[b] for b in p.b], [vals[v] for v in p.v],
                        vals[p.c])
    return _counterexample(theorem, inst.pattern, point, data,
                           f"{ob.label}: {viol.detail}"), n


#: Named theorem sets a worker process can look a theorem up in by name (closures do not
#: pickle): symspline.theorems registers its catalogue on import, and a worker imports that
#: package before it runs :func:`_open_in_chunk`.
_NAMED: list[Callable[[], dict[str, Theorem]]] = []


def register_named(theorems: Callable[[], dict[str, Theorem]]) -> None:
    """Register a function returning theorems by name, for the parallel exhaustive level."""
    if theorems not in _NAMED:
        _NAMED.append(theorems)


def _named(name: str) -> Theorem | None:
    for theorems in _NAMED:
        found = theorems().get(name)
        if found is not None:
            return found
    return None


def _open_in_chunk(name: str, H: int, N: int, lo: int, hi: int) -> list[int]:
    # Runs in a worker process: the theorem is looked up by name (closures do not pickle).
    th = _named(name)
    if th is None:
        raise InputError(f"no registered theorem named {name!r}")
    insts = symbolic_instances(th.param, H, N)
    return [j for j in range(lo, hi) if open_obligations(th, insts[j])]


def _exhaustive(theorem: Theorem, H: int, N: int, insts: list[Instance],
                executor: Executor | None, progress: Callable[[int, int], None] | None,
                ) -> Iterator[tuple[int, list[Obligation]]]:
    """Yield (pattern index, open obligations) for every pattern with something left open."""
    total = len(insts)
    parallel = executor is not None and _named(theorem.name) is theorem
    if not parallel:
        for j, inst in enumerate(insts):
            obs = open_obligations(theorem, inst)
            if progress is not None:
                progress(j + 1, total)
            if obs:
                yield j, obs
        return
    step = max(1, total // 32)
    futures = [executor.submit(_open_in_chunk, theorem.name, H, N, lo, min(total, lo + step))
               for lo in range(0, total, step)]
    done = 0
    for fut, lo in zip(futures, range(0, total, step), strict=True):
        bad = fut.result()
        done = min(total, lo + step)
        if progress is not None:
            progress(done, total)
        for j in bad:
            # Re-derive the open obligations here, where the expressions are needed.
            yield j, open_obligations(theorem, insts[j])


def prove(theorem: Theorem, H: int = 2, N: int = 3, *, strategies: tuple[str, ...] | None = None,
          trials: int = 40, seed: int = 0, progress: Callable[[int, int], None] | None = None,
          executor: Executor | None = None) -> ProofResult:
    """Prove or refute ``theorem``: general, then exhaustive at (H, N), then randomized testing.

    Parameters
    ----------
    H, N : int
        Width and sample count of the exhaustive and tested levels.
    strategies : tuple of str, optional
        Restrict to these of ("general", "exhaustive", "numeric"), still tried in that order
        ("tested" is accepted for "numeric"; either ends at level "tested").
    trials : int
        Random exact points for the tested level (and for turning a failed symbolic obligation
        into a concrete counterexample).
    progress : callable, optional
        Called as ``progress(done, total)`` during the exhaustive level (for progress bars).
    executor : concurrent.futures.Executor, optional
        Checks the patterns of the exhaustive level in parallel (a process pool, or a Dask
        client's executor) for catalogue theorems; serial otherwise.

    Returns
    -------
    ProofResult
        The highest level reached, or "refuted" with a counterexample, or "failed".
    """
    if not isinstance(H, int) or not isinstance(N, int) or H < 1 or N < 1:
        raise InputError(f"need positive integers H and N, got H={H!r}, N={N!r}")
    H, N = max(H, theorem.min_H), max(N, theorem.min_N)
    wanted = tuple("numeric" if w == "tested" else w
                   for w in (strategies or ("general", "exhaustive", "numeric")))
    for s in wanted:
        if s not in ("general", "exhaustive", "numeric"):
            raise InputError(f"unknown proof strategy {s!r}")
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    attempts: list[tuple[str, str]] = []
    points = 0

    def result(level: str, detail: str, cex: Counterexample | None = None) -> ProofResult:
        return ProofResult(theorem.name, level, cex, detail, H, N, theorem.expected_false,
                           tuple(attempts), time.perf_counter() - t0, points=points,
                           param=theorem.param)

    if "general" in wanted and theorem.general is not None:
        ok, detail = theorem.general()
        attempts.append(("general", ("proved: " if ok else "not proved: ") + detail))
        if ok:
            return result("general", detail)
    if "exhaustive" in wanted and theorem.obligations is not None:
        insts = symbolic_instances(theorem.param, H, N)
        failed: list[str] = []
        undecided = 0
        for j, open_obs in _exhaustive(theorem, H, N, insts, executor, progress):
            inst = insts[j]
            for ob in open_obs:
                # Small random exact points first (readable counterexamples); for an
                # inequality without a certificate, then the adversarial search.
                cex = _concretize(theorem, inst, ob, rng, trials)
                if cex is None and ob.kind == "nonneg":
                    cex, n = _search_nonneg(theorem, inst, ob, rng)
                    points += n
                if cex is not None:
                    attempts.append(("exhaustive", f"refuted on {inst.pattern}"))
                    return result("refuted", f"counterexample on {inst.pattern}: {cex.detail}",
                                  cex)
                if ob.kind == "nonneg":
                    undecided += 1
                else:
                    failed.append(f"{ob.label} on {inst.pattern}")
        if not failed and not undecided:
            detail = (f"all {len(insts)} patterns of width {H} on {N} symbolic ordered samples "
                      "verified exactly (identities expand to 0, inequalities certified)")
            attempts.append(("exhaustive", "proved: " + detail))
            return result("exhaustive", detail)
        attempts.append(("exhaustive", f"not proved: {len(failed)} identities failed without a "
                         f"concrete counterexample, {undecided} inequalities without a "
                         "certificate (searched, no counterexample)"))
    if "numeric" in wanted and theorem.check is not None:
        for t in range(trials):
            Hn = int(rng.integers(theorem.min_H, H + 1))
            Nn = int(rng.integers(theorem.min_N, N + 1))
            data = random_data(rng, Nn)
            s = tuple(int(v) for v in rng.choice([-1, 1], size=Hn))
            k = tuple(int(v) for v in rng.integers(0, Nn + 1, size=Hn))
            pat = Pattern(s, k, Nn)
            point = random_point(rng, pat, theorem.param, data)
            if t % 2:
                # Every other point is rescaled (x by a, y and f by b): same pattern, magnitudes
                # from 1e-6 to 1e8, so a bound that fails only far from the unit box is seen.
                data, point = _rescaled(rng, data, point)
            points += 1
            violation = theorem.check(Instance(pat, point, data))
            if violation:
                cex = _counterexample(theorem, pat, point, data, violation)
                attempts.append(("tested", f"refuted on {pat}"))
                return result("refuted", f"counterexample on {pat}: {violation}", cex)
        detail = (f"{trials} exact points (H <= {H}, N <= {N}, half of them rescaled over "
                  "1e-6..1e8) satisfy the statement: tested, not proved")
        attempts.append(("tested", "passed: " + detail))
        return result("tested", detail)
    return result("failed", "; ".join(o for _, o in attempts) or "no applicable strategy")

