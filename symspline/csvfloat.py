"""A C-speed reader for large float CSV data files (the float path of :func:`symspline.io.read_data`).

The general CSV parser (:func:`symspline.io.parse_csv`) reads every cell through Python's csv
module and :func:`symspline.numbers.parse_number` into Python objects, so that integers and
``p/q`` cells stay exact: about 95 s and 4.5 GB for 10^7 rows. A file whose cells are decimals
needs none of that: its data set is float anyway ("any float cell makes the data float"). This
module recognizes such files cheaply and parses them with NumPy's C text reader
(:func:`numpy.loadtxt`), which streams the file and builds float64 arrays directly: 10^7 rows in
about 4 s of CPU and 0.2 GB (benchmarks/bench_csv.py).

What it takes, and what it leaves to the general parser (returning None):

* a regular file of at least :data:`MIN_BYTES` bytes (small files keep the general parser, whose
  cost is then negligible);
* a header line naming exactly the two columns x and y (any order, any case, spaces allowed);
* no ``/`` anywhere (a ``p/q`` cell is exact: with it the general parser decides between exact and
  float data), no quote character (csv quoting rules), and at least one decimal point or
  exponent after the header (a file of integers only is exact data).

Every check of the general parser is kept: a row with the wrong number of cells, a cell that is not
a number (including ``nan``, ``inf`` and overflowing decimals, which the C reader would accept) or
an invalid UTF-8 byte gives the same one-line :class:`~symspline.errors.DataError`, naming the
line as the general parser numbers it (non-blank rows, the header being line 1). The error is
located by re-reading the file up to the row the C reader names and checking it with the general
parser's rules, so an error costs a second pass over the file but never a different message.
"""

from __future__ import annotations

import csv
import mmap
import os
import re
import stat
from pathlib import Path

import numpy as np

from .data import Dataset
from .errors import DataError, ParseError
from .numbers import parse_number

#: Smaller files keep the general parser (measured: it reads 10^4 rows in about 0.1 s).
MIN_BYTES = 1 << 20
#: Rows re-checked on either side of the row the C reader names when it fails.
WINDOW = 3

_ROW_CONVERT = re.compile(r"at row (\d+), column")
_ROW_COLUMNS = re.compile(r"columns changed from \d+ to \d+ at row (\d+)")


def read_float_csv(path: str | os.PathLike, *, source: str | None = None,
                   min_bytes: int | None = None, max_bytes: int | None = None) -> Dataset | None:
    """The float :class:`Dataset` of a large decimal CSV file, or None to use the general parser.

    Parameters
    ----------
    path : path-like
        The CSV file.
    source : str, optional
        How errors name the file (default: the path).
    min_bytes : int, optional
        Files smaller than this are left to the general parser (default :data:`MIN_BYTES`).
    max_bytes : int, optional
        Files larger than this are left to the general parser (which refuses them).

    Raises
    ------
    DataError
        For a malformed row or a cell that is not a number, with the message of the general
        parser, and for data that :class:`Dataset` refuses (duplicates, ...).
    """
    p = Path(path)
    src = str(p) if source is None else source
    try:
        st = p.stat()
    except OSError:
        return None
    if min_bytes is None:
        min_bytes = MIN_BYTES
    if not stat.S_ISREG(st.st_mode) or st.st_size < max(min_bytes, 1):
        return None
    if max_bytes is not None and st.st_size > max_bytes:
        return None
    with open(p, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        start = _header_end(mm)
        if start is None:
            return None
        header = mm[:start].decode("utf-8", errors="replace").strip().lower()
        names = [h.strip() for h in header.split(",")]
        if sorted(names) != ["x", "y"]:
            return None
        # One C-level scan each (memchr-like): exact cells and quoting go to the general parser.
        if mm.find(b"/", start) != -1 or mm.find(b'"', start) != -1:
            return None
        if mm.find(b".", start) == -1 and mm.find(b"e", start) == -1 \
                and mm.find(b"E", start) == -1:
            return None  # integers only: exact data
    skip = _count_lines(p, start)
    try:
        arr = np.loadtxt(p, delimiter=",", comments=None, dtype=np.float64, skiprows=skip,
                         ndmin=2, encoding="utf-8")
    except UnicodeDecodeError:
        return None  # the general parser names the byte
    except ValueError as exc:
        _raise_located(p, src, skip, _failed_row(str(exc)))
        return None  # not located: the general parser will find and report it
    if arr.shape[0] == 0:
        return None  # no rows: the general parser's message
    if arr.shape[1] != 2:
        return None
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        _raise_located(p, src, skip, int(np.flatnonzero(~finite)[0]))
        return None
    if names[0] == "x":
        x, y = arr[:, 0], arr[:, 1]
    else:
        x, y = arr[:, 1], arr[:, 0]
    return Dataset.from_arrays(x, y)


def _header_end(mm: mmap.mmap) -> int | None:
    """Offset just past the header line (the first non-blank line), or None."""
    pos = 0
    size = len(mm)
    while pos < size:
        end = mm.find(b"\n", pos)
        if end == -1:
            return None  # a header and no rows
        if mm[pos:end].strip():
            return end + 1
        pos = end + 1
    return None


def _count_lines(p: Path, offset: int) -> int:
    """Number of physical lines before byte ``offset`` (the rows loadtxt must skip)."""
    with open(p, "rb") as fh:
        return fh.read(offset).count(b"\n")


def _failed_row(message: str) -> int | None:
    """The 0-based data row named by a loadtxt error message, if it names one."""
    m = _ROW_CONVERT.search(message)
    if m:
        return int(m.group(1))
    m = _ROW_COLUMNS.search(message)
    if m:
        return max(int(m.group(1)) - 1, 0)
    return None


def _raise_located(p: Path, source: str, skip: int, row: int | None) -> None:
    """Raise the general parser's DataError for the first bad row near ``row``.

    Data rows are counted as loadtxt counts them (non-empty lines after the header); rows within
    :data:`WINDOW` of ``row`` are checked with the general parser's rules, then, if none is bad
    (an unknown message format), every row from the start. Returns only if no row is bad.
    """
    first = 0 if row is None else max(row - WINDOW, 0)
    for lo in ([first, 0] if first > 0 else [0]):
        with open(p, "rb") as fh:
            for _ in range(skip):
                fh.readline()
            lineno = 1  # the general parser numbers non-blank rows, the header being 1
            data_row = -1
            for raw in fh:
                if raw.strip():
                    data_row += 1
                if data_row < lo:
                    if raw.strip():
                        lineno += 1
                    continue
                if row is not None and lo == first and data_row > row + WINDOW:
                    break
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    return  # the general parser reports the byte
                try:
                    cells = next(csv.reader([line]), [])
                except csv.Error:
                    return
                if not any(c.strip() for c in cells):
                    continue
                lineno += 1
                if len(cells) != 2:
                    raise DataError(f"{source}: line {lineno} has {len(cells)} cells, expected 2")
                try:
                    for cell in cells:
                        value = parse_number(cell)
                        if isinstance(value, float) and not np.isfinite(value):
                            raise ParseError(f"number {cell.strip()!r} is not finite")
                except ParseError as exc:
                    raise DataError(f"{source}: line {lineno}: {exc}") from None
