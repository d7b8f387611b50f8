"""`symspline loss`: the loss of a network or spline on a data set (or a population), exact when exact."""

from __future__ import annotations

import argparse

from .. import api
from ._common import (
    add_data,
    add_json,
    add_params,
    add_population,
    data_or_population,
    emit_json,
    load_params,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "loss", help="loss L = (1/2N) sum (f(x_n) - y_n)^2 of parameters on data",
        description="Compute the loss L = (1/(2N)) sum_n (f(x_n) - y_n)^2. Exact (p/q) when data "
        "and parameters are exact; float otherwise. With --population SPEC instead of --data, the "
        "population loss (1/2) E[(f(X) - g(X))^2] (THEORY 7.3).")
    add_data(p, required=False)
    add_population(p)
    add_params(p)
    add_json(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    data, pop = data_or_population(args)
    params = load_params(args)
    value = api.loss(params, data) if pop is None else pop.loss(params)
    exact = not isinstance(value, float)
    payload = {"param": "network" if params.__class__.__name__ == "Network" else "spline",
               "H": params.H, "loss": float(value)}
    if pop is None:
        payload["N"] = data.n
    else:
        payload["population"] = {"support": [str(pop.a), str(pop.b)],
                                 "knots": [str(t) for t in pop.knots]}
    if exact:
        payload["loss_exact"] = str(value)
    if args.json:
        emit_json(payload)
    else:
        print(f"loss = {payload.get('loss_exact', repr(float(value)))}"
              + (f"  (~ {float(value):.17g})" if exact else ""))
    return 0
