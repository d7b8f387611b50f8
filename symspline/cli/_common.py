"""Helpers shared by the subcommands: loading inputs, `--json` output, number formatting."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
from collections.abc import Callable, Iterator

import numpy as np
import sympy as sp

from ..data import Dataset
from ..errors import InputError, SizeError
from ..io import read_data, read_input_text, read_params
from ..params import Network, Spline

#: Exact results are printed in full up to this many decimal digits per integer (Python's own
#: guard stops at 4300); longer ones are refused in one line rather than printed for minutes.
MAX_EXACT_DIGITS = 100_000


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
    """Add `--population SPEC` (an input measure and a target instead of samples, theory §7.3)."""
    p.add_argument("--population", metavar="SPEC", default=None,
                   help="population instead of --data: 'uniform:A,B; target: EXPR on [LO,HI], ...' "
                   "or 'density: W on [LO,HI], ...; target: EXPR' (polynomials in x; "
                   "@FILE reads the SPEC from a file)")


def load_population(args: argparse.Namespace) -> object:
    """The :class:`symspline.population.Population` of `--population SPEC` (or `@FILE`)."""
    from pathlib import Path

    from ..population import parse_population

    spec = args.population
    if spec.startswith("@"):
        if not spec[1:].strip():
            raise InputError("no population spec file given after '@' (an empty file name)")
        path = Path(spec[1:])
        spec = read_input_text(path, "population spec file")
        if len(spec) > 100_000:  # a spec is a line or two; the parser bounds each expression
            raise InputError(f"population spec file {path} is longer than 100000 characters")
    return parse_population(spec)


def data_or_population(args: argparse.Namespace) -> tuple[Dataset | None, object | None]:
    """Exactly one of `--data` / `--population`: (data, None) or (None, population)."""
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
    """Exact numbers as text ("p/q", "sqrt(2)/2"); floats with repr precision.

    Integers longer than Python's 4300-digit conversion guard are written in full up to
    :data:`MAX_EXACT_DIGITS` digits; a longer one raises :class:`SizeError` (one line, exit 2).
    """
    if isinstance(value, float | np.floating):
        return repr(float(value))
    bits = _max_integer_bits(value)
    if bits * math.log10(2) > MAX_EXACT_DIGITS:
        raise SizeError(f"an exact result has about {bits * math.log10(2):.0f} digits, more "
                        f"than the {MAX_EXACT_DIGITS} printed")
    with _digits_allowed(MAX_EXACT_DIGITS + 10):
        return str(value)


def _max_integer_bits(value: object) -> int:
    if isinstance(value, bool):
        return 1
    if isinstance(value, int | np.integer):
        return int(value).bit_length()
    if isinstance(value, sp.Rational):
        return max(int(value.p).bit_length(), int(value.q).bit_length())
    if isinstance(value, sp.Basic):
        return max([1] + [_max_integer_bits(a) for a in value.atoms(sp.Rational)])
    return 1


@contextlib.contextmanager
def _digits_allowed(digits: int) -> Iterator[None]:
    # The guard is process-wide; the command line is single-threaded, so raising it around one
    # conversion (and restoring it) touches nothing else.
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(max(old, digits) if old else 0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)


def payload_head(args: argparse.Namespace, ok: bool = True) -> dict:
    """The two fields every JSON document starts with: ``ok`` and ``command`` (docs/json.md)."""
    return {"ok": bool(ok), "command": args.command}


def require_finite(payload: object, where: str = "") -> None:
    """Refuse a result holding NaN or an infinity (docs/json.md rule 4), naming the field.

    Raises
    ------
    InputError
        ``"the result loss is nan in float64: ..."``: float inputs beyond the float range
        (an overflowing product, ``1e200**2``) are bad input; exact strings avoid the overflow.
    """
    bad = _first_non_finite(payload, where)
    if bad is not None:
        path, value = bad
        raise InputError(f"the result {path or 'value'} is {value} in float64: the inputs are "
                         "too large (or too extreme) for floating point; give exact numbers "
                         "('p/q' strings) or smaller values")


def _first_non_finite(value: object, path: str) -> tuple[str, str] | None:
    if isinstance(value, dict):
        for k, v in value.items():
            hit = _first_non_finite(v, f"{path}.{k}" if path else str(k))
            if hit is not None:
                return hit
        return None
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            hit = _first_non_finite(v, f"{path}[{i + 1}]")
            if hit is not None:
                return hit
        return None
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc" and not np.all(np.isfinite(value)):
            idx = np.argwhere(~np.isfinite(value))[0]
            where = "".join(f"[{int(i) + 1}]" for i in idx)
            return f"{path}{where}", str(value[tuple(idx)])
        if value.dtype == object:
            return _first_non_finite(value.tolist(), path)
        return None
    if isinstance(value, float | np.floating) and not math.isfinite(float(value)):
        return path, str(float(value))
    if isinstance(value, sp.Basic) and value.is_number and value.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return path, str(value)
    return None


def require_finite_loss(params: Network | Spline, data: Dataset) -> None:
    """Refuse parameters whose float64 loss overflows, before eigen- or singular-value solvers
    meet the resulting infinities (they fail with LinAlgError rather than say why)."""
    from .. import kernels

    if params.kind == "symbolic" or data.kind == "symbolic":
        return
    require_finite({"loss": kernels.loss(params.as_float(), data.as_float())})


def int_option(name: str, minimum: int, maximum: int) -> Callable[[str], int]:
    """An argparse ``type`` for an integer option in [minimum, maximum] (one-line refusal)."""
    def parse(text: str) -> int:
        t = text.strip()
        if not t.lstrip("+-").isdigit() or len(t) > 30:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text[:40]!r}")
        value = int(t)
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"{name} must be an integer in [{minimum}, "
                                             f"{maximum}], got {value}")
        return value
    return parse


def float_option(name: str, *, minimum: float | None = None, maximum: float | None = None,
                 strict_minimum: bool = False) -> Callable[[str], float]:
    """An argparse ``type`` for a finite float option, optionally bounded (one-line refusal)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text[:40]!r}") \
                from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{name} must be a finite number, got {text!r}")
        if minimum is not None and (value < minimum or (strict_minimum and value == minimum)):
            rel = ">" if strict_minimum else ">="
            raise argparse.ArgumentTypeError(f"{name} must be {rel} {minimum:g}, got {text!r}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{name} must be <= {maximum:g}, got {text!r}")
        return value
    return parse


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
        return exact_text(v)

    def as_float(v: object) -> object:
        if isinstance(v, sp.MatrixBase):
            return [[as_float(u) for u in row] for row in v.tolist()]
        if isinstance(v, np.ndarray):
            return [as_float(u) for u in v.tolist()]
        if isinstance(v, list | tuple):
            return [as_float(u) for u in v]
        return float(v)

    floats = as_float(value)
    out: dict = {name: floats}
    if is_exact(value):
        out[name + "_exact"] = as_text(value)
        if _first_non_finite(floats, name) is not None:
            # An exact value beyond the float range: the exact string is the answer (rule 4).
            out[name] = None
            out[name + "_reason"] = f"beyond the float64 range; the value is {name}_exact"
    return out


def emit_json(payload: dict) -> None:
    """Print one JSON document on stdout, all or nothing.

    The document is serialized completely before anything is written, so a non-finite float or
    an unserializable value raises before stdout is touched (docs/json.md).
    """
    require_finite(payload)
    try:
        text = json.dumps(to_jsonable(payload), indent=2, allow_nan=False)
    except (TypeError, ValueError) as exc:  # a defect, but still one line and nothing written
        raise InputError(f"the result cannot be written as JSON ({exc})") from None
    sys.stdout.write(text + "\n")
