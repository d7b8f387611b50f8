"""Per-sample gradient matrix G (rows r_n grad_theta f(x_n)) and its singular spectra by group of samples.

On the pattern of theta every Jacobian column is g_u(n) (p_a + q_a x_n) (symspline.calculus
.columns), with the gain g_u = 1 on the active set A_u and alpha off it (the leaky ReLU's
negative_slope; 0 for the ReLU), so G_{n,a} = r_n g_u(n) (p_a + q_a x_n) in closed form: exact for
exact input.
Identities used as checks: sum_n G_{n,.} = N grad L, and sum over a partition of the samples of
G_g^T G_g = G^T G (so the squared singular values of all groups add up to ||G||_F^2).
A group is a set of samples: an interval of x (``groups_by_edges``) or a label from a third CSV
column ``label`` (``read_labels``). ``spectra_along`` follows the spectra along a trajectory given
as a list of Network / Spline snapshots (e.g. from :mod:`symspline.flow`).
"""

from __future__ import annotations

import csv
import io as _io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

from .calculus import columns
from .data import Dataset
from .errors import DataError, InputError, ParameterError, ParseError
from .numbers import combine_kinds, parse_number
from .params import Network, Spline
from .regions import locate


def jacobian(params: Network | Spline, data: Dataset, *, side: str | None = None) -> object:
    """J_{n,a} = d f(x_n) / d theta_a on the pattern of ``params`` (float array or exact Matrix).

    J_{n,a} = g(n) (p_a + q_a x_n) with the column's gain g = 1 on its active interval and
    ``Column.alpha`` off it (the leaky slope alpha; 0 for the ReLU and for c).

    Raises
    ------
    KinkError
        If a breakpoint lies on a sample and ``side`` is None.
    """
    if params.kind == "symbolic" or data.kind == "symbolic":
        raise ParameterError("the per-sample gradient matrix needs numeric parameters and data")
    exact = combine_kinds([params.kind, data.kind]) == "exact"
    if not exact:
        params = params.as_float() if params.kind != "float" else params
        data = data.as_float()
    pattern = locate(params, data, side=side)
    cols = columns(pattern, params)
    N, P = data.n, len(cols)
    if exact:
        def entry(n: int, a: int) -> object:
            col = cols[a]
            line = col.p + col.q * data.x[n]
            return line if col.lo <= n < col.hi else col.alpha * line

        return sp.Matrix(N, P, entry)
    J = np.empty((N, P))
    x = data.x
    for a, col in enumerate(cols):
        line = float(col.p) + float(col.q) * x
        alpha = float(col.alpha)
        J[:, a] = alpha * line  # off the active set: the leaky gain (0 for the ReLU)
        J[col.lo:col.hi, a] = line[col.lo:col.hi]
    return J


def gradient_matrix(params: Network | Spline, data: Dataset, *, side: str | None = None) -> object:
    """G = diag(r) J, rows r_n grad_theta f(x_n) (docs/theory.md §7.2); its column sums are N grad L."""
    J = jacobian(params, data, side=side)
    r = params(data.x)
    if isinstance(J, sp.MatrixBase):
        rr = [sp.radsimp(sp.expand(ri - yi)) for ri, yi in zip(r, data.y, strict=True)]
        return sp.diag(*rr) * J
    rf = np.asarray(r, dtype=np.float64) - np.asarray(data.y, dtype=np.float64)
    return rf[:, None] * J


@dataclass(frozen=True)
class Group:
    """A named set of samples (0-based indices in the sorted order of x)."""

    name: str
    index: tuple[int, ...]


def groups_by_edges(data: Dataset, edges: Sequence[float]) -> list[Group]:
    """Groups x < e_1, e_1 <= x < e_2, ..., x >= e_m (empty groups are kept, with no samples)."""
    e = sorted(float(v) for v in edges)
    x = np.asarray(data.as_float().x)
    bounds = [-np.inf, *e, np.inf]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        idx = tuple(int(i) for i in np.flatnonzero((x >= lo) & (x < hi)))
        name = (f"x < {hi:g}" if lo == -np.inf else f"x >= {lo:g}" if hi == np.inf
                else f"{lo:g} <= x < {hi:g}")
        out.append(Group(name, idx))
    return out


def groups_by_labels(labels: Sequence[str]) -> list[Group]:
    """One group per distinct label (in order of first appearance along sorted x)."""
    order: dict[str, list[int]] = {}
    for n, lab in enumerate(labels):
        order.setdefault(str(lab), []).append(n)
    return [Group(k, tuple(v)) for k, v in order.items()]


def read_labels(path: str | os.PathLike) -> list[str]:
    """The ``label`` column of a CSV with header x,y,label, in the sorted order of x."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"data file not found: {p}")
    rows = [r for r in csv.reader(_io.StringIO(p.read_text(encoding="utf-8")))
            if any(c.strip() for c in r)]
    if not rows:
        raise DataError(f"{p}: empty file")
    header = [h.strip().lower() for h in rows[0]]
    if "label" not in header or "x" not in header:
        raise DataError(f"{p}: grouping by label needs a header with columns x,y,label")
    ix, il = header.index("x"), header.index("label")
    pairs = []
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(f"{p}: line {lineno} has {len(row)} cells, expected {len(header)}")
        try:
            xv = float(parse_number(row[ix], exact_decimals=True))
        except ParseError as exc:
            raise DataError(f"{p}: line {lineno}: {exc}") from None
        pairs.append((xv, row[il].strip()))
    pairs.sort(key=lambda t: t[0])
    return [lab for _, lab in pairs]


def group_spectra(params: Network | Spline, data: Dataset, groups: Sequence[Group], *,
                  side: str | None = None) -> dict[str, np.ndarray]:
    """Singular values (descending, float64) of the rows of G in each group."""
    if not groups:
        raise InputError("give at least one group of samples")
    G = gradient_matrix(params, data, side=side)
    Gf = np.array(G.evalf(17).tolist(), dtype=np.float64) if isinstance(G, sp.MatrixBase) else G
    out = {}
    for g in groups:
        rows = Gf[list(g.index)]
        out[g.name] = (np.linalg.svd(rows, compute_uv=False) if rows.shape[0]
                       else np.zeros(0))
    return out


@dataclass(frozen=True, eq=False)
class SpectraTrajectory:
    """Singular values per group along snapshots: ``values[name]`` has shape (T, k_group)."""

    times: np.ndarray
    values: Mapping[str, np.ndarray]
    losses: np.ndarray


def spectra_along(snapshots: Sequence[Network | Spline], data: Dataset, groups: Sequence[Group],
                  times: Sequence[float] | None = None) -> SpectraTrajectory:
    """Group spectra at every snapshot (kinks take the left pattern: G is then one-sided)."""
    from .kernels import loss as kloss

    if not snapshots:
        raise InputError("the trajectory has no snapshots")
    ts = np.arange(len(snapshots), dtype=np.float64) if times is None else \
        np.asarray(times, dtype=np.float64)
    if ts.shape != (len(snapshots),):
        raise InputError(f"{len(snapshots)} snapshots but {ts.size} times")
    rows: dict[str, list[np.ndarray]] = {g.name: [] for g in groups}
    losses = []
    for snap in snapshots:
        sv = group_spectra(snap, data, groups, side="left")
        for k, v in sv.items():
            rows[k].append(v)
        losses.append(kloss(snap, data))
    vals = {}
    for k, lst in rows.items():
        width = max((len(v) for v in lst), default=0)
        arr = np.zeros((len(lst), width))
        for t, v in enumerate(lst):
            arr[t, :len(v)] = v
        vals[k] = arr
    return SpectraTrajectory(ts, vals, np.asarray(losses))
