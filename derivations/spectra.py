"""Theory §7.2 (docs/theory.md): the per-sample gradient matrix G and its singular spectra by group
along gradient flow."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import sympy as sp

from symspline.bounds import bound
from symspline.calculus import columns, pattern_gradient
from symspline.data import Dataset
from symspline.params import Network, Spline
from symspline.piecewise import pattern_residuals
from symspline.regions import patterns
from symspline.render.report import Claim, Derivation, Equation, above_floor, math_label
from symspline.sample_spectra import gradient_matrix, group_spectra, groups_by_edges, spectra_along

from . import Context, styled

NAME = "spectra"
TITLE = "Per-sample gradients: the matrix G and its spectra by group of samples"
SECTION = "7.2"
SUMMARY = ("$G = \\operatorname{diag}(r) J$ in closed form, column sums $N \\nabla L$; group spectra "
           "along gradient flow")


def _identity_claim(ctx: Context) -> Claim:
    """sum_n G_{n,.} = N grad L on every pattern, symbolic data and parameters."""
    H, N = (1, 3) if ctx.quick else (2, 3)
    data = Dataset.symbols(N)
    checked = 0
    bad = []
    for s in itertools.product((1, -1), repeat=H):
        spl = Spline.symbols(H, s)
        for pt in patterns(H, N, s):
            cols = columns(pt, spl)
            r = pattern_residuals(pt, spl, data)
            colsum = [sp.Add(*[r[n] * (c.p + c.q * data.x[n]) for n in range(c.lo, c.hi)])
                      for c in cols]
            grad = pattern_gradient(pt, spl, data)
            if any(sp.expand(cs - N * g) != 0 for cs, g in zip(colsum, grad, strict=True)):
                bad.append(str(pt))
            checked += 1
    return Claim("column sums of G", r"$\sum_n r_n \nabla_\theta f(x_n) = N\,\nabla_\theta L$",
                 "exhaustive" if not bad else "failed", None,
                 f"every pattern and orientation, H = {H}, N = {N} symbolic samples "
                 f"({checked} patterns); failures {bad}")


def _flow_figure(ctx: Context) -> tuple[object, list[Claim]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from symspline.flow import flow, snap_breakpoints

    data = ctx.data.as_float()
    rng = ctx.rng("spectra-init")
    H = 6
    scale = 0.5
    net = Network(rng.normal(size=H), rng.normal(size=H), scale * rng.normal(size=H), 0.0)
    T = 4.0 if ctx.quick else 30.0
    steps = 12 if ctx.quick else 60
    res = flow(net, data, T, t_eval=np.linspace(0.0, T, steps))
    # held units sit on their samples only up to rounding: put them exactly there, so that
    # the one-sided G (left pattern) does not follow the last bits (it jumps there)
    snaps = [snap_breakpoints(res.params_at(k), data.x) for k in range(len(res.t))]
    groups = groups_by_edges(data, [0.0])
    tr = spectra_along(snaps, data, groups, times=res.t)
    worst = 0.0
    for k, snap in enumerate(snaps):
        G = gradient_matrix(snap, data, side="left")
        tot = sum(float((v[k] ** 2).sum()) for v in tr.values.values())
        worst = max(worst, abs(tot - float(np.sum(G**2))) / max(1e-300, float(np.sum(G**2))))
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    top = max(float(np.max(v)) for v in tr.values.values())
    for j, (name, v) in enumerate(tr.values.items()):
        for m in range(min(3, v.shape[1])):
            # values at round-off level (below 1e-10 of the largest) are noise, not spectrum
            ax[0].semilogy(tr.times, above_floor(np.append(v[:, m], top))[:-1], color=f"C{j}",
                           ls=("-", "--", ":")[m],
                           label=f"{math_label(name)}: $\\sigma_{{{m + 1}}}$")
    ax[0].set_xlabel("flow time $t$")
    ax[0].set_ylabel(r"singular values of $G_g$")
    ax[0].legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax[1].semilogy(tr.times, tr.losses, color="k")
    ax[1].set_xlabel("flow time $t$")
    ax[1].set_ylabel("loss $L$")
    fig.tight_layout()
    whole = np.linalg.svd(gradient_matrix(snaps[0], data, side="left"), compute_uv=False)
    sv0 = group_spectra(snaps[0], data, groups, side="left")
    union = np.sort(np.concatenate(list(sv0.values())))[::-1][: whole.size]
    gap = float(np.max(np.abs(whole - union)))
    claims = [
        Claim("groups partition the Gram matrix", r"$\sum_g G_g^T G_g = G^T G$, so squared "
              "singular values of the groups add up to $\\|G\\|_F^2$",
              "numeric" if worst < 1e-12 else "failed", worst,
              f"{len(snaps)} snapshots of a width-{H} gradient flow to t = {T:g}"),
        Claim("false: group spectra are pieces of the whole spectrum",
              "the singular values of G are the union of those of the groups",
              "refuted" if gap > 1e-6 else "numeric", None,
              f"largest difference at t = 0: {gap:.3g}", expected_false=True),
    ]
    return fig, claims


def _fd_claim(ctx: Context) -> Claim:
    data = ctx.data.as_float()
    net = Network([2.0, -1.0, 2.5], [2.5, 0.5, -1.5], [0.5, -1.0, 0.6], 0.1)
    G = gradient_matrix(net, data)
    r = net(data.x) - data.y
    th, h = net.vector, 1e-6
    worst = 0.0
    for a in range(th.size):
        e = np.zeros_like(th)
        e[a] = h
        fd = (Network.from_vector(th + e, 3)(data.x) - Network.from_vector(th - e, 3)(data.x)) / (2 * h)
        worst = max(worst, float(np.max(np.abs(G[:, a] - r * fd))))
    return Claim("G vs finite differences", r"rows $r_n \nabla_\theta f(x_n)$ match central "
                 "differences of $f$", "numeric" if worst < 1e-7 else "failed", worst,
                 f"max abs difference {bound(worst)}")



def _typeset(claims: list[Claim]) -> list[Claim]:
    """Each claim's statement is already prose with $math$: it is its own typeset form."""
    return [replace(c, latex=c.latex or c.statement) for c in claims]

@styled
def run(ctx: Context) -> Derivation:
    claims = [_identity_claim(ctx), _fd_claim(ctx)]
    fig, more = _flow_figure(ctx)
    claims.extend(more)
    figure = ctx.figure(fig, "spectra_flow",
                        "Singular values $\\sigma_1 \\geq \\sigma_2 \\geq \\sigma_3$ of the "
                        "per-sample gradient matrix restricted to the samples left ($x < 0$) and "
                        "right ($x \\geq 0$) of the origin along the gradient flow of a width-6 "
                        "network on the default data (values below $10^{-10}$ of the largest are "
                        "round-off and not drawn); right: the loss.")
    return Derivation(
        name=NAME, title=TITLE, section=SECTION, summary=SUMMARY,
        paragraphs=(
            "Row $n$ of $G$ is $r_n$ times the gradient of $f(x_n)$, read off the closed-form "
            "Jacobian columns $\\mathbf{1}[n \\in A_u] (p_a + q_a x_n)$ of the sample's pattern: "
            "exact for exact input. A group is any set of samples (an interval of $x$ or a label "
            "column in the data file); its singular spectrum measures how much, and in how many "
            "independent directions, those samples push the parameters. Groups of a partition "
            "split the Gram matrix $G^\\top G$ exactly, but not its spectrum.",
        ),
        equations=(
            Equation(r"G_{n,a} = r_n\, \frac{\partial f(x_n)}{\partial \theta_a} = r_n\, "
                     r"\mathbb 1[n \in A_{u(a)}]\,(p_a + q_a x_n), \qquad \mathbf 1^T G = "
                     r"N\, \nabla_\theta L^T", "eq:G"),
            Equation(r"G^T G = \sum_{g} G_g^T G_g", "eq:G-groups"),
        ),
        claims=tuple(_typeset(claims)), figures=(figure,),
    )
