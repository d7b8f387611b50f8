"""`symspline loss`: the loss of a network or spline on a data set, exact when the input is exact."""

from __future__ import annotations

import argparse

from .. import api
from ._common import add_data, add_json, add_params, emit_json, load_data, load_params


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "loss", help="loss L = (1/2N) sum (f(x_n) - y_n)^2 of parameters on data",
        description="Compute the loss L = (1/(2N)) sum_n (f(x_n) - y_n)^2. Exact (p/q) when data "
        "and parameters are exact; float otherwise.")
    add_data(p)
    add_params(p)
    add_json(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    data = load_data(args)
    params = load_params(args)
    value = api.loss(params, data)
    exact = not isinstance(value, float)
    payload = {
        "param": "network" if params.__class__.__name__ == "Network" else "spline",
        "N": data.n, "H": params.H, "loss": float(value),
    }
    if exact:
        payload["loss_exact"] = str(value)
    if args.json:
        emit_json(payload)
    else:
        print(f"loss = {payload.get('loss_exact', repr(float(value)))}"
              + (f"  (~ {float(value):.17g})" if exact else ""))
    return 0
