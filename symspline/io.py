"""Reading and writing data (CSV, NPZ) and parameter (JSON) files, always atomically."""

from __future__ import annotations

import contextlib
import csv
import io as _io
import json
import math
import os
import secrets
import stat
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import sympy as sp

from .data import Dataset
from .errors import DataError, InputError, ParameterError, ParseError
from .numbers import parse_number
from .params import Network, Spline

MAX_FILE_BYTES = 2 * 1024**3


# ---------------------------------------------------------------------- atomic writes
def _create_temporary(target: Path) -> Path:
    """A new empty file beside ``target``, created with mode 0666 so the umask decides its mode.

    ``tempfile.mkstemp`` would create it 0600, and the rename would keep that mode: a file
    written by symspline must look like any other file the user creates (0644 under umask 022).
    """
    for _ in range(100):
        tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise InputError(f"cannot create a temporary file beside {target}")


def _os_problem(exc: OSError) -> str:
    # The OS message without the file names it carries: those may be our temporary files.
    return exc.strerror or type(exc).__name__


@contextlib.contextmanager
def atomic_paths(paths: Sequence[str | os.PathLike]) -> Iterator[list[Path]]:
    """Yield one temporary path beside each of ``paths``; they replace ``paths`` only together.

    When the block raises, or a rename fails, every temporary and every file already renamed in
    this call is removed, so a set of outputs (a Hessian and its parts) is all or nothing.

    Raises
    ------
    InputError
        When an output cannot be created or replaced (a directory in the way, no permission);
        the message names the output, never the temporary.
    """
    targets = [Path(p) for p in paths]
    tmps: list[Path] = []
    done: list[Path] = []
    try:
        for target in targets:
            if target.is_dir():
                raise InputError(f"cannot write {target}: it is a directory")
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmps.append(_create_temporary(target))
            except OSError as exc:
                raise InputError(f"cannot write {target}: {_os_problem(exc)}") from None
        yield list(tmps)
        for tmp, target in zip(tmps, targets, strict=True):
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise InputError(f"cannot write {target}: {_os_problem(exc)}") from None
            done.append(target)
    except BaseException:
        for target in done:
            with contextlib.suppress(OSError):
                target.unlink()
        raise
    finally:
        for tmp in tmps:
            with contextlib.suppress(OSError):
                tmp.unlink()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only if the block succeeds.

    The file ends up with the mode the umask gives new files; see :func:`atomic_paths`.
    """
    with atomic_paths([path]) as (tmp,):
        yield tmp


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


# ---------------------------------------------------------------------- reading inputs
def read_input_bytes(path: str | os.PathLike, what: str,
                     error: type[InputError] = InputError) -> bytes:
    """The bytes of an input file: a regular file or a readable stream (``/dev/stdin``, a pipe).

    Raises ``error`` (an :class:`InputError` subclass) in one line naming ``what`` and the path
    for a missing file, a directory, an unreadable file, or one larger than
    :data:`MAX_FILE_BYTES`.
    """
    if not str(path).strip():  # Path("") would quietly mean the current directory
        raise error(f"no {what} given (an empty file name)")
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise error(f"{what} not found: {p}") from None
    except OSError as exc:
        raise error(f"{what} {p} cannot be read: {_os_problem(exc)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{what} {p} is a directory, not a file")
    if stat.S_ISREG(st.st_mode) and st.st_size > MAX_FILE_BYTES:
        raise error(f"{what} {p} has {st.st_size} bytes, more than the limit of "
                    f"{MAX_FILE_BYTES} bytes")
    try:
        # Streams (/dev/stdin, pipes, process substitution) have no size: read one byte past the
        # limit so an endless stream is refused instead of filling the memory.
        with open(p, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise error(f"{what} {p} cannot be read: {_os_problem(exc)}") from None
    if len(data) > MAX_FILE_BYTES:
        raise error(f"{what} {p} is larger than the limit of {MAX_FILE_BYTES} bytes")
    return data


def read_input_text(path: str | os.PathLike, what: str,
                    error: type[InputError] = InputError) -> str:
    """The UTF-8 text of an input file (see :func:`read_input_bytes`)."""
    data = read_input_bytes(path, what, error)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what} {Path(path)} is not UTF-8 text (byte {exc.start + 1} is "
                    f"0x{data[exc.start]:02x})") from None


def load_json_text(text: str, source: str, error: type[InputError] = InputError) -> object:
    """Parse JSON text, refusing NaN/Infinity and documents nested too deeply to be parameters."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise error(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise error(f"{source}: JSON nested too deeply") from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):  # Python's guard on long integer literals
            raise error(f"{source}: an integer with more than {sys.get_int_max_str_digits()} "
                        "digits (write long exact numbers as 'p/q' strings of at most 4000 "
                        "characters)") from None
        raise error(f"{source}: {exc}") from None


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
    if not str(path).strip():  # Path("") would quietly mean the current directory
        raise DataError("no data file given (an empty file name)")
    p = Path(path)
    if p.suffix.lower() == ".npz":
        return _read_npz(p)
    if not exact_decimals:
        # Large decimal files: NumPy's C reader (symspline/csvfloat.py); None leaves the file,
        # and every error it does not report itself, to the general parser below.
        from .csvfloat import read_float_csv

        fast = read_float_csv(p, source=str(p), max_bytes=MAX_FILE_BYTES)
        if fast is not None:
            return fast
    text = read_input_text(p, "data file", DataError)
    return parse_csv(text, source=str(p), exact_decimals=exact_decimals)


def parse_csv(text: str, *, source: str = "<csv>", exact_decimals: bool = False,
              columns: tuple[str, ...] = ("x", "y")) -> Dataset:
    """Parse CSV text with header ``x,y`` into a :class:`Dataset`."""
    try:
        rows = [r for r in csv.reader(_io.StringIO(text)) if any(cell.strip() for cell in r)]
    except csv.Error as exc:  # a cell over csv's field size limit, a NUL byte
        raise DataError(f"{source}: not a readable CSV file ({exc})") from None
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
    raw = read_input_bytes(p, "data file", DataError)
    try:
        with np.load(_io.BytesIO(raw), allow_pickle=False) as z:
            if "x" not in z.files or "y" not in z.files:
                raise DataError(f"{p}: .npz must hold arrays 'x' and 'y', found {sorted(z.files)}")
            x, y = np.asarray(z["x"]), np.asarray(z["y"])
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        # A truncated or foreign file: np.load and zipfile raise several unrelated types.
        raise DataError(f"{p}: not a readable .npz file ({_one_line(str(exc))})") from None
    if x.dtype.kind not in "fiu" or y.dtype.kind not in "fiu":
        raise DataError(f"{p}: arrays x and y must be numeric")
    if x.ndim != 1 or y.ndim != 1:
        raise DataError(f"{p}: arrays x and y must be one-dimensional, got shapes {x.shape} "
                        f"and {y.shape}")
    return Dataset.from_arrays(x.astype(np.float64), y.astype(np.float64))


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


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
#: Optional keys of either layout: the model's activation (leaky-ReLU slope alpha, default 0).
_MODEL_KEYS = {"negative_slope"}


def read_params(path: str | os.PathLike) -> Network | Spline:
    """Read a network ``{"w","b","v","c"}`` or a spline ``{"beta","mu","s","c"}`` from JSON.

    Numbers may be JSON numbers (integers are exact, others float) or strings holding exact
    rationals (``"2/7"``) or decimals (read exactly: ``"0.1"`` is 1/10). Either layout may add
    ``"negative_slope": alpha`` with 0 <= alpha < 1, the leaky ReLU max(z, alpha z) (torch's
    ``nn.LeakyReLU``); without it the activation is the ReLU (alpha = 0). A float alpha makes
    the parameters float, an exact one (``"1/100"``, ``"0.01"``, ``0``) keeps them exact.
    """
    if not str(path).strip():
        raise ParameterError("no parameter file given (an empty file name)")
    p = Path(path)
    return parse_params(read_input_text(p, "parameter file", ParameterError), source=str(p))


def parse_params(text: str, *, source: str = "<json>") -> Network | Spline:
    """Parse the JSON text of a parameter file (see :func:`read_params`)."""
    return params_from_dict(load_json_text(text, source, ParameterError), source=source)


def params_from_dict(obj: object, *, source: str = "<dict>") -> Network | Spline:
    """Build a :class:`Network` or :class:`Spline` from a dict in the JSON layout."""
    if not isinstance(obj, dict):
        raise ParameterError(f"{source}: expected a JSON object with keys w,b,v,c or beta,mu,s,c")
    keys = set(obj)
    unknown = keys - _NETWORK_KEYS - _SPLINE_KEYS - _MODEL_KEYS
    if unknown:  # name the stray keys first: they are the likeliest mistake
        shown = ",".join(_one_line(str(k))[:40] for k in sorted(unknown, key=str)[:5])
        raise ParameterError(f"{source}: unknown keys {shown} (expected w,b,v,c or beta,mu,s,c, "
                             "and optionally negative_slope)")
    alpha = _negative_slope(obj["negative_slope"], source) if "negative_slope" in obj else 0
    keys -= _MODEL_KEYS
    if not keys:
        raise ParameterError(f"{source}: no parameters (expected keys w,b,v,c or beta,mu,s,c)")
    if keys == _NETWORK_KEYS:
        w, b, v = (_num_list(obj[k], k, source) for k in "wbv")
        return Network(w, b, v, _num(obj["c"], "c", source), negative_slope=alpha)
    if keys == _SPLINE_KEYS:
        beta, mu = _num_list(obj["beta"], "beta", source), _num_list(obj["mu"], "mu", source)
        s = obj["s"]
        if not isinstance(s, list) or not all(isinstance(si, int) and not isinstance(si, bool)
                                              for si in s):
            raise ParameterError(f"{source}: 's' must be a list of +1 and -1")
        return Spline(beta, mu, tuple(s), _num(obj["c"], "c", source), negative_slope=alpha)
    if keys <= _NETWORK_KEYS and keys - {"c"}:
        raise ParameterError(f"{source}: network needs keys w,b,v,c; missing "
                             f"{','.join(sorted(_NETWORK_KEYS - keys))}")
    if keys <= _SPLINE_KEYS and keys - {"c"}:
        raise ParameterError(f"{source}: spline needs keys beta,mu,s,c; missing "
                             f"{','.join(sorted(_SPLINE_KEYS - keys))}")
    raise ParameterError(f"{source}: keys {','.join(sorted(keys)) or '(none)'} mix the network "
                         "(w,b,v,c) and spline (beta,mu,s,c) layouts or miss some")


def params_to_dict(params: Network | Spline) -> dict:
    """The JSON layout of parameters; exact values become strings ``"p/q"``.

    ``negative_slope`` is written only for a leaky ReLU (alpha != 0), so ReLU files keep their
    four keys; an exact alpha is written as ``"p/q"`` and read back exactly.
    """
    if params.kind == "symbolic":
        raise ParameterError("symbolic parameters cannot be written to a parameter file")
    if isinstance(params, Network):
        out = {"w": _json_list(params.w), "b": _json_list(params.b), "v": _json_list(params.v),
               "c": _json_num(params.c)}
    else:
        out = {"beta": _json_list(params.beta), "mu": _json_list(params.mu),
               "s": list(params.s), "c": _json_num(params.c)}
    if params.negative_slope != 0:
        out["negative_slope"] = _json_num(params.negative_slope)
    return out


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


def _negative_slope(value: object, source: str) -> object:
    """The ``negative_slope`` entry: a number (JSON number or exact string) in [0, 1)."""
    alpha = _num(value, "negative_slope", source)
    if not 0 <= alpha < 1:
        raise ParameterError(f"{source}: negative_slope must be in [0, 1) (0 is the ReLU, the "
                             f"leaky ReLU is max(z, alpha z)), got {_one_line(str(alpha))[:40]}")
    return alpha


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
