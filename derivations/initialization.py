"""Theory §4 (docs/theory.md): standard initializations read in function space, derived exactly
and checked by sampling."""

from __future__ import annotations

import numpy as np
import sympy as sp

from symspline.initialization import laws as L
from symspline.initialization import roughness as R
from symspline.initialization.sampling import (
    bin_average,
    density_estimates,
    sample_functions,
    sample_units,
)
from symspline.initialization.schemes import PRESETS, Gaussian, Uniform, get_scheme
from symspline.initialization.validation import evaluate
from symspline.render.report import Claim, Derivation, Equation, latex_text, styled, table_latex

NAME = "initialization"
TITLE = "Initialization in function space: breakpoints, delta-slopes and flatness"
SECTION = "4"
SUMMARY = ("exact laws of breakpoints $\\beta = -b/w$ and delta-slopes $\\mu = v|w|$ under Gaussian, "
           "uniform and framework-preset initializations, the moments of §4.5 in the width $H$, "
           "and Monte-Carlo validation of every formula")

Z_TOL = 4.0  # Monte-Carlo tolerance in standard errors
STANDARD_PRESETS = ("pytorch", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
                    "lecun_normal")
INTERVAL = (sp.Integer(-2), sp.Integer(2))  # the default data set lies on [-2, 2]


def _zero(expr: sp.Expr) -> bool:
    return sp.simplify(expr) == 0


def _level(ok: bool) -> str:
    return "general" if ok else "refuted"


def _counterexample(lhs: sp.Expr, rhs: sp.Expr, values: dict) -> str:
    a, b = lhs.subs(values), rhs.subs(values)
    return f"at {', '.join(f'{k} = {v}' for k, v in values.items())}: derived {sp.nsimplify(a)} " \
           f"~ {float(a):.6g}, stated {sp.nsimplify(b)} ~ {float(b):.6g}"


def _symbolic_claims() -> list[Claim]:
    g, u = L.gaussian_laws(), L.uniform_laws()
    SW, SB, SV, T, M, BETA = L.SW, L.SB, L.SV, L.T, L.M, L.BETA
    gam = SB / SW
    claims = []
    cauchy = gam / (sp.pi * (gam**2 + T**2))
    ok = _zero(g.beta_density.inner - cauchy)
    claims.append(Claim(
        "4.1-cauchy", "Gaussian init: beta = -b/w is Cauchy(0, sigma_b/sigma_w) (theory 4.1)",
        _level(ok), latex="Gaussian: $\\beta = -b/w \\sim \\mathrm{Cauchy}(0, \\sigma_b/\\sigma_w)$ "
        "(§4.1)", detail="p(beta) = int |w| p_w(w) p_b(-beta w) dw by SymPy; difference to the "
        "Cauchy density simplifies to 0" if ok else _counterexample(
            g.beta_density.inner, cauchy, {SW: 1, SB: 2, T: 1})))
    claims.append(Claim(
        "4.1-orientation", "Gaussian init: P(s = +1 | beta) = 1/2, so s is independent of beta",
        _level(g.splus_given_beta == sp.Rational(1, 2)),
        detail=f"derived P(s=+1 | beta) = {g.splus_given_beta}",
        latex="Gaussian: $\\Pr(s = +1 \\mid \\beta) = \\tfrac12$, so $s$ is independent of $\\beta$"))
    k0 = sp.besselk(0, M / (SV * SW)) / (sp.pi * SV * SW)
    ok = L.mellin_equal(g.mu_density_raw, k0, M)
    claims.append(Claim(
        "4.2-density", "Gaussian init: mu = v|w| has density K_0(|mu|/(sigma_v sigma_w))/(pi "
        "sigma_v sigma_w) (theory 4.2)", _level(ok),
        latex="Gaussian: $\\mu = v|w|$ has density $K_0(|\\mu|/\\sigma_v\\sigma_w)/"
        "(\\pi\\sigma_v\\sigma_w)$ (§4.2)",
        detail="SymPy's integral is a Meijer G function; its Mellin transform equals that of "
        "the K_0 form on a common strip, so the two are equal (Mellin uniqueness)"))
    m2 = sp.simplify(2 * sp.integrate(M**2 * k0, (M, 0, sp.oo)))
    m1 = sp.simplify(2 * sp.integrate(M * k0, (M, 0, sp.oo)))
    ok = (_zero(g.mean_mu2 - SV**2 * SW**2) and _zero(m2 - SV**2 * SW**2)
          and _zero(g.mean_abs_mu - 2 * SV * SW / sp.pi) and _zero(m1 - 2 * SV * SW / sp.pi))
    claims.append(Claim(
        "4.2-moments", "Gaussian init: E[mu^2] = sigma_v^2 sigma_w^2 and E|mu| = 2 sigma_v "
        "sigma_w / pi (theory 4.2)", _level(ok),
        latex="Gaussian: $\\mathbb{E}[\\mu^2] = \\sigma_v^2\\sigma_w^2$ and $\\mathbb{E}|\\mu| = "
        "2\\sigma_v\\sigma_w/\\pi$ (§4.2)",
        detail="both from sympy.stats moments of v, w and by integrating the K_0 density"))
    w2 = 2 * SW**2 * SB**2 / (SB**2 + T**2 * SW**2)
    mu2 = 2 * SV**2 * SW**2 * gam**2 / (gam**2 + T**2)
    ok = _zero(g.w2_given_beta.inner - w2) and _zero(g.mu2_given_beta.inner - mu2)
    claims.append(Claim(
        "4.3-conditional", "Gaussian init: E[w^2 | beta] = 2 sigma_w^2 sigma_b^2/(sigma_b^2 + "
        "beta^2 sigma_w^2) and E[mu^2 | beta] = 2 sigma_v^2 sigma_w^2 gamma^2/(gamma^2 + beta^2) "
        "(theory 4.3)", _level(ok),
        latex="Gaussian: $\\mathbb{E}[w^2\\mid\\beta] = \\frac{2\\sigma_w^2\\sigma_b^2}"
        "{\\sigma_b^2 + \\beta^2\\sigma_w^2}$ and $\\mathbb{E}[\\mu^2\\mid\\beta] = "
        "\\frac{2\\sigma_v^2\\sigma_w^2\\gamma^2}{\\gamma^2 + \\beta^2}$ (§4.3)"))
    lam = SV / sp.sqrt(1 / SW**2 + BETA**2 / SB**2)
    laplace = sp.exp(-M / lam) / (2 * lam)
    ok = _zero(g.joint_density / g.beta_density.at(BETA) - laplace)
    claims.append(Claim(
        "4.3-laplace", "Gaussian init (derived): given beta, mu is Laplace(0, lambda(beta)) with "
        "lambda = sigma_v / sqrt(1/sigma_w^2 + beta^2/sigma_b^2)", _level(ok),
        latex="Gaussian (derived): given $\\beta$, $\\mu \\sim \\mathrm{Laplace}(0, \\lambda)$ with "
        "$\\lambda = \\sigma_v / \\sqrt{\\sigma_w^{-2} + \\beta^2\\sigma_b^{-2}}$",
        detail="p(beta, mu) = int p_w(w) p_b(-beta w) p_v(mu/|w|) dw (Jacobian 1) divided by "
        "p(beta); E[mu^2|beta] = 2 lambda^2 recovers theory 4.3"))
    for fam, name in ((g, "Gaussian"), (u, "uniform")):
        sub_w2 = L.EvenLaw(fam.w2_given_beta.inner, fam.w2_given_beta.outer, fam.w2_given_beta.r)
        total = fam.beta_density.times(sub_w2).integral(-sp.oo, sp.oo)
        ew2 = 2 * fam.w2_active
        claims.append(Claim(
            f"4.3-total-{name}", f"{name} init: int p(beta) E[w^2 | beta] d beta = E[w^2] "
            "(the conditional law is consistent)", _level(_zero(total - ew2)),
            latex=f"{name}: $\\int p(\\beta)\\,\\mathbb{{E}}[w^2\\mid\\beta]\\,d\\beta = "
            "\\mathbb{E}[w^2]$ (the conditional law is consistent)",
            detail=f"integral = {total}, E[w^2] = {ew2}"))
    # Theory §4.4 for equal ranges U(-a, a), any a > 0.
    a = sp.Symbol("a", positive=True)
    bl = u.beta_density.subs({L.AW: a, L.AB: a})
    ok = (bl.r == 1 and _zero(bl.inner - sp.Rational(1, 4)) and _zero(bl.outer - 1 / (4 * T**2)))
    claims.append(Claim(
        "4.4-uniform", "Uniform init w, b ~ U(-a, a): beta has density 1/4 on |beta| <= 1 and "
        "1/(4 beta^2) beyond (theory 4.4)", _level(ok),
        latex="uniform $w, b \\sim U(-a, a)$: $p(\\beta) = \\tfrac14$ on $|\\beta| \\le 1$ and "
        "$1/(4\\beta^2)$ beyond (§4.4)",
        detail=f"derived for unequal ranges: {u.beta_density.inner} on |beta| <= "
        f"{u.beta_density.r}, {u.beta_density.outer} beyond (t = |beta|); equal ranges substituted"))
    claims.append(Claim(
        "4.4-orientation", "Uniform init (any ranges): P(s = +1 | beta) = 1/2",
        _level(u.splus_given_beta == sp.Rational(1, 2)),
        latex="uniform (any ranges): $\\Pr(s = +1\\mid\\beta) = \\tfrac12$"))
    # A deliberately false statement: the Cauchy scale inverted (checks the checker).
    wrong = (SW / SB) / (sp.pi * ((SW / SB) ** 2 + T**2))
    ok = _zero(g.beta_density.inner - wrong)
    claims.append(Claim(
        "4.1-inverted", "beta is Cauchy(0, sigma_w/sigma_b) (inverted scale)", _level(ok),
        latex="$\\beta \\sim \\mathrm{Cauchy}(0, \\sigma_w/\\sigma_b)$ (inverted scale)",
        detail="" if ok else "counterexample " + _counterexample(
            g.beta_density.inner, wrong, {SW: 1, SB: 2, T: 0}),
        expected_false=True))
    return claims


def _mc_claims(ctx, n: int) -> tuple[list[Claim], list[str]]:  # noqa: ANN001
    settings = [("gaussian(1,2,1/2,1/3)", 5), ("uniform(1,3,2,1)", 5), ("pytorch", 16)]
    if not ctx.quick:
        settings += [("glorot_normal", 16), ("glorot_uniform", 64), ("he_normal", 4),
                     ("he_uniform", 16), ("lecun_normal", 32), ("uniform(2,1,1)", 3)]
    pts = [sp.Rational(-3, 2), sp.Rational(1, 3), sp.Integer(2)]
    claims, lines = [], []
    for spec, H in settings:
        rep = evaluate(spec, H, *INTERVAL, pts, n, ctx.rng(f"init:{spec}:{H}"))
        worst = rep.worst_z
        ok = worst <= Z_TOL
        claims.append(Claim(
            f"mc-{spec}-{H}", f"{spec}, H = {H}: densities of beta and mu, E #breakpoints and "
            f"E roughness on [-2, 2], Var f and Var f' at x = -3/2, 1/3, 2 agree with "
            f"{n} Monte-Carlo samples within {Z_TOL:g} standard errors",
            # Agreement columns hold relative errors; a Monte-Carlo deviation in standard errors
            # is a different unit, so it lives in the detail.
            "numeric" if ok else "failed",
            detail=f"worst deviation {worst:.2f} standard errors over {len(rep.rows)} comparisons",
            latex=f"`{spec}`, $H = {H}$: densities of $\\beta$ and $\\mu$, "
            "$\\mathbb{E}\\#$breakpoints and $\\mathbb{E}\\sum\\mu_i^2$ on $[-2, 2]$, "
            "$\\operatorname{Var} f$ and $\\operatorname{Var} f'$ at $x = -\\tfrac32, \\tfrac13, 2$ "
            f"agree with {n:,} Monte-Carlo samples within {Z_TOL:g} standard errors"))
        for r in rep.rows:
            where = "" if r.x is None else f" at {r.x:g}"
            lines.append(f"\\texttt{{{latex_text(spec)}}} & {H} & "
                         f"{r.quantity.replace('_', ' ')}{where} & "
                         f"${r.reference:.5g}$ & ${r.estimate.value:.5g}$ & ${r.estimate.se:.2g}$ & "
                         f"${r.z:+.2f}$ \\\\")
    # The false statement is also rejected by sampling.
    g = get_scheme("gaussian(1,2,1,0)")
    beta, _, _ = sample_units(g, n, ctx.rng("init:inverted"))
    wrong = sp.Rational(1, 2) / (sp.pi * (sp.Rational(1, 4) + L.BETA**2))
    est = density_estimates(beta, [0.0], 0.05)[0]
    z = est.z(bin_average(wrong, L.BETA, 0.0, 0.05))
    claims.append(Claim(
        "mc-inverted", "Monte-Carlo agrees with Cauchy(0, sigma_w/sigma_b) for beta at 0 "
        "(sigma_w = 1, sigma_b = 2)", "refuted" if abs(z) > Z_TOL else "numeric",
        detail=f"deviation {z:+.1f} standard errors", expected_false=True,
        latex="Monte-Carlo agrees with $\\beta \\sim \\mathrm{Cauchy}(0, \\sigma_w/\\sigma_b)$ "
        "at $\\beta = 0$ ($\\sigma_w = 1$, $\\sigma_b = 2$)"))
    return claims, lines


def _flatness(ctx) -> tuple[list[Claim], list[Equation], str]:  # noqa: ANN001
    a, b = INTERVAL
    x = sp.Integer(0)
    table = R.flatness_table(STANDARD_PRESETS + ("gaussian", "uniform"), a, b, x)
    rows = []
    for name, d in table.items():
        # \displaystyle: readable fractions; \arctan is the name a reader expects, not atan
        cells = " & ".join("$\\displaystyle " + g.latex().replace(r"\operatorname{atan}", r"\arctan")
                           + "$" for g in d.values())
        rows.append(f"{name.replace('_', ' ')} & {cells} \\\\")
    latex = "\n".join([
        "\\begin{center}", "{\\renewcommand{\\arraystretch}{2.2}",
        "\\begin{tabular}{@{}lllll@{}}", "\\toprule",
        "preset & $\\mathbb{E}\\#$ breakpoints & $\\mathbb{E}\\sum\\mu_i^2$ & "
        "$\\operatorname{Var} f(0)$ & $\\operatorname{Var} f'(0)$ \\\\",
        "\\midrule", *rows, "\\bottomrule", "\\end{tabular}}", "\\end{center}",
        "Leading behaviour of each quantity as $H\\to\\infty$, on $[a,b] = [-2, 2]$ and at "
        "$x = 0$."])
    fan_in = ("pytorch", "he_normal", "he_uniform", "lecun_normal")
    const = all(d[q].exponent == 0 and d[q].coefficient > 0
                for n in fan_in for q, d in [(q, table[n]) for q in
                                               ("expected_roughness", "var_f", "var_fprime")])
    claims = [Claim(
        "4.5-fan-in-limits", "Var v = O(1/H) presets (PyTorch default, He, LeCun): Var f(x), "
        "Var f'(x) and the expected roughness on [-2, 2] tend to positive constants as H grows, "
        "while breakpoints grow like H and E[mu^2] shrinks like 1/H", _level(const),
        latex="presets with $\\operatorname{Var} v = O(1/H)$ (PyTorch default, He, LeCun): "
        "$\\operatorname{Var} f(x)$, $\\operatorname{Var} f'(x)$ and the expected roughness on "
        "$[-2, 2]$ tend to positive constants as $H$ grows, while the breakpoints grow like $H$ "
        "and $\\mathbb{E}[\\mu^2]$ shrinks like $1/H$",
        detail="; ".join(f"{n}: Var f'(0) -> {table[n]['var_fprime'].limit}" for n in fan_in))]
    glorot = all(table[n][q].exponent == -1 for n in ("glorot_normal", "glorot_uniform")
                 for q in ("expected_roughness", "var_f", "var_fprime"))
    claims.append(Claim(
        "4.5-glorot-flattens", "Glorot/Xavier presets (both layers scaled by 1/(fan_in + "
        "fan_out)): Var f(x), Var f'(x) and roughness on [-2, 2] vanish like 1/H",
        _level(glorot), latex="Glorot/Xavier presets (both layers scaled by "
        "$1/(\\mathrm{fan_{in}} + \\mathrm{fan_{out}})$): $\\operatorname{Var} f(x)$, "
        "$\\operatorname{Var} f'(x)$ and the roughness on $[-2, 2]$ vanish like $1/H$"))
    # The source's §4.5 sentence, read with the standard (variance) 1/fan-in output scaling.
    vfp = R.var_fprime(PRESETS["pytorch"](R.H_SYM), R.H_SYM, 0)
    flattens = sp.limit(vfp, R.H_SYM, sp.oo) == 0
    claims.append(Claim(
        "4.5-flattening", "source 4.5: under the standard 1/fan-in output scaling (Var v = "
        "1/(3H), PyTorch default) the initial function on the data interval flattens as the "
        "width grows", "general" if flattens else "refuted",
        latex="source §4.5: under the standard $1/\\mathrm{fan_{in}}$ output scaling "
        "($\\operatorname{Var} v = 1/(3H)$, PyTorch default) the initial function on the data "
        "interval flattens as the width grows",
        detail="counterexample: under the PyTorch default $\\operatorname{Var} f'(x) = "
        f"{sp.latex(sp.simplify(vfp))}$ for every $H$ and $x$, $\\operatorname{{Var}} f(x) = "
        "(x^2+1)/18 + 1/(3H) \\to (x^2+1)/18$ and $\\mathbb{E}\\sum_{\\beta_i \\in [-2,2]} "
        "\\mu_i^2 = 31/288$ for every $H$: amplitude, slope and roughness do not vanish (the "
        "function tends to a Gaussian process). Flattening like $1/H$ holds for Glorot scaling "
        "or a mean-field output scale $\\operatorname{std}(v) \\sim 1/H$; the statement needs "
        "that qualification" if not flattens else "", erratum=True))
    eqs = []
    for name in ("pytorch", "glorot_uniform"):
        f = R.formulas(PRESETS[name](R.H_SYM))
        eqs.append(Equation(f["var_f"].latex + r",\qquad " + f["var_fprime"].latex,
                            label=f"var-{name}",
                            note=f"Preset `{name}`, exact in the width $H$:"))
    paragraph = ("Large-width behaviour: the table gives the exact leading terms as "
                 "$H \\to \\infty$ on the interval $[-2, 2]$ and at $x = 0$.")
    return claims, eqs, latex, paragraph


def _figures(ctx, n: int) -> list:  # noqa: ANN001
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs = []
    schemes = [get_scheme("gaussian(1,2,1/2)"), get_scheme("pytorch", 16)]
    fig, axes = plt.subplots(2, 2, figsize=(9, 6.5))
    for col, sch in enumerate(schemes):
        beta, mu, _ = sample_units(sch, n, ctx.rng(f"init:fig:{sch.name}"))
        pb = sp.lambdify(L.BETA, R.breakpoint_density(sch).at(L.BETA), "numpy")
        pm = sp.lambdify(L.MU, R.delta_slope_density(sch), ["scipy", "numpy"])
        gb = np.linspace(-6, 6, 601)
        ax = axes[0, col]
        ax.hist(beta, bins=np.linspace(-6, 6, 121), density=True, alpha=0.45, color="C0",
                weights=None, label=f"{n:,} samples (in $[-6, 6]$)")
        inside = np.mean(np.abs(beta) <= 6)
        with np.errstate(divide="ignore", invalid="ignore"):  # Piecewise evaluates all branches
            yb = np.broadcast_to(np.asarray(pb(gb), dtype=float), gb.shape)
        ax.plot(gb, yb / inside, color="C3",
                label="derived density")
        ax.set_title(f"breakpoints $\\beta$, {sch.name}")
        ax.set_xlabel(r"$\beta$")
        ax.set_ylabel(r"density $p(\beta)$")
        ax.set_ylim(0, 1.35 * ax.get_ylim()[1])  # headroom: the legend sits above the data
        ax.legend(loc="upper right", fontsize=7)
        s = float(np.sqrt(np.mean(mu**2)))
        gm = np.linspace(-4 * s, 4 * s, 801)
        gm = gm[np.abs(gm) > 1e-9]
        ax = axes[1, col]
        ax.hist(mu, bins=np.linspace(-4 * s, 4 * s, 121), density=True, alpha=0.45, color="C0",
                label="samples (within the window)")
        inside = np.mean(np.abs(mu) <= 4 * s)
        with np.errstate(divide="ignore", invalid="ignore"):
            ym = np.broadcast_to(np.asarray(pm(gm), dtype=float), gm.shape)
        ax.plot(gm, ym / inside, color="C3",
                label="derived density")
        ax.set_title(f"delta-slopes $\\mu$, {sch.name}")
        ax.set_xlabel(r"$\mu$")
        ax.set_ylabel(r"density $p(\mu)$")
        ax.set_ylim(0, 1.35 * ax.get_ylim()[1])  # headroom: the legend sits above the data
        ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    figs.append(ctx.figure(fig, "initialization_densities",
                           "Derived densities of $\\beta$ and $\\mu$ against histograms of "
                           "sampled units (left: Gaussian $\\sigma_w = 1$, $\\sigma_b = 2$, "
                           "$\\sigma_v = 1/2$, Cauchy and $K_0$ laws; right: PyTorch default at "
                           "$H = 16$, uniform laws). Histograms and curves are both normalised to "
                           "the plotted window."))

    widths = (2, 8, 32, 256)
    grid = np.linspace(-2, 2, 401)
    rows = ("pytorch", "he_normal", "glorot_uniform")
    fig, axes = plt.subplots(len(rows), len(widths), figsize=(12, 7.5), sharex=True,
                             sharey="row")
    for i, name in enumerate(rows):
        for j, H in enumerate(widths):
            vals = sample_functions(get_scheme(name, H), H, 6, grid,
                                    ctx.rng(f"init:functions:{name}:{H}"))
            ax = axes[i, j]
            ax.plot(grid, vals.T, lw=1)
            sd = float(sp.sqrt(R.var_f(get_scheme(name, H), H, 0)))
            ax.set_title(f"{name.replace('_', ' ')}, $H = {H}$, "
                         f"$\\operatorname{{sd}} f(0) = {sd:.3f}$", fontsize=8)
            if j == 0:
                ax.set_ylabel("$f(x)$")
            if i == len(rows) - 1:
                ax.set_xlabel("$x$")
    fig.tight_layout()
    figs.append(ctx.figure(fig, "initialization_functions",
                           "Six sampled initial functions per width on the data interval "
                           "$[-2, 2]$, with the exact standard deviation of $f(0)$. Glorot "
                           "(bottom) flattens like $1/\\sqrt{H}$ in amplitude and slope; the "
                           "PyTorch default and He ($\\operatorname{Var} v = O(1/H)$) keep an "
                           "$O(1)$ amplitude and slope while the individual kinks shrink."))

    Hs = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    # Presets whose curves coincide exactly (normal and uniform twins have equal variances) share
    # one line: six legend entries for four visible lines would hide two of them.
    curves: dict[tuple[float, ...], list[str]] = {}
    for name in STANDARD_PRESETS:
        vals = tuple(float(R.var_fprime(PRESETS[name](int(H)), int(H), 0)) for H in Hs)
        curves.setdefault(vals, []).append(name.replace("_", " "))
    markers = "osD^v<>"
    for k, (vals, names) in enumerate(curves.items()):
        ax.loglog(Hs, vals, marker=markers[k % len(markers)], ms=4, lw=1.2,
                  ls=("-", "--", "-.", ":")[k % 4], label=" = ".join(names))
    ax.set_xlabel("width $H$")
    ax.set_ylabel(r"$\operatorname{Var} f'(x)$ (exact, every $x$)")
    ax.set_title("Slope variance of the initial function against the width")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    figs.append(ctx.figure(fig, "initialization_var_fprime",
                           "Exact $\\operatorname{Var} f'(x)$ against the width $H$ for the "
                           "framework presets (presets with equal values share a line): constant "
                           "($1/18$ for the PyTorch default) under variance-$1/\\mathrm{fan_{in}}$ "
                           "output scaling, $1/H$ decay under Glorot."))
    return figs


@styled
def run(ctx) -> Derivation:  # noqa: ANN001
    n = 20_000 if ctx.quick else 1_000_000
    g, u = L.gaussian_laws(), L.uniform_laws()
    claims = _symbolic_claims()
    mc_claims, mc_lines = _mc_claims(ctx, n)
    flat_claims, flat_eqs, flat_latex, flat_text = _flatness(ctx)
    claims += flat_claims + mc_claims
    eqs = [
        Equation(r"p(\beta) &= \int |w|\,p_w(w)\,p_b(-\beta w)\,dw,\qquad p(\mu) = \int "
                 r"p_w(w)\,p_v(\mu/|w|)\,\frac{dw}{|w|}, \\ p(\beta,\mu) &= \int p_w(w)\,"
                 r"p_b(-\beta w)\,p_v(\mu/|w|)\,dw", "change-of-variables",
                 "Change of variables $(w, b, v) \\mapsto (w, \\beta, \\mu)$, Jacobian 1:"),
        Equation(r"p(\beta) = " + g.beta_density.latex() + r",\qquad \Pr(s=+1\mid\beta) = "
                 + sp.latex(g.splus_given_beta), "gauss-beta", "Gaussian family (derived):"),
        Equation(r"p(\mu) = " + sp.latex(g.mu_density.subs(L.M, sp.Abs(L.MU)))
                 + r",\qquad \mathbb{E}[\mu^2] = " + sp.latex(g.mean_mu2)
                 + r",\quad \mathbb{E}|\mu| = " + sp.latex(g.mean_abs_mu), "gauss-mu"),
        Equation(r"p(\beta,\mu) = " + sp.latex(g.joint_density.subs(L.M, sp.Abs(L.MU)))
                 + r",\qquad \mathbb{E}[\mu^2\mid\beta] = " + g.mu2_given_beta.latex(),
                 "gauss-joint"),
        Equation(r"p(\beta) = " + u.beta_density.latex() + r",\qquad \mathbb{E}[\mu^2\mid\beta] = "
                 + u.mu2_given_beta.latex(), "unif-beta",
                 "Uniform family with half-widths $a_w, a_b, a_v$ (derived, unequal ranges):"),
        Equation(r"p(\mu) = " + sp.latex(u.mu_density.subs(L.M, sp.Abs(L.MU)))
                 + r",\qquad p(\beta,\mu) = " + sp.latex(
                     u.joint_density.subs(L.M, sp.Abs(L.MU))), "unif-mu"),
    ]
    for fam_scheme, label in ((Gaussian(L.SW, L.SB, L.SV, L.SC), "gauss"),
                              (Uniform(L.AW, L.AB, L.AV, L.AC), "unif")):
        f = R.formulas(fam_scheme)
        for q in ("expected_breakpoints", "expected_roughness", "var_f", "var_fprime"):
            eqs.append(Equation(f[q].latex.replace(r"\operatorname{atan}", r"\arctan"),
                                f"{label}-{q.replace('_', '-')}",
                                f"Theory §4.5, {'Gaussian' if label == 'gauss' else 'uniform'} "
                                "family:" if q == "expected_breakpoints"
                                else ""))
    eqs += flat_eqs
    mc_table = table_latex("@{}lrp{4.2cm}rrrr@{}",
                           "scheme & $H$ & quantity & exact & Monte-Carlo & s.e. & $z$",
                           [ln.removesuffix(" \\\\") for ln in mc_lines[:60]], chunk=20)
    paragraphs = (
        "Presets (exact conventions in `symspline.initialization.schemes`): PyTorch `nn.Linear` "
        "default $w, b \\sim U(-1, 1)$, $v, c \\sim U(-1/\\sqrt{H}, 1/\\sqrt{H})$; Glorot/Xavier "
        "normal and uniform, He/Kaiming normal and uniform, LeCun normal scale both layers with "
        "$\\mathrm{fan_{in}} = 1$, $\\mathrm{fan_{out}} = H$ (first layer) and "
        "$\\mathrm{fan_{in}} = H$, $\\mathrm{fan_{out}} = 1$ (output layer); for them the hidden "
        "bias $b$ has the law of $w$ and the output bias $c$ is $0$ (frameworks zero these "
        "biases, which would put every breakpoint at $0$).",
        "Moments of $f$: both families are invariant under $(w, b) \\mapsto (-w, -b)$, which "
        "fixes $\\beta$ and $|w|$ and flips $s$; hence $\\mathbb{E}[(wx+b)_+^2] = "
        "\\mathbb{E}[(wx+b)^2]/2$ and $\\mathbb{E}[w^2 \\mathbf{1}\\{wx+b>0\\}] = "
        "\\mathbb{E}[w^2]/2$, and $\\operatorname{Var} f'(x)$ does not depend on $x$.",
        f"Monte-Carlo: {n:,} samples per setting, fixed seeds, tolerance {Z_TOL:g} standard "
        "errors; densities are compared as bin averages over $[x - h, x + h]$ with $h = 0.05$ "
        "times the law's scale, so the comparison carries no binning bias. A Monte-Carlo claim "
        "reports its worst deviation in standard errors in its detail (the agreement column "
        "holds relative errors only).",
        flat_text,
    )
    return Derivation(
        name=NAME, title=TITLE, section=SECTION, summary=SUMMARY, paragraphs=paragraphs,
        equations=tuple(eqs), claims=tuple(claims), figures=tuple(_figures(ctx, n)),
        extra_latex=flat_latex + "\n\n" + mc_table,
    )
