r"""Theory §4.5 (docs/theory.md) as exact expressions: breakpoints, roughness, Var f and Var f'
of a width-H network.

For H independent units drawn from a scheme (laws derived in :mod:`.laws`):

.. math::

    \mathbb E\,\#\{i : \beta_i \in [a, b]\} = H \int_a^b p(\beta)\, d\beta, \qquad
    \mathbb E \sum_{\beta_i \in [a, b]} \mu_i^2 = H \int_a^b p(\beta)\,
        \mathbb E[\mu^2 \mid \beta]\, d\beta,

.. math::

    \operatorname{Var} f(x) = H\, \mathbb E[v^2]\, \mathbb E[(w x + b)_+^2] + \operatorname{Var} c,
    \qquad
    \operatorname{Var} f'(x) = H\, \mathbb E[v^2]\, \mathbb E[w^2 \mathbf 1\{w x + b > 0\}],

(E f(x) = E f'(x) = 0 because v and c are centred and independent of the rest; the units are
i.i.d., so variances add). f'(x) = sum over units with s_i (x - beta_i) > 0 of v_i w_i.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from ..errors import ParameterError
from .laws import BETA, MU, EvenLaw, FamilyLaws, M, X, _tidy, laws
from .schemes import Gaussian, Uniform, as_number, as_width

#: Width as a symbol, for formulas in H.
H_SYM = sp.Symbol("H", positive=True, integer=True)
A_SYM, B_SYM = sp.symbols("a b", real=True)

QUANTITIES = ("breakpoint_density", "delta_slope_density", "expected_breakpoints",
              "expected_roughness", "var_f", "var_fprime")


def _subs(scheme: Gaussian | Uniform) -> tuple[FamilyLaws, dict]:
    fam = laws(scheme.family)
    return fam, dict(zip(fam.scales, scheme.scales, strict=True))


def _num(value: object, what: str) -> sp.Expr:
    """A point or bound as a SymPy number (ints/rationals exact, floats as Float), finite."""
    return as_number(value, what)


def check_interval(a: object, b: object) -> tuple[sp.Expr, sp.Expr]:
    """Validate a data interval [a, b] with a < b; returns both ends as SymPy numbers."""
    a_, b_ = _num(a, "interval start a"), _num(b, "interval end b")
    if a_.is_number and b_.is_number and not bool(a_ < b_):
        raise ParameterError(f"empty interval [{a_}, {b_}]: need a < b")
    return a_, b_


def breakpoint_density(scheme: Gaussian | Uniform) -> EvenLaw:
    """p(beta) of one unit under the scheme (exact in the scheme's scales)."""
    fam, sub = _subs(scheme)
    return fam.beta_density.subs(sub)


def breakpoint_density_at(scheme: Gaussian | Uniform, beta: object) -> sp.Expr:
    """p(beta) at a point."""
    return sp.simplify(breakpoint_density(scheme).at(_num(beta, "beta")))


def delta_slope_density(scheme: Gaussian | Uniform) -> sp.Expr:
    """p(mu) as an expression in MU (even: a function of |mu|)."""
    fam, sub = _subs(scheme)
    return fam.mu_density.subs(sub).subs(M, sp.Abs(MU))


def delta_slope_density_at(scheme: Gaussian | Uniform, mu: object) -> sp.Expr:
    """p(mu) at a point; ``oo`` at mu = 0 (both families have a log singularity there)."""
    m = sp.Abs(_num(mu, "mu"))
    if m == 0:
        return sp.oo
    fam, sub = _subs(scheme)
    return sp.simplify(fam.mu_density.subs(sub).subs(M, m))


def expected_breakpoints(scheme: Gaussian | Uniform, H: object, a: object, b: object) -> sp.Expr:
    """E #{i : beta_i in [a, b]} = H * P(beta in [a, b])."""
    a_, b_ = check_interval(a, b)
    fam, sub = _subs(scheme)
    return sp.simplify(as_width(H) * _integral(fam.beta_density, sub, a_, b_))


def expected_roughness(scheme: Gaussian | Uniform, H: object, a: object, b: object) -> sp.Expr:
    """E sum_{beta_i in [a, b]} mu_i^2 = H * int_a^b p(beta) E[mu^2 | beta] d beta."""
    a_, b_ = check_interval(a, b)
    fam, sub = _subs(scheme)
    return sp.simplify(as_width(H) * _integral(fam.roughness_density, sub, a_, b_))


def _integral(law: EvenLaw, sub: dict, a: sp.Expr, b: sp.Expr) -> sp.Expr:
    # Integrate in the family's scale symbols (cached), then substitute the scheme's scales:
    # much faster than integrating expressions in sqrt(2/(H+1)) and the like.
    return (law.antiderivative(b) - law.antiderivative(a)).subs(sub)


def var_f(scheme: Gaussian | Uniform, H: object, x: object) -> sp.Expr:
    """Var f(x) = H E[v^2] E[(w x + b)_+^2] + Var c."""
    fam, sub = _subs(scheme)
    e = as_width(H) * fam.var_v * fam.relu2 + fam.var_c
    return sp.simplify(e.subs(sub).subs(X, _num(x, "x")))


def var_fprime(scheme: Gaussian | Uniform, H: object, x: object) -> sp.Expr:
    """Var f'(x) = H E[v^2] E[w^2 1{w x + b > 0}] (f' taken where no breakpoint sits at x)."""
    fam, sub = _subs(scheme)
    e = as_width(H) * fam.var_v * fam.w2_active
    return sp.simplify(e.subs(sub).subs(X, _num(x, "x")))


@dataclass(frozen=True)
class Formula:
    """One quantity as a LaTeX formula (in H, x, a, b and the scheme's scales) and its expression."""

    name: str
    latex: str
    expr: sp.Expr | None = None


def formulas(scheme: Gaussian | Uniform) -> dict[str, Formula]:
    """LaTeX formulas of the six quantities for a scheme (whose scales may involve ``H_SYM``)."""
    return _formulas_cached(scheme)


@lru_cache(maxsize=64)
def _formulas_cached(scheme: Gaussian | Uniform) -> dict[str, Formula]:
    fam, sub = _subs(scheme)
    p = fam.beta_density.subs(sub)
    out: dict[str, Formula] = {}
    out["breakpoint_density"] = Formula("breakpoint_density", r"p(\beta) = " + p.latex())
    mu = _tidy(delta_slope_density(scheme))
    out["delta_slope_density"] = Formula(
        "delta_slope_density", r"p(\mu) = " + sp.latex(sp.simplify(mu)), mu)
    F = sp.simplify(fam.beta_density.antiderivative(X).subs(sub))
    G = sp.simplify(fam.roughness_density.antiderivative(X).subs(sub))
    nb = H_SYM * _integral(fam.beta_density, sub, A_SYM, B_SYM)
    out["expected_breakpoints"] = Formula(
        "expected_breakpoints",
        r"\mathbb{E}\,\#\{i: \beta_i \in [a,b]\} = H\,\bigl(F(b) - F(a)\bigr),\quad F(x) = "
        + sp.latex(F), nb)
    rr = H_SYM * _integral(fam.roughness_density, sub, A_SYM, B_SYM)
    out["expected_roughness"] = Formula(
        "expected_roughness",
        r"\mathbb{E}\sum_{\beta_i \in [a,b]} \mu_i^2 = H\,\bigl(G(b) - G(a)\bigr),\quad G(x) = "
        + sp.latex(G), rr)
    vf = sp.simplify((H_SYM * fam.var_v * fam.relu2 + fam.var_c).subs(sub))
    out["var_f"] = Formula("var_f", r"\operatorname{Var} f(x) = " + sp.latex(vf), vf)
    vfp = sp.simplify((H_SYM * fam.var_v * fam.w2_active).subs(sub))
    out["var_fprime"] = Formula("var_fprime", r"\operatorname{Var} f'(x) = " + sp.latex(vfp), vfp)
    return out


@dataclass(frozen=True)
class Growth:
    """q(H) ~ coefficient * H**exponent as H -> oo; ``limit`` is lim q (possibly oo or 0)."""

    exponent: sp.Expr
    coefficient: sp.Expr
    limit: sp.Expr

    def latex(self) -> str:
        if self.coefficient == 0:
            return "0"
        return sp.latex(self.coefficient * H_SYM**self.exponent)


def growth(expr: sp.Expr, H: sp.Symbol = H_SYM) -> Growth:
    """Leading behaviour of an expression in H as H -> oo (exponents in steps of 1/2)."""
    expr = sp.simplify(expr)
    lim = sp.limit(expr, H, sp.oo)
    if expr.is_zero:
        return Growth(sp.Integer(0), sp.Integer(0), sp.Integer(0))
    for k in range(4, -9, -1):
        p = sp.Rational(k, 2)
        c = sp.limit(expr / H**p, H, sp.oo)
        if c.is_finite and c != 0:
            return Growth(p, sp.simplify(c), lim)
    raise ParameterError(f"no power-law growth found for {expr}")


def flatness_table(preset_names: tuple[str, ...], a: object, b: object, x: object
                   ) -> dict[str, dict[str, Growth]]:
    """Large-H behaviour of the four theory §4.5 quantities for each preset (exact limits)."""
    from .schemes import PRESETS

    a_, b_ = check_interval(a, b)
    out = {}
    for name in preset_names:
        sch = PRESETS[name](H_SYM)
        out[name] = {
            "expected_breakpoints": growth(expected_breakpoints(sch, H_SYM, a_, b_)),
            "expected_roughness": growth(expected_roughness(sch, H_SYM, a_, b_)),
            "var_f": growth(var_f(sch, H_SYM, x)),
            "var_fprime": growth(var_fprime(sch, H_SYM, x)),
        }
    return out


__all__ = ["BETA", "H_SYM", "QUANTITIES", "Formula", "Growth", "breakpoint_density",
           "breakpoint_density_at", "check_interval", "delta_slope_density",
           "delta_slope_density_at", "expected_breakpoints", "expected_roughness", "flatness_table",
           "formulas", "growth", "var_f", "var_fprime"]
