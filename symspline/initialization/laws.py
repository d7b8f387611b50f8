r"""The laws of breakpoints beta = -b/w and delta-slopes mu = v|w| at initialization, derived by SymPy.

Nothing here is typed in as an answer: every density is an integral of the parameter densities
(taken from :mod:`sympy.stats`) over the hidden weight w, after the change of variables
(w, b, v) -> (w, beta, mu) with b = -beta w, v = mu/|w|, whose Jacobian is
|d(b, v)/d(beta, mu)| = |w| * 1/|w| = 1:

.. math::

    p(\beta) = \int |w|\, p_w(w)\, p_b(-\beta w)\, dw, \qquad
    p(\mu) = \int p_w(w)\, p_v(\mu/|w|)\, \frac{dw}{|w|}, \qquad
    p(\beta, \mu) = \int p_w(w)\, p_b(-\beta w)\, p_v(\mu/|w|)\, dw .

Both families are symmetric under (w, b) -> (-w, -b), which fixes beta and |w| and flips
s = sign(w); hence P(s = +1 | beta) = 1/2 and, for every x, E[(wx+b)_+^2] = E[(wx+b)^2]/2 and
E[w^2 1{wx+b>0}] = E[w^2]/2 (the event and its mirror image partition the space up to a null set).
The engine checks the first consequence by integration and uses the other two for the moments
of f and f' (docs/theory.md §4.5), which the Monte-Carlo sampler validates independently.

Results are cached (functools.lru_cache): derive once, evaluate many times.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp
from sympy import stats
from sympy.calculus.util import continuous_domain

from ..numbers import to_sympy

BETA = sp.Symbol("beta", real=True)
MU = sp.Symbol("mu", real=True)
X = sp.Symbol("x", real=True)
#: |beta| and |mu| as positive symbols: both laws are even, derived on the positive half-line.
T = sp.Symbol("t", positive=True)
M = sp.Symbol("m", positive=True)
_W = sp.Symbol("w", positive=True)
_Q = sp.Symbol("q", positive=True)

SW, SB, SV, SC = sp.symbols("sigma_w sigma_b sigma_v sigma_c", positive=True)
AW, AB, AV, AC = sp.symbols("a_w a_b a_v a_c", positive=True)


@dataclass(frozen=True)
class EvenLaw:
    """An even function g(beta) = g(|beta|): ``inner(t)`` for t = |beta| <= r, ``outer(t)`` beyond.

    ``r is None`` means a single analytic expression ``inner`` on the whole line.
    """

    inner: sp.Expr
    outer: sp.Expr | None = None
    r: sp.Expr | None = None

    def at(self, beta: object) -> sp.Expr:
        """g(beta) as a SymPy expression (Piecewise in a symbolic beta for two-region laws)."""
        b = to_sympy(beta)
        if self.r is None:
            return self.inner.subs(T, sp.Abs(b))
        if b.is_number and self.r.is_number:
            tb = sp.Abs(b)
            return (self.inner if bool(tb <= self.r) else self.outer).subs(T, tb)
        return sp.Piecewise((self.inner.subs(T, sp.Abs(b)), sp.Abs(b) <= self.r),
                            (self.outer.subs(T, sp.Abs(b)), True))

    def subs(self, mapping: dict) -> EvenLaw:
        """The same law with scale symbols replaced (e.g. by a scheme's values)."""
        return EvenLaw(self.inner.subs(mapping),
                       None if self.outer is None else self.outer.subs(mapping),
                       None if self.r is None else self.r.subs(mapping))

    def times(self, other: EvenLaw) -> EvenLaw:
        """Pointwise product of two laws with the same region boundary."""
        if (self.r is None) != (other.r is None) or (
                self.r is not None and sp.simplify(self.r - other.r) != 0):
            raise ValueError("laws with different region boundaries")
        outer = None if self.outer is None else sp.simplify(self.outer * other.outer)
        return EvenLaw(sp.simplify(self.inner * other.inner), outer, self.r)

    def integral(self, a: object, b: object) -> sp.Expr:
        """int_a^b g(beta) d beta, exactly (a = -oo and b = oo allowed)."""
        return sp.simplify(self.antiderivative(b) - self.antiderivative(a))

    def antiderivative(self, x: object) -> sp.Expr:
        r"""G(x) = \int_{-\infty}^x g(\beta)\, d\beta (Piecewise in a symbolic x)."""
        return _antiderivative(self, to_sympy(x))

    def _antiderivative(self, x: sp.Expr) -> sp.Expr:
        if x == sp.oo:
            return self._total()
        if x == -sp.oo:
            return sp.Integer(0)
        if self.r is None:
            return sp.simplify(_antiderivative_analytic(self.inner).subs(_XU, x))
        pieces = _antiderivative_pieces(self.inner, self.outer, self.r)
        if x.is_number and self.r.is_number:
            r = self.r
            for expr, upper in zip(pieces, (-r, 0, r, sp.oo), strict=True):
                if upper == sp.oo or bool(x <= upper):
                    return sp.simplify(expr.subs(_XU, x))
        return sp.Piecewise(*[(e.subs(_XU, x), c) for e, c in zip(
            pieces, (x <= -self.r, x <= 0, x <= self.r, True), strict=True)])

    def _total(self) -> sp.Expr:
        if self.r is None:
            return sp.simplify(2 * sp.integrate(self.inner, (T, 0, sp.oo)))
        return sp.simplify(2 * sp.integrate(self.inner, (T, 0, self.r))
                           + 2 * sp.integrate(self.outer, (T, self.r, sp.oo)))

    def latex(self, var: str = r"\beta") -> str:
        """LaTeX of g as a function of ``var`` (cases for two-region laws)."""
        b = sp.Symbol(var.replace("\\", ""), real=True)
        if self.r is None:
            return sp.latex(sp.simplify(self.inner.subs(T, sp.Abs(b))))
        i = sp.latex(sp.simplify(self.inner.subs(T, sp.Abs(b))))
        o = sp.latex(sp.simplify(self.outer.subs(T, sp.Abs(b))))
        rr = sp.latex(self.r)
        return (rf"\begin{{cases}} {i} & |{var}| \le {rr} \\ {o} & |{var}| > {rr}"
                r" \end{cases}")


_XU = sp.Symbol("x_u", real=True)


@lru_cache(maxsize=1024)
def _antiderivative(law: EvenLaw, x: sp.Expr) -> sp.Expr:
    return law._antiderivative(x)


@lru_cache(maxsize=64)
def _antiderivative_analytic(inner: sp.Expr) -> sp.Expr:
    """G(x_u) = int_{-oo}^{x_u} g, once per law (then substituted at each point)."""
    # inner is a function of t = |beta| through t^2 only (both Gaussian laws are), so
    # replacing t by beta gives the analytic even function on the whole line.
    g = inner.subs(T, BETA)
    # Fundamental theorem of calculus: when SymPy's antiderivative F is continuous on the whole
    # line and has a finite limit at -oo, G(x) = F(x) - F(-oo). This is several times faster
    # than the improper definite integral (which goes through Meijer G) and gives the same
    # expression; otherwise the definite integral is taken as it stands.
    F = sp.integrate(g, BETA)
    if not F.has(sp.Integral) and continuous_domain(F, BETA, sp.S.Reals) == sp.S.Reals:
        lo = sp.limit(F, BETA, -sp.oo)
        if lo.is_finite:
            return sp.simplify((F - lo).subs(BETA, _XU))
    return sp.simplify(sp.integrate(g, (BETA, -sp.oo, _XU)))


@lru_cache(maxsize=64)
def _antiderivative_pieces(inner: sp.Expr, outer: sp.Expr, r: sp.Expr) -> tuple[sp.Expr, ...]:
    """G on x <= -r, -r < x <= 0, 0 < x <= r, x > r, as expressions in ``_XU``."""
    u = _XU
    t = sp.Symbol("t_", positive=True)
    y = sp.Symbol("y_", positive=True)  # |x| on each piece, so SymPy needs no sign conditions
    g_out = outer.subs(T, t)
    g_in = inner.subs(T, t)
    tail = sp.integrate(g_out, (t, r, sp.oo))          # mass of (r, oo), = mass of (-oo, -r)
    half_in = sp.integrate(g_in, (t, 0, r))            # mass of (0, r]
    # For x < 0 the point y = -x is positive: integrate the mirror image.
    p1 = sp.integrate(g_out, (t, y, sp.oo)).subs(y, -u)
    p2 = tail + sp.integrate(g_in, (t, y, r)).subs(y, -u)
    p3 = tail + half_in + sp.integrate(g_in, (t, 0, y)).subs(y, u)
    p4 = tail + 2 * half_in + sp.integrate(g_out, (t, r, y)).subs(y, u)
    return tuple(sp.simplify(p) for p in (p1, p2, p3, p4))


def _min_regions(expr: sp.Expr, var: sp.Symbol) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """Split an expression holding Min(A, B(var)) into its two regions.

    Returns (r, below, above): the crossing point r (solving A = B), and the expression for
    var < r and var > r, each obtained by substituting var = r/(1+q) or var = r(1+q) with q > 0,
    where SymPy can decide the Min, then mapping q back to var.
    """
    mins = sorted(expr.atoms(sp.Min), key=sp.default_sort_key)
    if not mins:
        raise ValueError("no Min to split")
    a, b = mins[0].args[:2]
    sols = [s for s in sp.solve(sp.Eq(a, b), var) if s.is_positive]
    if len(sols) != 1:
        raise ValueError(f"cannot locate the region boundary of {mins[0]}")
    r = sols[0]
    return (r, *_on_regions(expr, var, r))


def _on_regions(expr: sp.Expr, var: sp.Symbol, r: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """expr on var < r and on var > r, with every Min/Max decided by the q > 0 substitution."""
    below = sp.simplify(expr.subs(var, r / (1 + _Q)))
    above = sp.simplify(expr.subs(var, r * (1 + _Q)))
    if below.atoms(sp.Min, sp.Max) or above.atoms(sp.Min, sp.Max):
        raise ValueError("Min/Max not resolved in a region")
    below = _tidy(below.subs(_Q, r / var - 1))
    above = _tidy(above.subs(_Q, var / r - 1))
    return below, above


def _tidy(expr: sp.Expr) -> sp.Expr:
    # simplify() turns c*log(y) into log(y**c); keep logarithms readable instead.
    e = sp.simplify(expr)
    if e.atoms(sp.log):
        num, den = sp.fraction(sp.together(sp.expand_log(e, force=True)))
        e = sp.logcombine(num, force=True) / den
    return e


@dataclass(frozen=True)
class FamilyLaws:
    """Every derived law of one family, in the family's scale symbols.

    Attributes
    ----------
    family : "gaussian" or "uniform"
    scales : the four scale symbols (w, b, v, c)
    beta_density : p(beta)
    splus_given_beta : P(s = +1 | beta), derived as the w > 0 share of p(beta)
    w2_given_beta, mu2_given_beta : E[w^2 | beta], E[mu^2 | beta] = E[v^2] E[w^2 | beta]
    roughness_density : p(beta) E[mu^2 | beta] (integrand of theory §4.5's roughness)
    mu_density : p(mu) as a function of m = |mu| > 0 (even law)
    mu_density_raw : the same before closed-form identification (Meijer G for the Gaussian)
    joint_density : p(beta, mu) in BETA and m = |mu| (or None where not derived)
    mean_mu2, mean_abs_mu : E[mu^2], E|mu| from sympy.stats moments of v and w
    relu2 : E[(w x + b)_+^2] in X
    w2_active : E[w^2 1{w x + b > 0}]
    var_v, var_c : Var v, Var c
    """

    family: str
    scales: tuple[sp.Symbol, ...]
    beta_density: EvenLaw
    splus_given_beta: sp.Expr
    w2_given_beta: EvenLaw
    mu2_given_beta: EvenLaw
    roughness_density: EvenLaw
    mu_density: sp.Expr
    mu_density_raw: sp.Expr
    joint_density: sp.Expr | None
    mean_mu2: sp.Expr
    mean_abs_mu: sp.Expr
    relu2: sp.Expr
    w2_active: sp.Expr
    var_v: sp.Expr
    var_c: sp.Expr


def _rv(family: str, name: str, scale: sp.Symbol) -> sp.Expr:
    if family == "gaussian":
        return stats.Normal(name, 0, scale)
    return stats.Uniform(name, -scale, scale)


def _moments(family: str, sw: sp.Symbol, sb: sp.Symbol, sv: sp.Symbol, sc: sp.Symbol) -> dict:
    """Moments needed by theory §4.2 and 4.5, all from sympy.stats."""
    W, B, V, C = (_rv(family, n, s) for n, s in (("W", sw), ("B", sb), ("V", sv), ("C", sc)))
    ew2 = sp.simplify(stats.E(W**2))
    ev2 = sp.simplify(stats.E(V**2))
    e_absw = sp.simplify(stats.E(sp.Abs(W)))
    e_absv = sp.simplify(stats.E(sp.Abs(V)))
    ez2 = sp.expand(sp.simplify(stats.E((W * X + B) ** 2)))
    return {
        "ew2": ew2, "ev2": ev2,
        "mean_mu2": sp.simplify(ev2 * ew2),            # v independent of w
        "mean_abs_mu": sp.simplify(e_absv * e_absw),
        "relu2": sp.expand(ez2 / 2),                  # symmetry (w, b) -> (-w, -b)
        "w2_active": sp.simplify(ew2 / 2),            # same symmetry
        "var_v": sp.simplify(stats.variance(V)),
        "var_c": sp.simplify(stats.variance(C)),
    }


@lru_cache(maxsize=1)
def gaussian_laws() -> FamilyLaws:
    """Derive the laws of beta and mu for independent centred Gaussians (theory §4.1-4.3)."""
    fam = "gaussian"
    pw = stats.density(stats.Normal("W", 0, SW))
    pb = stats.density(stats.Normal("B", 0, SB))
    pv = stats.density(stats.Normal("V", 0, SV))
    w = _W
    # beta = t >= 0 (the law is even: p_b is even, so beta -> -beta is b -> -b).
    # Every integrand below is a Gaussian in w times a bounded or integrable factor, so the
    # integrals converge absolutely; conds="none" skips SymPy's (slow) convergence bookkeeping.
    plus = sp.integrate(w * pw(w) * pb(-T * w), (w, 0, sp.oo), conds="none")  # w > 0: s = +1
    minus = sp.integrate(w * pw(-w) * pb(T * w), (w, 0, sp.oo), conds="none")  # w < 0, w -> -w
    p_beta = sp.simplify(plus + minus)
    splus = sp.simplify(plus / p_beta)
    m3 = sp.integrate(w**3 * pw(w) * pb(-T * w), (w, 0, sp.oo), conds="none") \
        + sp.integrate(w**3 * pw(-w) * pb(T * w), (w, 0, sp.oo), conds="none")
    w2b = sp.simplify(m3 / p_beta)
    mom = _moments(fam, SW, SB, SV, SC)
    mu2b = sp.simplify(mom["ev2"] * w2b)
    raw_mu = sp.integrate(pw(w) * pv(M / w) / w, (w, 0, sp.oo), conds="none") \
        + sp.integrate(pw(-w) * pv(M / w) / w, (w, 0, sp.oo), conds="none")
    closed = sp.besselk(0, M / (SV * SW)) / (sp.pi * SV * SW)
    mu_density = closed if mellin_equal(raw_mu, closed, M) else raw_mu
    joint = sp.simplify(
        sp.integrate(pw(w) * pb(-BETA * w) * pv(M / w), (w, 0, sp.oo), conds="none")
        + sp.integrate(pw(-w) * pb(BETA * w) * pv(M / w), (w, 0, sp.oo), conds="none"))
    beta_law = EvenLaw(p_beta)
    return FamilyLaws(
        family=fam, scales=(SW, SB, SV, SC), beta_density=beta_law, splus_given_beta=splus,
        w2_given_beta=EvenLaw(w2b), mu2_given_beta=EvenLaw(mu2b),
        roughness_density=beta_law.times(EvenLaw(mu2b)), mu_density=mu_density,
        mu_density_raw=raw_mu, joint_density=joint, mean_mu2=mom["mean_mu2"],
        mean_abs_mu=mom["mean_abs_mu"], relu2=mom["relu2"], w2_active=mom["w2_active"],
        var_v=mom["var_v"], var_c=mom["var_c"],
    )


def _indicator(cond: sp.Basic) -> sp.Expr:
    return sp.Piecewise((1, cond), (0, True))


@lru_cache(maxsize=1)
def uniform_laws() -> FamilyLaws:
    """Derive the laws of beta and mu for independent centred uniforms with unequal half-widths."""
    fam = "uniform"
    w = _W
    # Densities inside their supports (the support conditions are written as indicators so
    # that SymPy integrates over w in (0, aw) and resolves the b-, v-constraints as Min / log).
    cw, cb, cv = 1 / (2 * AW), 1 / (2 * AB), 1 / (2 * AV)
    ind_b = _indicator(T * w <= AB)                # |b| = |beta| |w| <= ab
    plus = sp.integrate(w * cw * cb * ind_b, (w, 0, AW))
    wn = sp.Symbol("w_n", negative=True)        # the w < 0 half, integrated as it stands
    minus = sp.integrate(-wn * cw * cb * _indicator(-T * wn <= AB), (wn, -AW, 0))
    p_beta = sp.simplify(plus + minus)
    r, p_in, p_out = _min_regions(p_beta, T)
    # P(s = +1 | beta) on both regions (the Min/Max of the two halves resolve there).
    s_in, s_out = _on_regions(plus / p_beta, T, r)
    splus = s_in if sp.simplify(s_in - s_out) == 0 else sp.Piecewise((s_in, T <= r), (s_out, True))
    m3 = sp.integrate(w**3 * cw * cb * ind_b, (w, 0, AW)) \
        + sp.integrate(-wn**3 * cw * cb * _indicator(-T * wn <= AB), (wn, -AW, 0))
    w2b = sp.simplify(m3 / p_beta)
    mom = _moments(fam, AW, AB, AV, AC)
    w_in, w_out = _on_regions(w2b, T, r)
    beta_law = EvenLaw(p_in, p_out, r)
    w2_law = EvenLaw(w_in, w_out, r)
    mu2_law = EvenLaw(sp.simplify(mom["ev2"] * w_in), sp.simplify(mom["ev2"] * w_out), r)

    # |mu| = m = |v| |w|: density of m/2 per sign; v = mu/w needs m/w <= av.
    raw_mu = 2 * sp.integrate(cw * cv * _indicator(M <= AV * w) / w, (w, 0, AW))
    raw_mu = sp.simplify(raw_mu)
    rm, mu_in, mu_out = _min_regions(raw_mu, M)
    mu_density = sp.Piecewise((mu_in, M <= rm), (mu_out, True))
    # Joint law: conditional on beta, |w| is distributed on (0, min(aw, ab/|beta|)) with
    # density proportional to |w|; the integral over w with both constraints is derived here.
    ind_v = _indicator(M <= AV * w)
    joint = 2 * sp.integrate(cw * cb * cv * ind_b * ind_v, (w, 0, AW))
    joint = sp.simplify(joint.subs(T, sp.Abs(BETA)))
    return FamilyLaws(
        family=fam, scales=(AW, AB, AV, AC), beta_density=beta_law, splus_given_beta=splus,
        w2_given_beta=w2_law, mu2_given_beta=mu2_law,
        roughness_density=beta_law.times(mu2_law), mu_density=mu_density,
        mu_density_raw=raw_mu, joint_density=joint, mean_mu2=mom["mean_mu2"],
        mean_abs_mu=mom["mean_abs_mu"], relu2=mom["relu2"], w2_active=mom["w2_active"],
        var_v=mom["var_v"], var_c=mom["var_c"],
    )


def laws(family: str) -> FamilyLaws:
    """The derived laws of ``"gaussian"`` or ``"uniform"``."""
    if family == "gaussian":
        return gaussian_laws()
    if family == "uniform":
        return uniform_laws()
    raise ValueError(f"unknown family {family!r}")


@lru_cache(maxsize=64)
def mellin_equal(f: sp.Expr, g: sp.Expr, var: sp.Symbol) -> bool:
    r"""True when f and g (functions of var > 0) have Mellin transforms that simplify to the same
    expression on overlapping strips: by uniqueness of the Mellin transform (for continuous
    functions) f = g on (0, oo). Used to identify Meijer-G integrals with Bessel K_0. Cached: the
    derivation of the laws and the claim that states the identity ask the same question.
    """
    s = sp.Symbol("s")
    try:
        mf = sp.mellin_transform(f, var, s)
        mg = sp.mellin_transform(g, var, s)
    except (sp.integrals.transforms.IntegralTransformError, NotImplementedError):
        return False
    if not (isinstance(mf, tuple) and isinstance(mg, tuple)):
        return False
    lo = sp.Max(mf[1][0], mg[1][0])
    hi = sp.Min(mf[1][1], mg[1][1])
    if not bool(lo < hi):
        return False
    return sp.simplify(sp.gammasimp(mf[0] - mg[0])) == 0
