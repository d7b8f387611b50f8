"""Kernels in spline coordinates theta = (beta_1..beta_H, mu_1..mu_H, c), orientations s fixed.

On a pattern f(x) = c + sum_{i : n in A_i} mu_i s_i (x - beta_i) (docs/theory.md §2.1). With m_i = s_i mu_i
and x' = x - t, beta'_i = beta_i - t (so that x - beta_i = x' - beta'_i):

* J columns: df/dbeta_i = -m_i 1_{A_i}, df/dmu_i = s_i (x - beta_i) 1_{A_i}, df/dc = 1;
* R = sum_n r_n Hess f(x_n) has only R[mu_i, beta_i] = rho_i = -s_i sum_{A_i} r_n (theory §3.1);
* J^T J[beta_i, beta_j] = m_i m_j |A_i cap A_j|,
  J^T J[beta_i, mu_j] = -m_i s_j sum_{A_i cap A_j} (x - beta_j),
  J^T J[mu_i, mu_j] = s_i s_j sum_{A_i cap A_j} (x - beta_i)(x - beta_j),
  J^T J[c, beta_i] = -m_i |A_i|, J^T J[c, mu_i] = s_i sum_{A_i} (x - beta_i), J^T J[c, c] = N.

With the leaky ReLU every 1_{A_i} is the gain g_i (1 on A_i, alpha off it) and every sum over A_i
(cap A_j) the gained one; the layout and :meth:`~symspline.kernels.base.Kernel.gauss_newton`
transform the sums, so nothing here changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..params import Spline
from .base import Kernel
from .sweep import Layout


@dataclass(frozen=True, eq=False, kw_only=True)
class SplineKernel(Kernel):
    """Float64 spline (beta, mu, s, c) on the pattern described by ``layout``."""

    beta: np.ndarray
    mu: np.ndarray
    s: np.ndarray

    @classmethod
    def of(cls, layout: Layout, params: Spline) -> SplineKernel:
        """The kernel of float ``params`` on ``layout`` (orientations from the pattern)."""
        s = layout.pattern.s_array.astype(np.float64)
        return cls(layout, float(params.c), beta=params.beta, mu=params.mu, s=s)

    @property
    def size(self) -> int:
        return 2 * self.layout.H + 1

    @cached_property
    def m(self) -> np.ndarray:
        """Signed delta-slopes m_i = s_i mu_i."""
        return self.s * self.mu

    @cached_property
    def bp(self) -> np.ndarray:
        """Shifted breakpoints beta'_i = beta_i - t."""
        return self.beta - self.layout.t

    def lines(self) -> tuple[np.ndarray, np.ndarray]:
        return self.m, -self.m * self.bp

    def _split(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        H = self.layout.H
        return d[:H], d[H:2 * H], float(d[2 * H])

    def tangent(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        dbeta, dmu, dc = self._split(d)
        # d[mu s (x' - beta')] = s dmu (x' - beta') - m dbeta
        return self.s * dmu, -self.s * self.bp * dmu - self.m * dbeta, dc

    def jt(self, u0: np.ndarray, u1: np.ndarray, total: float) -> np.ndarray:
        return np.concatenate([-self.m * u0, self.s * (u1 - self.bp * u0), [total]])

    def rv(self, d: np.ndarray) -> np.ndarray:
        dbeta, dmu, _ = self._split(d)
        rho = -self.s * self.residual_sums[0]
        return np.concatenate([rho * dmu, rho * dbeta, [0.0]])

    def residual_part(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        H, n = self.layout.H, self.layout.n
        rho = -self.s * self.residual_sums[0]
        i = np.arange(H)
        return i, H + i, rho / n

    def fill_rows(self, out: np.ndarray, rows: slice, s0: np.ndarray, s1s: np.ndarray,
                  s2s: np.ndarray, scratch: dict[str, np.ndarray]) -> None:
        H = self.layout.H
        m, s, bp = self.m, self.s, self.bp
        br = slice(rows.start, rows.stop)
        mr = slice(H + rows.start, H + rows.stop)
        Bc, Mc = slice(0, H), slice(H, 2 * H)
        tmp, z = scratch["a"], scratch["b"]
        np.multiply(m[rows, None], m[None, :], out=tmp)
        np.multiply(s0, tmp, out=out[br, Bc])
        # z[i, j] = sum_{A_i cap A_j} (x' - beta'_j)
        np.multiply(s0, bp[None, :], out=z)
        np.subtract(s1s, z, out=z)
        bm = out[br, Mc]
        np.multiply(m[rows, None], s[None, :], out=tmp)
        np.negative(tmp, out=tmp)
        np.multiply(tmp, z, out=bm)
        out[Mc, br] = bm.T
        # sum (x' - beta'_i)(x' - beta'_j) = [S2' - beta'_j S1'] - beta'_i z[i, j], times s_i s_j
        mm = out[mr, Mc]
        np.multiply(s1s, bp[None, :], out=mm)
        np.subtract(s2s, mm, out=mm)
        z *= bp[rows, None]
        mm -= z
        np.multiply(s[rows, None], s[None, :], out=tmp)
        mm *= tmp

    def fill_c(self, out: np.ndarray, d0: np.ndarray, d1s: np.ndarray, d2s: np.ndarray) -> None:
        col = np.concatenate([-self.m * d0, self.s * (d1s - self.bp * d0), [1.0]])
        out[-1, :] = col
        out[:, -1] = col
