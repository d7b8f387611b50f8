"""Theory §7.1 (docs/theory.md): exact loss slices along Hessian eigenvectors, in both
parameterizations."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import sympy as sp

from symspline.landscape import (
    compare_parameterizations,
    hessian_directions,
    line_slice,
    plane_slice,
    random_direction,
)
from symspline.params import Network, Spline
from symspline.piecewise import loss_exact
from symspline.render.report import Claim, Derivation, Equation, slice_label

from . import Context, styled

NAME = "landscape"
TITLE = "Loss landscapes: exact slices, kinks, and their dependence on the parameterization"
SECTION = "7.1"
SUMMARY = ("L along a line is a quartic between exactly located kinks; eigen-slices differ "
           "between parameterizations")

R = sp.Rational


def _exact_claims(ctx: Context) -> list[Claim]:
    data = ctx.data
    net = Network([2, -1, R(5, 2)], [R(5, 2), R(1, 2), R(-3, 2)], [R(1, 2), -1, R(3, 5)], R(1, 10))
    rng = ctx.rng("landscape-dir")
    d = [R(int(v), 4) for v in rng.integers(-6, 7, net.vector.size)]
    S = line_slice(net, data, d)
    dv = np.array(d, dtype=object)
    pts = list(S.breaks) + [(a + b) / 2 for a, b in itertools.pairwise(S.breaks)]
    if ctx.quick:
        pts = pts[::3]
    bad_val = [t for t in pts
               if S(t) != loss_exact(Network.from_vector(net.vector + dv * t, net.H), data)]
    bad_jump = [t for t in S.breaks if S.derivative(t, "right") - S.derivative(t, "left")
                != sum(k.jump for k in S.kinks if k.t == t)]
    on_data = all(net.vector[k.unit] + dv[k.unit] * k.t != 0 and
                  (net.vector[k.unit] + dv[k.unit] * k.t) * data.x[k.point]
                  + net.vector[net.H + k.unit] + dv[net.H + k.unit] * k.t == 0 for k in S.kinks)
    spl = net.to_spline()
    S1 = line_slice(spl, data, [1] + [0] * (spl.vector.size - 1))
    bad_23 = [k for k in S1.kinks if k.jump != spl.mu[0] * (
        Spline.from_vector(spl.vector + np.array([k.t] + [0] * (spl.vector.size - 1),
                                                 dtype=object), spl.s)(data.x[k.point])
        - data.y[k.point]) / data.n]
    return [
        Claim("slice = exact loss", "the piecewise quartic equals the exact loss at every kink "
              "and between kinks (exact rationals)", "exhaustive" if not bad_val else "failed",
              None, f"{len(pts)} points on a line with {len(S.breaks)} kinks; mismatches {bad_val}"),
        Claim("kinks located exactly", "every break of the slice puts a breakpoint exactly on a "
              "data point", "exhaustive" if on_data else "failed", None,
              f"{len(S.kinks)} crossings checked with exact arithmetic"),
        Claim("slope jumps", r"$L'(t^+) - L'(t^-) = \frac1N \sum r_n(t^*)\, a_i(t^*)\, |z_{in}'|$ "
              "at every kink", "exhaustive" if not bad_jump else "failed", None,
              f"{len(S.breaks)} breaks; mismatches {bad_jump}"),
        Claim("theory 2.3 on a slice", r"moving $\beta_1$ at unit speed, the jump at $x_m$ is "
              r"$\mu_1 r_m / N$", "exhaustive" if not bad_23 else "failed", None,
              f"{len(S1.kinks)} crossings"),
    ]


def _compare(ctx: Context) -> tuple[object, list[Claim]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = ctx.data
    net = Network([2, -1, R(5, 2)], [R(5, 2), R(1, 2), R(-3, 2)], [R(1, 2), -1, R(3, 5)], R(1, 10))
    balances = (-2.0, 0.0, 2.0)
    slices = compare_parameterizations(net, data, balances)
    ts = np.linspace(-1.5, 1.5, 301 if ctx.quick else 1201)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    curv, worst = {}, 0.0
    for k, s in slices.items():
        axes[0].plot(ts, s(ts), lw=1.3, label=slice_label(k))
        kt = np.array([b for b in s.breaks if ts[0] <= b <= ts[-1]])
        if kt.size:
            axes[0].plot(kt, s(kt), "o", ms=2.5, color="k")
        curv[k] = float(2 * s.coeffs[s.piece(0.0)][2])
        params = net.to_spline() if k == "spline" else net.to_spline().as_float().to_network(
            float(k.split("=")[1]))
        ev, _ = hessian_directions(params, data, 1)
        worst = max(worst, abs(curv[k] - ev[0]) / ev[0])
    axes[0].set_xlabel(r"$t$ along the unit top Hessian eigenvector $d$")
    axes[0].set_ylabel(r"$L(\theta_0 + t d)$")
    axes[0].set_title("same function, four eigen-slices (dots: kinks)")
    axes[0].legend(loc="best", framealpha=0.9)
    # Filter-normalized random plane (network, balance 0) with its exact kink lines.
    n0 = net.to_spline().as_float().to_network(0.0)
    rng = ctx.rng("landscape-plane")
    d1, d2 = random_direction(n0, rng), random_direction(n0, rng)
    g = np.linspace(-1, 1, 31 if ctx.quick else 81)
    P = plane_slice(n0, data, d1, d2, g, g)
    cs = axes[1].contourf(P.t1, P.t2, np.log10(P.values), levels=25)
    fig.colorbar(cs, ax=axes[1], label=r"$\log_{10} L$")
    for l0, l1, l2 in P.lines:
        if abs(l2) > 1e-14:
            axes[1].plot(g[[0, -1]], -(l0 + l1 * g[[0, -1]]) / l2, color="w", lw=0.5, alpha=0.7)
        elif abs(l1) > 1e-14:
            axes[1].axvline(-l0 / l1, color="w", lw=0.5, alpha=0.7)
    axes[1].set_xlim(-1, 1)
    axes[1].set_ylim(-1, 1)
    axes[1].set_title("filter-normalized random plane, exact kink lines")
    axes[1].set_xlabel("$t_1$")
    axes[1].set_ylabel("$t_2$")
    fig.tight_layout()
    spread = max(curv.values()) / min(curv.values())
    claims = [
        Claim("curvature along an eigen-slice", r"$L''(0) = \lambda_{max}$ of the Hessian of "
              "that parameterization", "numeric" if worst < 1e-9 else "failed", worst,
              ", ".join(f"{k}: {v:.6g}" for k, v in curv.items())),
        Claim("false: sharpness is parameterization-invariant",
              "the top Hessian eigenvalue is the same in spline and network coordinates, "
              "whatever the balance", "refuted" if spread > 1.01 else "numeric", None,
              f"ratio of largest to smallest top eigenvalue over the slices: {spread:.3f}",
              expected_false=True),
    ]
    return fig, claims



def _typeset(claims: list[Claim]) -> list[Claim]:
    """Each claim's statement is already prose with $math$: it is its own typeset form."""
    return [replace(c, latex=c.latex or c.statement) for c in claims]

@styled
def run(ctx: Context) -> Derivation:
    claims = _exact_claims(ctx)
    fig, more = _compare(ctx)
    claims.extend(more)
    figure = ctx.figure(fig, "landscape_slices",
                        "Left: the default problem sliced through the same function along the "
                        "top Hessian eigenvector of the spline parameterization and of network "
                        "representatives with balances $\\delta = -2, 0, 2$ (dots: exact kinks). "
                        "Right: $\\log_{10} L$ on a filter-normalized random plane "
                        "$\\theta_0 + t_1 d_1 + t_2 d_2$ in network coordinates with every kink "
                        "line $z_{in}(t_1, t_2) = 0$.")
    return Derivation(
        name=NAME, title=TITLE, section=SECTION, summary=SUMMARY,
        paragraphs=(
            "Along $\\theta(t) = \\theta_0 + t d$ every pre-activation $z_{in}(t)$ "
            "($w_i x_n + b_i$, or $s_i (x_n - \\beta_i)$) and every amplitude ($v_i$ or $\\mu_i$) "
            "is affine in $t$, so between the zeros $t^* = -z_{in}(0)/z_{in}'$ the residuals are "
            "quadratics and $L$ is a quartic in $t$. The "
            "engine sweeps the sorted zeros, updating one residual per kink, and reports every "
            "kink with its exact slope jump. In a plane the kinks are straight lines.",
            "Landscape pictures along Hessian eigenvectors depend on the parameterization: the "
            "network Hessian depends on the representative of the scale orbit (its balance), so "
            "the same function has different sharpness and different slices.",
        ),
        equations=(
            Equation(r"L(\theta_0 + t d) = \sum_{k=0}^{4} q_{j,k}\, t^k \quad (t^*_j < t < "
                     r"t^*_{j+1}),\qquad t^*_{in} = -\frac{z_{in}(0)}{z'_{in}}", "eq:slice"),
            Equation(r"L'(t^{*+}) - L'(t^{*-}) = \frac1N\, r_n(t^*)\, a_i(t^*)\, |z'_{in}|",
                     "eq:slice-jump"),
        ),
        claims=tuple(_typeset(claims)), figures=(figure,),
    )
