"""Reading and writing data (CSV, NPZ) and parameter (JSON) files, always atomically."""

from __future__ import annotations

import contextlib
import csv
import io as _io
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import sympy as sp

from .data import Dataset
from .errors import DataError, InputError, ParameterError, ParseError
from .numbers import parse_number
from .params import Network, Spline

MAX_FILE_BYTES = 2 * 1024**3


# ---------------------------------------------------------------------- atomic writes
@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 text atomically with Unix newlines."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write bytes atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write one array as .npy atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, array)


# ---------------------------------------------------------------------- data files
def read_data(path: str | os.PathLike, *, exact_decimals: bool = False) -> Dataset:
    """Read a data set from a CSV file with header ``x,y`` or an ``.npz`` with arrays x, y.

    CSV cells may be integers or ratios ``p/q`` (exact) or decimals (float unless
    ``exact_decimals``); any float cell makes the data float.

    Raises
    ------
    DataError
        For a missing, empty or malformed file, and for data that :class:`Dataset` refuses.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"data file not found: {p}")
    if p.suffix.lower() == ".npz":
        return _read_npz(p)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{p}: not a UTF-8 text file") from exc
    return parse_csv(text, source=str(p), exact_decimals=exact_decimals)


def parse_csv(text: str, *, source: str = "<csv>", exact_decimals: bool = False,
              columns: tuple[str, ...] = ("x", "y")) -> Dataset:
    """Parse CSV text with header ``x,y`` into a :class:`Dataset`."""
    rows = [r for r in csv.reader(_io.StringIO(text)) if any(cell.strip() for cell in r)]
    if not rows:
        raise DataError(f"{source}: empty file (expected a header 'x,y' and rows)")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataError(f"{source}: header must name columns x,y; got {','.join(rows[0])!r}")
    ix, iy = header.index("x"), header.index("y")
    xs, ys = [], []
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(f"{source}: line {lineno} has {len(row)} cells, expected {len(header)}")
        try:
            xs.append(parse_number(row[ix], exact_decimals=exact_decimals))
            ys.append(parse_number(row[iy], exact_decimals=exact_decimals))
        except ParseError as exc:
            raise DataError(f"{source}: line {lineno}: {exc}") from None
    if not xs:
        raise DataError(f"{source}: no data rows after the header")
    if any(isinstance(v, float) for v in xs + ys):
        xs = [float(v) for v in xs]
        ys = [float(v) for v in ys]
    return Dataset.from_arrays(xs, ys)


def _read_npz(p: Path) -> Dataset:
    try:
        with np.load(p, allow_pickle=False) as z:
            if "x" not in z.files or "y" not in z.files:
                raise DataError(f"{p}: .npz must hold arrays 'x' and 'y', found {sorted(z.files)}")
            x, y = np.asarray(z["x"]), np.asarray(z["y"])
    except DataError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{p}: not a readable .npz file ({exc})") from None
    if x.dtype.kind not in "fiu" or y.dtype.kind not in "fiu":
        raise DataError(f"{p}: arrays x and y must be numeric")
    return Dataset.from_arrays(x.astype(np.float64), y.astype(np.float64))


def write_data(path: str | os.PathLike, data: Dataset) -> None:
    """Write a data set as CSV (exact values as p/q) or .npz (floats), atomically."""
    p = Path(path)
    if p.suffix.lower() == ".npz":
        with atomic_path(p) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, x=np.asarray(data.x, dtype=np.float64),
                         y=np.asarray(data.y, dtype=np.float64))
        return
    lines = ["x,y"] + [f"{_number_text(a)},{_number_text(b)}" for a, b in zip(data.x, data.y,
                                                                               strict=True)]
    write_text(p, "\n".join(lines) + "\n")


# ---------------------------------------------------------------------- parameter files
_NETWORK_KEYS = {"w", "b", "v", "c"}
_SPLINE_KEYS = {"beta", "mu", "s", "c"}


def read_params(path: str | os.PathLike) -> Network | Spline:
    """Read a network ``{"w","b","v","c"}`` or a spline ``{"beta","mu","s","c"}`` from JSON.

    Numbers may be JSON numbers (integers are exact, others float) or strings holding exact
    rationals (``"2/7"``) or decimals (read exactly: ``"0.1"`` is 1/10).
    """
    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"parameter file not found: {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ParameterError(f"{p}: not a UTF-8 text file") from exc
    return parse_params(text, source=str(p))


def parse_params(text: str, *, source: str = "<json>") -> Network | Spline:
    """Parse the JSON text of a parameter file (see :func:`read_params`)."""
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ParameterError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except ValueError as exc:
        raise ParameterError(f"{source}: {exc}") from None
    return params_from_dict(obj, source=source)


def params_from_dict(obj: object, *, source: str = "<dict>") -> Network | Spline:
    """Build a :class:`Network` or :class:`Spline` from a dict in the JSON layout."""
    if not isinstance(obj, dict):
        raise ParameterError(f"{source}: expected a JSON object with keys w,b,v,c or beta,mu,s,c")
    keys = set(obj)
    if keys == _NETWORK_KEYS:
        w, b, v = (_num_list(obj[k], k, source) for k in "wbv")
        return Network(w, b, v, _num(obj["c"], "c", source))
    if keys == _SPLINE_KEYS:
        beta, mu = _num_list(obj["beta"], "beta", source), _num_list(obj["mu"], "mu", source)
        s = obj["s"]
        if not isinstance(s, list) or not all(isinstance(si, int) and not isinstance(si, bool)
                                              for si in s):
            raise ParameterError(f"{source}: 's' must be a list of +1 and -1")
        return Spline(beta, mu, tuple(s), _num(obj["c"], "c", source))
    if keys & _NETWORK_KEYS - {"c"} and keys <= _NETWORK_KEYS | {"extra"}:
        raise ParameterError(f"{source}: network needs keys w,b,v,c; missing "
                             f"{','.join(sorted(_NETWORK_KEYS - keys))}")
    if keys & (_SPLINE_KEYS - {"c"}) and not keys - _SPLINE_KEYS:
        raise ParameterError(f"{source}: spline needs keys beta,mu,s,c; missing "
                             f"{','.join(sorted(_SPLINE_KEYS - keys))}")
    unknown = keys - _NETWORK_KEYS - _SPLINE_KEYS
    if unknown:
        raise ParameterError(f"{source}: unknown keys {','.join(sorted(unknown))} "
                             "(expected w,b,v,c or beta,mu,s,c)")
    raise ParameterError(f"{source}: keys {','.join(sorted(keys))} mix the network (w,b,v,c) "
                         "and spline (beta,mu,s,c) layouts or miss some")


def params_to_dict(params: Network | Spline) -> dict:
    """The JSON layout of parameters; exact values become strings ``"p/q"``."""
    if params.kind == "symbolic":
        raise ParameterError("symbolic parameters cannot be written to a parameter file")
    if isinstance(params, Network):
        return {"w": _json_list(params.w), "b": _json_list(params.b), "v": _json_list(params.v),
                "c": _json_num(params.c)}
    return {"beta": _json_list(params.beta), "mu": _json_list(params.mu), "s": list(params.s),
            "c": _json_num(params.c)}


def write_params(path: str | os.PathLike, params: Network | Spline) -> None:
    """Write parameters as JSON, atomically."""
    write_text(path, json.dumps(params_to_dict(params), indent=2) + "\n")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a valid number")


def _num(value: object, name: str, source: str) -> object:
    if isinstance(value, bool) or value is None:
        raise ParameterError(f"{source}: {name} must be a number, got {json.dumps(value)}")
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParameterError(f"{source}: {name} is not finite")
        return value
    if isinstance(value, str):
        try:
            return parse_number(value, exact_decimals=True)
        except ParseError as exc:
            raise ParameterError(f"{source}: {name}: {exc}") from None
    raise ParameterError(f"{source}: {name} must be a number, got {type(value).__name__}")


def _num_list(values: object, name: str, source: str) -> list:
    if not isinstance(values, list):
        raise ParameterError(f"{source}: {name!r} must be a list of numbers")
    return [_num(v, f"{name}{i + 1}", source) for i, v in enumerate(values)]


def _number_text(v: object) -> str:
    if isinstance(v, float | np.floating):
        return repr(float(v))
    if isinstance(v, sp.Rational):
        return str(v)
    return str(v)


def _json_num(v: object) -> object:
    if isinstance(v, float | np.floating):
        return float(v)
    if isinstance(v, sp.Integer):
        return int(v)
    if isinstance(v, sp.Rational):
        return str(v)
    if isinstance(v, sp.Basic) and v.is_number:
        # Irrational exact values (e.g. sqrt from to_network) are not in the file format, which
        # holds rationals only: they are written as floats so the file stays readable.
        return float(v)
    raise InputError(f"cannot write {v!r} as a JSON number")


def _json_list(arr: np.ndarray) -> list:
    return [_json_num(v) for v in arr]
