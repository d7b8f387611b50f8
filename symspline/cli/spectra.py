"""`symspline spectra`: singular values of the per-sample gradient matrix by group of samples."""

from __future__ import annotations

import argparse

import numpy as np

from ..errors import InputError, ParseError
from ..limits import require_memory
from ..numbers import parse_number
from ._common import (
    add_data,
    add_json,
    add_param_choice,
    add_params,
    emit_json,
    float_option,
    int_option,
    load_data,
    load_params_as_requested,
    model_fields,
    payload_head,
    require_finite,
    require_finite_loss,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "spectra", help="singular values of G = diag(r) J per group of samples, along a flow",
        description="G has rows r_n grad_theta f(x_n) (closed form, theory §7.2); its column sums "
        "are N grad L. Groups: intervals of x (--edges) or the 'label' column of the CSV "
        "(--by-label). --flow T follows the spectra along the gradient flow up to time T.")
    add_data(p)
    add_params(p)
    add_param_choice(p, "theta")
    grp = p.add_mutually_exclusive_group()
    grp.add_argument("--edges", default=None, metavar="E1,E2,...",
                     help="split samples at these x values (default: one group of all samples)")
    grp.add_argument("--by-label", action="store_true",
                     help="group by the 'label' column of the CSV (header x,y,label)")
    p.add_argument("--flow", type=float_option("--flow", minimum=0.0, strict_minimum=True),
                   default=None, metavar="T",
                   help="integrate gradient flow to time T and report spectra along it")
    p.add_argument("--steps", type=int_option("--steps", 2, 10**15), default=11,
                   help="snapshots along the flow (default 11)")
    p.add_argument("--side", choices=("left", "right"), default=None,
                   help="pattern to use when a breakpoint lies on a data point")
    p.add_argument("--out", metavar="FIG.png", default=None, help="write a figure (with --flow)")
    add_json(p)
    p.set_defaults(handler=run)


def _groups(args: argparse.Namespace, data: object) -> list:
    from ..sample_spectra import Group, groups_by_edges, groups_by_labels, read_labels

    if args.by_label:
        if str(args.data).lower().endswith(".npz"):
            raise InputError("--by-label needs a CSV data file with a 'label' column")
        labels = read_labels(args.data)
        if len(labels) != data.n:
            raise InputError("the label column does not match the samples")
        return groups_by_labels(labels)
    if args.edges:
        try:
            edges = [float(parse_number(e, exact_decimals=True)) for e in args.edges.split(",")]
        except ParseError as exc:
            raise InputError(f"--edges: {exc}") from None
        if not all(np.isfinite(edges)):
            raise InputError("--edges: every edge must be a finite float64 number")
        return groups_by_edges(data, edges)
    return [Group("all", tuple(range(data.n)))]


def run(args: argparse.Namespace) -> int:
    from ..sample_spectra import group_spectra, spectra_along

    data = load_data(args)
    params = load_params_as_requested(args)
    require_finite_loss(params, data)
    groups = _groups(args, data)
    sizes = {g.name: len(g.index) for g in groups}
    P = float(len(params.names))
    # G is N x P in float64; the SVD of each group holds about two more copies of its block.
    require_memory(3 * 8.0 * data.n * P, f"the {data.n} x {int(P)} per-sample gradient matrix")
    head = payload_head(args)
    head.update({"param": params.parameterization,
                 "order": list(params.names), "H": params.H, "N": data.n})
    head.update(model_fields(params))  # singular values are float: no exact twin
    if args.flow is None:
        sv = group_spectra(params, data, groups, side=args.side)
        payload = {**head, "groups": {k: {"size": sizes[k], "singular_values": v.tolist()}
                                      for k, v in sv.items()}}
        require_finite(payload)
        if args.json:
            emit_json(payload)
        else:
            for k, v in sv.items():
                shown = ", ".join(f"{x:.6g}" for x in v[:8])
                print(f"{k} ({sizes[k]} samples): {shown}" + (" ..." if v.size > 8 else ""))
        return 0
    from ..flow import flow
    from .flow import _estimate

    # one state and one spectrum per snapshot, each as float64 and as Python floats (~40 bytes)
    require_memory(float(args.steps) * 48.0 * (P + min(data.n, P) + 1) + 48.0 * args.steps,
                   f"--steps {args.steps} snapshots along the flow")
    _estimate(params, data, argparse.Namespace(method="DOP853", time=args.flow),
              advice="use a shorter --flow")
    res = flow(params, data, args.flow, t_eval=np.linspace(0.0, args.flow, args.steps))
    snaps = [res.params_at(k) for k in range(len(res.t))]
    tr = spectra_along(snaps, data, groups, times=res.t)
    payload = {**head, "param": res.param, "times": tr.times.tolist(),
               "losses": tr.losses.tolist(),
               "groups": {k: {"size": sizes[k], "singular_values": v.tolist()}
                          for k, v in tr.values.items()}}
    require_finite(payload)
    if args.out:
        _figure(tr, args.out)
    if args.json:
        emit_json(payload)
        return 0
    for k, v in tr.values.items():
        print(f"{k} ({sizes[k]} samples): top singular value "
              + " -> ".join(f"{x:.4g}" for x in v[:, 0][:: max(1, len(tr.times) // 6)]))
    print("loss: " + " -> ".join(f"{x:.4g}" for x in tr.losses[:: max(1, len(tr.times) // 6)]))
    if args.out:
        print(f"wrote {args.out}")
    return 0


def _figure(tr: object, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..render.report import above_floor, figure_style, math_label, save_figure

    with figure_style():
        fig, ax = plt.subplots(figsize=(6, 3.5))
        top = max(float(np.max(v)) for v in tr.values.values())
        for j, (k, v) in enumerate(tr.values.items()):
            for m in range(min(3, v.shape[1])):
                # below 1e-10 of the largest value is round-off: not drawn
                ax.semilogy(tr.times, above_floor(np.append(v[:, m], top))[:-1], color=f"C{j}",
                            ls=("-", "--", ":")[m], label=f"{math_label(k)}: $\\sigma_{{{m + 1}}}$")
        ax.set_xlabel("flow time $t$")
        ax.set_ylabel("singular values of $G_g$")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        save_figure(fig, out)
    plt.close(fig)
