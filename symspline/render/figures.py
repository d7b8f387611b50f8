"""Figures whose files do not follow the last bits of the plotted numbers.

The same derivation run on two machines computes the same data up to the last bits (NumPy picks
SIMD loops for sums and for exp/log/sin by CPU, BLAS and LAPACK differ). A PNG rarely shows
that (Agg places vertices to 1/256 pixel), but a PDF writes every coordinate with ten decimals of
a point, and the axis limits (hence every coordinate and tick) come from the data's extremes.
:func:`settle` rounds what a figure draws -- line and marker data, polygon vertices, bars and the
view limits -- to :data:`DIGITS` significant digits before it is saved: a perturbation of a few
ulps changes the file only when a value lies within it of a rounding boundary (about 1 in 10^8
values), and nothing drawn moves by more than 5e-8 of its own size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Significant digits kept of every drawn number: a change of 1e-8 of a value is far below a
#: pixel, and far above the last bits (1e-16) and what a different summation order or SIMD
#: transcendental makes of them after a computation (measured: a PDF as drawn changes with
#: relative perturbations of 1e-12 of the data; settled to 8 digits, not with 1e-12 or 1e-11).
DIGITS = 8


def significant(values: Any, digits: int = DIGITS) -> np.ndarray:
    """``values`` rounded to ``digits`` significant digits each (zeros, inf and NaN kept).

    Parameters
    ----------
    values
        Array-like of floats.
    digits
        Significant digits kept.

    Returns
    -------
    numpy.ndarray
        A float64 array of the same shape.
    """
    a = np.array(values, dtype=np.float64)
    ok = np.isfinite(a) & (a != 0.0)
    if ok.any():
        v = a[ok]
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            scale = 10.0 ** (digits - 1 - np.floor(np.log10(np.abs(v))))
            r = np.round(v * scale) / scale
        a[ok] = np.where(np.isfinite(r) & (r != 0.0), r, v)  # (scale out of range: kept)
    return a


def settle(fig: Any, digits: int = DIGITS) -> None:
    """Round every number a Matplotlib figure draws to ``digits`` significant digits, in place.

    Lines, marker and scatter offsets, polygon vertices (``fill_between``, patches of bars and
    histograms) and the view limits of every axes (fixed at the rounded autoscaled values).
    Call it after drawing and before saving.

    Parameters
    ----------
    fig
        A ``matplotlib.figure.Figure``.
    digits
        Significant digits kept.
    """
    # deferred: Matplotlib loads only when something is drawn
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    for ax in fig.axes:
        # the limits first: reading them autoscales from the data as drawn
        xlim, ylim = ax.get_xlim(), ax.get_ylim()
        for art in ax.get_children():
            if isinstance(art, Line2D):
                x, y = art.get_data(orig=True)
                if np.ma.isMaskedArray(x) or np.ma.isMaskedArray(y):
                    continue  # (masks would be lost; none of ours are masked)
                if np.asarray(x).dtype.kind in "fiu" and np.asarray(y).dtype.kind in "fiu":
                    art.set_data(significant(x, digits), significant(y, digits))
            elif isinstance(art, Collection):
                offs = art.get_offsets()
                if np.size(offs):
                    art.set_offsets(significant(offs, digits))
                for path in art.get_paths():
                    if not path.readonly and path.vertices.size:
                        path.vertices = significant(path.vertices, digits)
            elif isinstance(art, Rectangle) and art is not ax.patch:
                x0, y0 = significant([art.get_x(), art.get_y()], digits)
                art.set_xy((x0, y0))
                art.set_width(float(significant(art.get_width(), digits)))
                art.set_height(float(significant(art.get_height(), digits)))
        ax.set_xlim(*significant(xlim, digits))
        ax.set_ylim(*significant(ylim, digits))
