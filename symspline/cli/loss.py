"""`symspline loss`: the loss of a network or spline on a data set (or a population), exact when exact."""

from __future__ import annotations

import argparse

from .. import api
from ..params import Network
from ._common import (
    add_data,
    add_json,
    add_params,
    add_population,
    data_or_population,
    emit_json,
    exact_fields,
    exact_text,
    load_params,
    payload_head,
    require_finite,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "loss", help="loss L = (1/2N) sum (f(x_n) - y_n)^2 of parameters on data",
        description="Compute the loss L = (1/(2N)) sum_n (f(x_n) - y_n)^2. Exact (p/q) when data "
        "and parameters are exact; float otherwise. With --population SPEC instead of --data, the "
        "population loss (1/2) E[(f(X) - g(X))^2] (docs/theory.md §7.3).")
    add_data(p, required=False)
    add_population(p)
    add_params(p)
    add_json(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    data, pop = data_or_population(args)
    params = load_params(args)
    value = api.loss(params, data) if pop is None else pop.loss(params)
    payload = payload_head(args)
    payload.update({"param": "network" if isinstance(params, Network) else "spline",
                    "H": params.H})
    if pop is None:
        payload["N"] = data.n
    else:
        payload["population"] = {**exact_fields("support", [pop.a, pop.b]),
                                 **exact_fields("knots", list(pop.knots))}
    payload.update(exact_fields("loss", value))
    if args.json:
        emit_json(payload)
        return 0
    if "loss_exact" in payload:
        approx = payload["loss"]
        print(f"loss = {exact_text(value)}" + ("  (beyond the float64 range)" if approx is None
                                               else f"  (~ {approx:.17g})"))
    else:
        require_finite(payload)
        print(f"loss = {payload['loss']!r}")
    return 0
