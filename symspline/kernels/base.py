"""What both parameterizations share: residuals by the sweep, J^T u, J v and the Hessian driver.

On a fixed activation pattern f(x_n) = c + sum_i gain_i(n) (a_i x'_n + g_i) with a per-unit slope
a_i and intercept g_i (in shifted coordinates x' = x - t), gain_i = 1 on the active set A_i and
alpha (the leaky slope, 0 for the ReLU) off it. Every directional derivative of f is of
the same form, a "tangent" (da_i, dg_i, dc). Residuals, Jacobian-vector products J d and
transposed products J^T u therefore reduce to sums over the O(H) segments of
:class:`~symspline.kernels.sweep.Layout`, after one O(N) pass over the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .sweep import Layout

#: Rows of the unit-unit blocks built at once: small enough that the H x H temporaries of one
#: chunk stay in cache (64 rows x 1000 units x 8 bytes = 512 kB).
ROW_CHUNK = 64
#: Names of the (ROW_CHUNK, H) scratch arrays handed to :meth:`Kernel.fill_rows`.
SCRATCH = ("s0", "s1", "s2", "tmp", "a", "b", "c", "d")


@dataclass(frozen=True, eq=False)
class Kernel:
    """A float64 problem on one activation pattern: parameters, layout and residual sums.

    Subclasses define the per-unit lines of f (:meth:`lines`), of a tangent (:meth:`tangent`),
    the transposed Jacobian product (:meth:`jt`), the residual-curvature product (:meth:`rv`),
    and the blocks of the Hessian (:meth:`fill_rows`, :meth:`fill_c`, :meth:`residual_part`).
    """

    layout: Layout
    c: float

    # ------------------------------------------------------------------ to be specialized
    @property
    def size(self) -> int:
        """Number of parameters P."""
        raise NotImplementedError

    def lines(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-unit slope and intercept of f in x' (shape (H,) each)."""
        raise NotImplementedError

    def tangent(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Per-unit slope and intercept of J d (the derivative of f along d), and its constant."""
        raise NotImplementedError

    def jt(self, u0: np.ndarray, u1: np.ndarray, total: float) -> np.ndarray:
        """J^T u from the per-unit sums u0_i = sum_{A_i} u_n, u1_i = sum_{A_i} u_n x'_n."""
        raise NotImplementedError

    def rv(self, d: np.ndarray) -> np.ndarray:
        """R d with R = sum_n r_n Hess f(x_n) (not divided by N)."""
        raise NotImplementedError

    def fill_rows(self, out: np.ndarray, rows: slice, s0: np.ndarray, s1: np.ndarray,
                  s2: np.ndarray, scratch: dict[str, np.ndarray]) -> None:
        """Write the unit-unit Gauss-Newton blocks for unit rows ``rows`` into ``out``.

        ``s_q[a, j]`` is sum over A_i cap A_j of x'^q / N for i = rows.start + a; ``scratch``
        holds free arrays "a", "b", "c", "d" of the same shape.
        """
        raise NotImplementedError

    def fill_c(self, out: np.ndarray, d0: np.ndarray, d1: np.ndarray, d2: np.ndarray) -> None:
        """Write the row and column of c, from diagonals d_q[i] = sum_{A_i} x'^q / N."""
        raise NotImplementedError

    def residual_part(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Non-zero entries (rows, cols, values) of R/N, upper triangle only."""
        raise NotImplementedError

    # ------------------------------------------------------------------ residuals
    @cached_property
    def residuals(self) -> np.ndarray:
        """r_n = f(x_n) - y_n by the sweep: per-segment slope and intercept, then one pass."""
        lay = self.layout
        a, g = self.lines()
        seg_a = lay.segment_totals(a)
        seg_g = lay.segment_totals(g) + self.c
        r = lay.expand(seg_a)
        r *= lay.xs
        r += lay.expand(seg_g)
        r -= lay.y
        r.setflags(write=False)
        return r

    @cached_property
    def residual_sums(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(sum_{A_i} r_n, sum_{A_i} r_n x'_n for every unit, sum_n r_n)."""
        lay = self.layout
        r = self.residuals
        seg0 = lay.segment_sums(r)
        seg1 = lay.segment_sums(r * lay.xs)
        return lay.active_sums(seg0), lay.active_sums(seg1), float(seg0.sum())

    @property
    def loss(self) -> float:
        """L = r.r / (2N)."""
        # Pairwise summation, not BLAS ddot: as accurate or better, and a threaded ddot on a
        # freshly written vector was measured 20x slower on a loaded 2-core machine.
        return float(np.sum(np.square(self.residuals))) / (2 * self.layout.n)

    # ------------------------------------------------------------------ first order
    def gradient(self) -> np.ndarray:
        """grad L = J^T r / N (docs/theory.md §2.2)."""
        r0, r1, total = self.residual_sums
        # + 0.0 turns the -0.0 of dead units (-m_i * 0) into +0.0 for clean output
        return self.jt(r0, r1, total) / self.layout.n + 0.0

    # ------------------------------------------------------------------ second order
    def jtj_vector(self, d: np.ndarray) -> np.ndarray:
        """J^T J d in O(H): J d is piecewise linear on the segments, so its moments are exact
        combinations of the segment moments of the data."""
        lay = self.layout
        da, dg, dc = self.tangent(d)
        alpha = lay.segment_totals(da)
        gamma = lay.segment_totals(dg) + dc
        u0 = alpha * lay.m1 + gamma * lay.m0  # sum over a segment of (J d)_n
        u1 = alpha * lay.m2 + gamma * lay.m1  # sum over a segment of (J d)_n x'_n
        return self.jt(lay.active_sums(u0), lay.active_sums(u1), float(u0.sum()))

    def hvp(self, d: np.ndarray) -> np.ndarray:
        """Hess L d = (J^T J d + R d) / N (theory §3.1)."""
        return (self.jtj_vector(d) + self.rv(d)) / self.layout.n + 0.0

    def gauss_newton(self) -> np.ndarray:
        """J^T J / N as a dense (P, P) array, O(N + H^2) time, O(N + H^2) memory.

        Unit i is active on the interval [lo_i, hi_i) of samples, so the Gauss-Newton entries of
        units i, j are sums over the intersection [max(lo), min(hi)) of 1, x', x'^2 times parameter
        factors. With prefix moments Q_q (monotone because x' >= 0) that sum is
        max(0, min(Q_q[hi_i], Q_q[hi_j]) - max(Q_q[lo_i], Q_q[lo_j])): no gather per entry.
        With the leaky gain alpha every such sum S_ij becomes (1-alpha)^2 S_ij
        + alpha(1-alpha)(S_ii + S_jj) + alpha^2 S_all (:meth:`Layout.gain`) before the
        parameterization's :meth:`fill_rows` combines them, and the diagonals handed to
        :meth:`fill_c` become (1-alpha) S_ii + alpha S_all.
        """
        lay = self.layout
        m = lay.m
        lo = np.where(lay.suffix, lay.rank, 0)
        hi = np.where(lay.suffix, m, lay.rank)
        scale = 1.0 / lay.n
        q, totals = [], []
        for seg in (lay.m0, lay.m1, lay.m2):
            p = lay.prefix(seg) * scale
            q.append((p[lo], p[hi]))
            totals.append(float(p[-1]))  # sum over all samples, for the leaky gains
        H = lay.H
        out = np.empty((self.size, self.size))
        diag = [qhi - qlo for qlo, qhi in q]  # sum over A_i itself (min/max of equal arguments)
        # Leaky gains (alpha > 0): every block sum is transformed by Layout.gain before the
        # specialised fill, with D_i = diag and T the sum over all samples.
        leaky = bool(lay.alpha)
        offsets = ([lay.gain_offsets(d, tot) for d, tot in zip(diag, totals, strict=True)]
                   if leaky else [])
        # Scratch rows reused by every chunk: fresh temporaries would each cost page faults.
        scratch = {name: np.empty((min(ROW_CHUNK, H), H)) for name in SCRATCH}
        for start in range(0, H, ROW_CHUNK):
            rows = slice(start, min(start + ROW_CHUNK, H))
            n = rows.stop - rows.start
            tmp = scratch["tmp"][:n]
            blocks = []
            for j, (name, (qlo, qhi)) in enumerate(zip(("s0", "s1", "s2"), q, strict=True)):
                s = scratch[name][:n]
                np.minimum(qhi[rows, None], qhi[None, :], out=s)
                np.maximum(qlo[rows, None], qlo[None, :], out=tmp)
                s -= tmp
                np.maximum(s, 0.0, out=s)
                if leaky:
                    lay.gain(s, offsets[j][rows, None], offsets[j][None, :], tmp)
                blocks.append(s)
            self.fill_rows(out, rows, *blocks, {k: v[:n] for k, v in scratch.items()})
        if leaky:
            diag = [lay.gained(d, tot) for d, tot in zip(diag, totals, strict=True)]
        self.fill_c(out, *diag)
        return out

    def hessian(self, parts: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Hess L = J^T J / N + R / N, or (hessian, gauss_newton, residual) with ``parts``."""
        gn = self.gauss_newton()
        rows, cols, vals = self.residual_part()
        if not parts:
            # R only touches O(H) entries: add them in place instead of a dense sum.
            np.add.at(gn, (rows, cols), vals)
            np.add.at(gn, (cols, rows), vals)
            return gn
        res = np.zeros_like(gn)
        np.add.at(res, (rows, cols), vals)
        np.add.at(res, (cols, rows), vals)
        return gn + res, gn, res
