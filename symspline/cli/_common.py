"""Helpers shared by the subcommands: loading inputs, `--json` output, number formatting."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import sympy as sp

from ..data import Dataset
from ..io import read_data, read_params
from ..params import Network, Spline


def add_json(p: argparse.ArgumentParser) -> None:
    """Add the `--json` flag every subcommand has."""
    p.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")


def add_data(p: argparse.ArgumentParser, required: bool = True) -> None:
    """Add `--data FILE` (CSV with header x,y or .npz with arrays x, y)."""
    p.add_argument("--data", required=required, metavar="FILE",
                   help="data: CSV with header 'x,y' (decimals or p/q) or .npz with arrays x, y")
    p.add_argument("--exact-decimals", action="store_true",
                   help="read decimal cells of a CSV as exact rationals (0.1 -> 1/10)")


def add_params(p: argparse.ArgumentParser, required: bool = True) -> None:
    """Add `--params FILE` (JSON network or spline)."""
    p.add_argument("--params", required=required, metavar="FILE",
                   help='parameters: JSON {"w","b","v","c"} (network) or {"beta","mu","s","c"}')


def add_param_choice(p: argparse.ArgumentParser, what: str = "the result") -> None:
    """Add `--param network|spline` and `--balance D` (the network representative of a spline)."""
    p.add_argument("--param", choices=("network", "spline"), default=None,
                   help=f"parameterization of {what} (default: that of the file)")
    p.add_argument("--balance", default="0", metavar="D",
                   help="per-unit balance v^2 - w^2 - b^2 of the network representative used when "
                   "spline parameters are asked for as a network (default 0)")


def load_params_as_requested(args: argparse.Namespace) -> Network | Spline:
    """The parameters of `--params`, converted to the parameterization `--param` asks for."""
    from ..numbers import parse_number

    params = load_params(args)
    if args.param == "spline" and isinstance(params, Network):
        return params.to_spline()
    if args.param == "network" and isinstance(params, Spline):
        return params.to_network(balance=parse_number(args.balance))
    return params


def add_population(p: argparse.ArgumentParser) -> None:
    """Add `--population SPEC` (an input measure and a target instead of samples, THEORY 7.3)."""
    p.add_argument("--population", metavar="SPEC", default=None,
                   help="population instead of --data: 'uniform:A,B; target: EXPR on [LO,HI], ...' "
                   "or 'density: W on [LO,HI], ...; target: EXPR' (polynomials in x; "
                   "@FILE reads the SPEC from a file)")


def load_population(args: argparse.Namespace) -> object:
    """The :class:`symspline.population.Population` of `--population SPEC` (or `@FILE`)."""
    from pathlib import Path

    from ..errors import InputError
    from ..population import parse_population

    spec = args.population
    if spec.startswith("@"):
        path = Path(spec[1:])
        if not path.is_file():
            raise InputError(f"population spec file not found: {path}")
        spec = path.read_text(encoding="utf-8")
    return parse_population(spec)


def data_or_population(args: argparse.Namespace) -> tuple[Dataset | None, object | None]:
    """Exactly one of `--data` / `--population`: (data, None) or (None, population)."""
    from ..errors import InputError

    has_d, has_p = getattr(args, "data", None) is not None, args.population is not None
    if has_d == has_p:
        raise InputError("give exactly one of --data FILE and --population SPEC")
    return (load_data(args), None) if has_d else (None, load_population(args))


def load_data(args: argparse.Namespace) -> Dataset:
    return read_data(args.data, exact_decimals=getattr(args, "exact_decimals", False))


def load_params(args: argparse.Namespace) -> Network | Spline:
    return read_params(args.params)


def to_jsonable(value: object) -> object:
    """Numbers and arrays as JSON values: floats for numbers (exact ones rounded)."""
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()] if value.dtype == object else \
            value.tolist()
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    if isinstance(value, sp.Integer):
        return int(value)
    if isinstance(value, sp.Basic) and value.is_number:
        return float(value)
    return str(value)


def exact_text(value: object) -> str:
    """Exact numbers as text ("p/q", "sqrt(2)/2"); floats with repr precision."""
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return str(value)


def exact_fields(name: str, value: object) -> dict:
    """One quantity under the JSON contract (docs/json.md): ``NAME`` and, when exact, ``NAME_exact``.

    ``NAME`` is always a float (a JSON number, or nested lists of them); ``NAME_exact`` holds the
    exact values as strings ("p/q", "sqrt(2)/2") and is present only when every entry is exact.
    """
    def is_exact(v: object) -> bool:
        if isinstance(v, list | tuple):
            return all(is_exact(u) for u in v)
        if isinstance(v, np.ndarray):
            return v.dtype == object and all(is_exact(u) for u in v.tolist())
        if isinstance(v, sp.MatrixBase):
            return all(is_exact(u) for u in v)
        return isinstance(v, int | sp.Basic) and not isinstance(v, bool | sp.Float)

    def as_text(v: object) -> object:
        if isinstance(v, sp.MatrixBase):
            return [[as_text(u) for u in row] for row in v.tolist()]
        if isinstance(v, np.ndarray):
            return [as_text(u) for u in v.tolist()]
        if isinstance(v, list | tuple):
            return [as_text(u) for u in v]
        return str(v)

    def as_float(v: object) -> object:
        if isinstance(v, sp.MatrixBase):
            return [[as_float(u) for u in row] for row in v.tolist()]
        if isinstance(v, np.ndarray):
            return [as_float(u) for u in v.tolist()]
        if isinstance(v, list | tuple):
            return [as_float(u) for u in v]
        return float(v)

    out: dict = {name: as_float(value)}
    if is_exact(value):
        out[name + "_exact"] = as_text(value)
    return out


def emit_json(payload: dict) -> None:
    """Print one JSON document on stdout, all or nothing.

    The document is serialized completely before anything is written, so a non-finite float or
    an unserializable value raises before stdout is touched (docs/json.md).
    """
    text = json.dumps(to_jsonable(payload), indent=2, allow_nan=False)
    sys.stdout.write(text + "\n")
