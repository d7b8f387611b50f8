"""Kernels in network coordinates theta = (w_1..w_H, b_1..b_H, v_1..v_H, c).

On a pattern f(x) = c + sum_{i : n in A_i} v_i (w_i x + b_i), so with x' = x - t and b'_i = b_i + w_i t

* J columns: df/dw_i = v_i x 1_{A_i}, df/db_i = v_i 1_{A_i}, df/dv_i = (w_i x' + b'_i) 1_{A_i}, df/dc = 1;
* Hess f(x_n) has only d2f/dw_i dv_i = x_n 1_{A_i} and d2f/db_i dv_i = 1_{A_i}, hence
  R[w_i, v_i] = sum_{A_i} r_n x_n and R[b_i, v_i] = sum_{A_i} r_n, every other entry of R is 0;
* with S_q[i, j] = sum_{A_i cap A_j} x^q (raw x) and S'_q the same in x', the Gauss-Newton blocks are
  J^T J[w_i, w_j] = v_i v_j S_2, [w_i, b_j] = v_i v_j S_1, [b_i, b_j] = v_i v_j S_0,
  [w_i, v_j] = v_i sum x (w_j x + b_j), [b_i, v_j] = v_i sum (w_j x + b_j),
  [v_i, v_j] = sum (w_i x + b_i)(w_j x + b_j)   (sums over A_i cap A_j),
  [c, w_i] = v_i sum_{A_i} x, [c, b_i] = v_i |A_i|, [c, v_i] = sum_{A_i} (w_i x + b_i), [c, c] = N.

f is bilinear in v and (w, b) on a pattern, which is why R has the two off-diagonal families above.
With the leaky ReLU every 1_{A_i} above is the gain g_i (1 on A_i, alpha off it) and every sum over
A_i cap A_j is the gained one: :class:`~symspline.kernels.sweep.Layout` and
:meth:`~symspline.kernels.base.Kernel.gauss_newton` transform the sums, this module is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..params import Network
from .base import Kernel
from .sweep import Layout


@dataclass(frozen=True, eq=False, kw_only=True)
class NetworkKernel(Kernel):
    """Float64 network (w, b, v, c) on the pattern described by ``layout``."""

    w: np.ndarray
    b: np.ndarray
    v: np.ndarray

    @classmethod
    def of(cls, layout: Layout, params: Network) -> NetworkKernel:
        """The kernel of float ``params`` on ``layout`` (the leaky gain lives in the layout)."""
        return cls(layout, float(params.c), w=params.w, b=params.b, v=params.v)

    @property
    def size(self) -> int:
        return 3 * self.layout.H + 1

    @cached_property
    def bs(self) -> np.ndarray:
        """Shifted biases b'_i = b_i + w_i t, so that w_i x + b_i = w_i x' + b'_i."""
        return self.b + self.w * self.layout.t

    def lines(self) -> tuple[np.ndarray, np.ndarray]:
        return self.v * self.w, self.v * self.bs

    def _split(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        H = self.layout.H
        return d[:H], d[H:2 * H], d[2 * H:3 * H], float(d[3 * H])

    def tangent(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        dw, db, dv, dc = self._split(d)
        t = self.layout.t
        # d[v (w x' + b')] = dv (w x' + b') + v (dw x' + db + t dw)
        return self.v * dw + self.w * dv, self.v * (db + t * dw) + self.bs * dv, dc

    def jt(self, u0: np.ndarray, u1: np.ndarray, total: float) -> np.ndarray:
        t = self.layout.t
        return np.concatenate([self.v * (u1 + t * u0), self.v * u0,
                               self.w * u1 + self.bs * u0, [total]])

    def rv(self, d: np.ndarray) -> np.ndarray:
        dw, db, dv, _ = self._split(d)
        r0, r1, _ = self.residual_sums
        rx = r1 + self.layout.t * r0  # sum_{A_i} r_n x_n
        return np.concatenate([rx * dv, r0 * dv, rx * dw + r0 * db, [0.0]])

    def residual_part(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        H, n = self.layout.H, self.layout.n
        r0, r1, _ = self.residual_sums
        rx = r1 + self.layout.t * r0
        i = np.arange(H)
        rows = np.concatenate([i, H + i])
        cols = np.concatenate([2 * H + i, 2 * H + i])
        return rows, cols, np.concatenate([rx, r0]) / n

    def fill_rows(self, out: np.ndarray, rows: slice, s0: np.ndarray, s1s: np.ndarray,
                  s2s: np.ndarray, scratch: dict[str, np.ndarray]) -> None:
        H, t = self.layout.H, self.layout.t
        w, v, bs = self.w, self.v, self.bs
        wr = slice(rows.start, rows.stop)
        br = slice(H + rows.start, H + rows.stop)
        vr = slice(2 * H + rows.start, 2 * H + rows.stop)
        W, B, V = slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)
        vi = v[rows, None]
        tmp, y, xs = scratch["a"], scratch["b"], scratch["c"]
        if t != 0.0:
            s1 = scratch["d"]  # raw sum x = sum x' + t |A_i cap A_j|
            np.multiply(s0, t, out=s1)
            s1 += s1s
            # raw sum x^2 = sum x'^2 + t (sum x' + sum x): built in y before y is needed
            np.add(s1s, s1, out=y)
            y *= t
            y += s2s
            s2 = y
        else:
            s1, s2 = s1s, s2s
        np.multiply(vi, v[None, :], out=tmp)  # v_i v_j
        np.multiply(s2, tmp, out=out[wr, W])
        np.multiply(s1, tmp, out=out[wr, B])
        out[br, W] = out[wr, B]  # v_i v_j S_1 is symmetric in (i, j)
        np.multiply(s0, tmp, out=out[br, B])
        # y[i, j] = sum (w_j x + b_j), xs[i, j] = sum x' (w_j x + b_j) over A_i cap A_j.
        np.multiply(s1s, w[None, :], out=y)
        np.multiply(s0, bs[None, :], out=tmp)
        y += tmp
        np.multiply(s2s, w[None, :], out=xs)
        np.multiply(s1s, bs[None, :], out=tmp)
        xs += tmp
        # sum x (w_j x + b_j) = xs + t y, times v_i
        if t != 0.0:
            np.multiply(y, t, out=tmp)
            tmp += xs
            np.multiply(vi, tmp, out=out[wr, V])
        else:
            np.multiply(vi, xs, out=out[wr, V])
        np.multiply(vi, y, out=out[br, V])
        # sum (w_i x + b_i)(w_j x + b_j) = w_i xs[i, j] + b'_i y[i, j]
        vv = out[vr, V]
        np.multiply(w[rows, None], xs, out=vv)
        y *= bs[rows, None]
        vv += y
        out[V, wr] = out[wr, V].T
        out[V, br] = out[br, V].T

    def fill_c(self, out: np.ndarray, d0: np.ndarray, d1s: np.ndarray, d2s: np.ndarray) -> None:
        t = self.layout.t
        col = np.concatenate([self.v * (d1s + t * d0), self.v * d0, self.w * d1s + self.bs * d0,
                              [1.0]])
        out[-1, :] = col
        out[:, -1] = col
