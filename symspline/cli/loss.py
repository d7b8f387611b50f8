"""`symspline loss`: the loss of a network or spline on a data set (or a population), exact when exact."""

from __future__ import annotations

import argparse

from ..evaluation import evaluate
from ..numbers import combine_kinds
from ._common import (
    add_data,
    add_json,
    add_params,
    add_population,
    add_weight_decay,
    data_or_population,
    emit_json,
    exact_fields,
    exact_text,
    load_params,
    model_fields,
    payload_head,
    require_finite,
    weight_decay_arg,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "loss", help="loss L = (1/2N) sum (f(x_n) - y_n)^2 of parameters on data",
        description="Compute the loss L = (1/(2N)) sum_n (f(x_n) - y_n)^2. Exact (p/q) when data "
        "and parameters are exact; float otherwise. With --population SPEC instead of --data, the "
        "population loss (1/2) E[(f(X) - g(X))^2] (docs/theory.md §7.3). --weight-decay LAMBDA "
        "adds (LAMBDA/2)||theta||^2 (network) or LAMBDA sum_i |mu_i| sqrt(1 + beta_i^2) + "
        "LAMBDA c^2/2 (spline); --negative-slope ALPHA (or the file's negative_slope) makes the "
        "activation the leaky ReLU max(z, ALPHA z).")
    add_data(p, required=False)
    add_population(p)
    add_params(p)
    add_weight_decay(p)
    add_json(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    data, pop = data_or_population(args)
    params = load_params(args)
    kind = params.kind if pop is not None else combine_kinds([params.kind, data.kind])
    lam = weight_decay_arg(args, kind)
    if pop is None:
        value = evaluate(params, data, weight_decay=lam).loss
    else:
        value = pop.loss(params, weight_decay=lam)
    payload = payload_head(args)
    payload.update({"param": params.parameterization,
                    "H": params.H})
    payload.update(model_fields(params, lam, exact=kind == "exact"))
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
                                               else f"  (~ {approx:.17g})") + _model_note(payload))
    else:
        require_finite(payload)
        print(f"loss = {payload['loss']!r}" + _model_note(payload))
    return 0


def _model_note(payload: dict) -> str:
    """``"  [leaky ReLU, negative_slope = 1/10; weight decay lambda = 1/100]"`` or ``""``."""
    notes = []
    for key, text in (("negative_slope", "leaky ReLU, negative_slope"),
                      ("weight_decay", "weight decay lambda")):
        if payload.get(key):
            notes.append(f"{text} = {payload.get(key + '_exact', payload[key])}")
    return f"  [{'; '.join(notes)}]" if notes else ""
