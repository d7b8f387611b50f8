"""`symspline convert`: between the network (w, b, v, c) and spline (beta, mu, s, c) forms."""

from __future__ import annotations

import argparse

from ..errors import InputError, ParseError
from ..io import write_params
from ..numbers import parse_number
from ..params import Network, Spline
from ._common import (
    add_json,
    add_params,
    emit_json,
    exact_fields,
    exact_text,
    load_params,
    payload_head,
    require_finite,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert", help="convert parameters between the network and spline forms",
        description="Network -> spline: beta = -b/w, mu = v|w|, s = sign(w). Spline -> network: "
        "the representative with per-unit balance v^2 - w^2 - b^2 = d (default 0). The "
        "activation (negative_slope of the file or --negative-slope) is kept: the maps are the "
        "same for the leaky ReLU.")
    add_params(p)
    p.add_argument("--to", required=True, choices=("spline", "network"), help="target form")
    p.add_argument("--balance", default="0", metavar="d",
                   help="balance d for --to network (integer, p/q or decimal; default 0)")
    p.add_argument("--out", metavar="FILE", help="also write the result as a JSON parameter file")
    add_json(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    params = load_params(args)
    if args.to == "spline":
        if isinstance(params, Spline):
            raise InputError("parameters are already in spline form")
        out: Network | Spline = params.to_spline()
    else:
        if isinstance(params, Network):
            raise InputError("parameters are already in network form")
        try:
            d = parse_number(args.balance, exact_decimals=params.kind == "exact")
        except ParseError as exc:
            raise InputError(f"--balance: {exc}") from None
        out = params.to_network(balance=d)
    payload = payload_head(args)
    payload.update({"from": params.parameterization,
                    "param": args.to, "H": out.H, "order": list(out.names),
                    "params": params_fields(out)})
    require_finite(payload)  # before writing --out: nothing is left behind on failure
    if args.out:
        write_params(args.out, out)
        payload["out"] = str(args.out)
    if args.json:
        emit_json(payload)
    else:
        print(_table(out))
    return 0


def _table(p: Network | Spline) -> str:
    """The parameters as a compact table, one row per unit: readable unicode math, simplified,
    with the float beside each exact value (``√6/2 ≈ 1.22474``); then the output bias c."""
    from ..render.display import Table, approx_text

    if isinstance(p, Network):
        names, cols = ("w", "b", "v"), (p.w, p.b, p.v)
    else:
        names, cols = ("beta", "mu", "s"), (p.beta, p.mu, p.s)
    # floats in full (repr) precision: they are the only value shown
    cell = exact_text if p.kind == "float" else approx_text
    rows = tuple((str(i + 1), *(cell(col[i]) if name != "s" else str(int(col[i]))
                                for name, col in zip(names, cols, strict=True)))
                 for i in range(p.H))
    text = f"{Table(('unit', *names), rows)}\nc = {cell(p.c)}"
    if p.negative_slope != 0:
        text += f"\nnegative_slope = {cell(p.negative_slope)} (leaky ReLU max(z, alpha z))"
    return text


def params_fields(p: Network | Spline) -> dict:
    """Parameters under the JSON contract: each vector as floats beside its exact twin, and
    ``negative_slope`` for a leaky ReLU (absent for the ReLU, as in parameter files)."""
    if isinstance(p, Network):
        out = {**exact_fields("w", list(p.w)), **exact_fields("b", list(p.b)),
               **exact_fields("v", list(p.v))}
    else:
        out = {**exact_fields("beta", list(p.beta)), **exact_fields("mu", list(p.mu)),
               "s": [int(si) for si in p.s]}
    out.update(exact_fields("c", p.c))
    if p.negative_slope != 0:
        out.update(exact_fields("negative_slope", p.negative_slope))
    return out


def _exact_view(p: Network | Spline) -> dict[str, str]:
    if isinstance(p, Network):
        fields = {"w": p.w, "b": p.b, "v": p.v}
    else:
        fields = {"beta": p.beta, "mu": p.mu, "s": p.s}
    view = {k: "[" + ", ".join(exact_text(x) for x in vals) + "]" for k, vals in fields.items()}
    view["c"] = exact_text(p.c)
    if p.negative_slope != 0:
        view["negative_slope"] = exact_text(p.negative_slope)
    return view



