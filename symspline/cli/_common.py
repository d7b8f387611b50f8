"""Helpers shared by the subcommands: loading inputs, `--json` output, number formatting."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import re
import sys
from collections.abc import Callable, Iterator

import numpy as np
import sympy as sp

from ..data import Dataset
from ..errors import InputError, ParameterError, ParseError, SizeError
from ..io import read_data, read_input_text, read_params
from ..numbers import parse_number
from ..params import Network, Spline, weight_decay_value

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


def add_params(p: argparse.ArgumentParser, required: bool = True, *,
               negative_slope: bool = True) -> None:
    """Add `--params FILE` (JSON network or spline) and, unless told not to, `--negative-slope`.

    :func:`load_params` and :func:`load_params_as_requested` apply `--negative-slope` to the
    parameters read, so every command that reads parameters through them takes the option.
    """
    p.add_argument("--params", required=required, metavar="FILE",
                   help='parameters: JSON {"w","b","v","c"} (network) or {"beta","mu","s","c"}, '
                   'optionally with "negative_slope"')
    if negative_slope:
        add_negative_slope(p)


def add_negative_slope(p: argparse.ArgumentParser) -> None:
    """Add `--negative-slope ALPHA`: the leaky ReLU max(z, alpha z), 0 <= alpha < 1.

    Read with :func:`with_negative_slope` (done by :func:`load_params`).
    """
    _negative_values(p)
    p.add_argument("--negative-slope", default=None, metavar="ALPHA",
                   help="leaky ReLU sigma(z) = max(z, ALPHA z), 0 <= ALPHA < 1 (torch's "
                   "nn.LeakyReLU negative_slope; integer, p/q or decimal, exact for exact "
                   "parameters); default: the parameter file's negative_slope, else 0 (ReLU)")


def add_weight_decay(p: argparse.ArgumentParser) -> None:
    """Add `--weight-decay LAMBDA`: the objective L + (lambda/2)||theta||^2 (network) or its
    scale-orbit minimum L + lambda sum_i |mu_i| sqrt(1 + beta_i^2) + lambda c^2/2 (spline).

    Read with :func:`weight_decay_arg`.
    """
    _negative_values(p)
    p.add_argument("--weight-decay", default=None, metavar="LAMBDA",
                   help="add weight decay: (LAMBDA/2)||theta||^2 over every network parameter "
                   "including c (torch.optim's weight_decay); in spline coordinates its minimum "
                   "over the scale orbit, LAMBDA sum_i |mu_i| sqrt(1 + beta_i^2) + LAMBDA c^2/2 "
                   "(LAMBDA >= 0: integer, p/q or decimal, exact for exact input; default 0)")


def _negative_values(p: argparse.ArgumentParser) -> None:
    # Let "-1/2" follow an option as its value (argparse takes only plain negative decimals),
    # so that a negative slope or decay is refused by its range check, naming the option.
    p._negative_number_matcher = re.compile(r"^-\.?\d")


def _option_number(text: str, option: str, exact: bool) -> object:
    """The number of an option's text: exact (decimals as rationals) when ``exact``, else float."""
    try:
        value = parse_number(str(text), exact_decimals=exact)
    except ParseError as exc:
        raise InputError(f"{option}: {exc}") from None
    if not exact:
        value = float(value)
        if not math.isfinite(value):
            raise InputError(f"{option} must be a finite number, got {str(text)[:40]!r}")
    return value


def with_negative_slope(params: Network | Spline, text: str | None) -> Network | Spline:
    """``params`` with the leaky-ReLU slope of `--negative-slope` (``text``; None: unchanged).

    The slope is exact for exact parameters (``0.01`` is 1/100) and float otherwise. A file that
    already names a different non-zero slope is refused rather than silently overridden.

    Raises
    ------
    InputError
        One line: not a number, outside [0, 1), or contradicting the file's negative_slope.
    """
    if text is None:
        return params
    alpha = _option_number(text, "--negative-slope", params.kind != "float")
    if not 0 <= alpha < 1:
        raise InputError(f"--negative-slope must be in [0, 1) (0 is the ReLU, the leaky ReLU is "
                         f"max(z, alpha z)), got {str(text)[:40]!r}")
    if params.negative_slope != 0 and params.negative_slope != alpha:
        raise InputError(f"--negative-slope {text} contradicts negative_slope = "
                         f"{params.negative_slope} in the parameter file")
    try:
        return dataclasses.replace(params, negative_slope=alpha)
    except ParameterError as exc:
        raise InputError(f"--negative-slope: {exc}") from None


def weight_decay_arg(args: argparse.Namespace, kind: str) -> object:
    """lambda of `--weight-decay` (0 when absent): exact when the input ``kind`` is exact.

    ``kind`` is the number kind of the answer without the penalty (parameters and data
    combined), so exact input gives an exact objective and float input a float one.

    Raises
    ------
    InputError
        One line: not a number, negative or not finite.
    """
    text = getattr(args, "weight_decay", None)
    if text is None:
        return 0
    lam = _option_number(text, "--weight-decay", kind == "exact")
    try:
        return weight_decay_value(lam)
    except ParameterError:
        raise InputError(f"--weight-decay must be a finite number >= 0, got "
                         f"{str(text)[:40]!r}") from None


def model_fields(params: Network | Spline, weight_decay: object = None, *,
                 exact: bool = False) -> dict:
    """``negative_slope`` (and ``weight_decay`` unless None) under the JSON contract.

    Exact twins (``negative_slope_exact``, ``weight_decay_exact``) only when the answer is exact
    (``exact``), so float output never carries them (docs/json.md rule 3).
    """
    def field_(name: str, value: object) -> dict:
        return exact_fields(name, value if exact else float(value))

    out = field_("negative_slope", params.negative_slope)
    if weight_decay is not None:
        out.update(field_("weight_decay", weight_decay))
    return out


def add_param_choice(p: argparse.ArgumentParser, what: str = "the result") -> None:
    """Add `--param network|spline` and `--balance D` (the network representative of a spline)."""
    p.add_argument("--param", choices=("network", "spline"), default=None,
                   help=f"parameterization of {what} (default: that of the file)")
    p.add_argument("--balance", default="0", metavar="D",
                   help="per-unit balance v^2 - w^2 - b^2 of the network representative used when "
                   "spline parameters are asked for as a network (default 0)")


def load_params_as_requested(args: argparse.Namespace) -> Network | Spline:
    """The parameters of `--params` (with `--negative-slope`), converted to the
    parameterization `--param` asks for."""
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
    """The parameters of `--params`, with `--negative-slope` applied when the command has it."""
    return with_negative_slope(read_params(args.params), getattr(args, "negative_slope", None))


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
