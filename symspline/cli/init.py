"""`symspline init`: initial-function statistics of a scheme, exact (THEORY 4) beside Monte-Carlo."""

from __future__ import annotations

import argparse
import hashlib
import re
import sys

import numpy as np

from ..defaults import DEFAULT_SEED
from ..errors import ParameterError, ParseError
from ..numbers import parse_number
from ._common import add_json, emit_json

_DEFAULT_WIDTH = 16
_DEFAULT_SAMPLES = 100_000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "init", help="breakpoint/delta-slope laws, roughness, Var f, Var f' of an initialization",
        description="Exact laws of the breakpoints beta = -b/w and delta-slopes mu = v|w| of an "
        "initialization scheme (THEORY 4), the expected number of breakpoints and roughness "
        "sum mu_i^2 on [a, b], Var f(x) and Var f'(x), with Monte-Carlo estimates and standard "
        "errors beside them. Schemes: pytorch, glorot_normal, glorot_uniform, he_normal, "
        "he_uniform, lecun_normal, gaussian, uniform, or gaussian(sw,sb,sv[,sc]) / "
        "uniform(aw,ab,av[,ac]) with explicit scales.")
    p.add_argument("--scheme", required=True, metavar="NAME", help="initialization scheme")
    p.add_argument("--width", default=str(_DEFAULT_WIDTH), metavar="H",
                   help=f"number of hidden units (default {_DEFAULT_WIDTH})")
    p.add_argument("--interval", nargs=2, default=["-2", "2"], metavar=("a", "b"),
                   help="data interval [a, b] for breakpoint counts and roughness (default -2 2)")
    p.add_argument("--at", default=None, metavar="x1,x2,...",
                   help="points for densities (beta = x and mu = x), Var f and Var f' "
                   "(default: a, (3a+5b)/8, b); decimals are read exactly (0.1 = 1/10)")
    p.add_argument("--samples", default=str(_DEFAULT_SAMPLES), metavar="n",
                   help=f"Monte-Carlo sample size (default {_DEFAULT_SAMPLES})")
    add_json(p)
    # Let values such as -1/2 or -1,0.5 follow --interval / --at without '=': argparse only
    # recognises plain negative decimals as values by default.
    p._negative_number_matcher = re.compile(r"^-\.?\d")
    p.set_defaults(handler=run)


def _int(text: str, what: str, minimum: int) -> int:
    try:
        value = parse_number(text)
    except ParseError as exc:
        raise ParameterError(f"{what} must be an integer >= {minimum}, got {text!r}") from exc
    if isinstance(value, float) or not value.is_Integer or int(value) < minimum:
        raise ParameterError(f"{what} must be an integer >= {minimum}, got {text!r}")
    return int(value)


def _exact(text: str, what: str) -> object:
    try:
        return parse_number(text, exact_decimals=True)
    except ParseError as exc:
        raise ParameterError(f"bad {what}: {exc}") from exc


def _rng(salt: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{DEFAULT_SEED}:{salt}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def run(args: argparse.Namespace) -> int:
    from ..initialization.validation import evaluate, to_payload  # SymPy work only when used

    H = _int(args.width, "width", 1)
    n = _int(args.samples, "samples", 2)
    a, b = (_exact(t, "interval end") for t in args.interval)
    if not a < b:
        raise ParameterError(f"empty interval [{a}, {b}]: need a < b")
    if args.at is None:
        pts = [a, (3 * a + 5 * b) / 8, b]
    else:
        items = [s for s in args.at.split(",") if s.strip()]
        if not items:
            raise ParameterError("--at needs at least one point")
        pts = [_exact(s, "point") for s in items]
    progress = None
    if not args.json and sys.stderr.isatty():
        from tqdm import tqdm

        def progress(it):  # noqa: ANN001, ANN202 - thin wrapper for a progress bar on stderr
            return tqdm(it, desc="Monte-Carlo", unit="chunk", file=sys.stderr, leave=False)

    rep = evaluate(args.scheme, H, a, b, pts, n, _rng(f"init:{args.scheme}:{H}"),
                   progress=progress)
    payload = to_payload(rep)
    payload["seed"] = DEFAULT_SEED
    if args.json:
        emit_json(payload)
        return 0
    print(f"scheme {rep.scheme} ({rep.family}; w, b, v, c scales "
          f"{', '.join(str(s) for s in rep.scales)}), width H = {H}, "
          f"interval [{a}, {b}], {n} Monte-Carlo samples")
    for q, tex in rep.latex.items():
        print(f"\n{q}:\n  {tex}")
        for r in rep.by_quantity(q):
            where = "" if r.x is None else f"x = {r.x:g}: "
            ref = "" if r.exact_bin is None else f" (bin average {r.exact_bin:.6g})"
            print(f"  {where}exact {r.exact} ~ {float(r.exact):.6g}{ref}; "
                  f"Monte-Carlo {r.estimate.value:.6g} +- {r.estimate.se:.2g} (z = {r.z:+.2f})")
    return 0
