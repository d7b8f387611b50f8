"""Spectral density of the exact Hessian by stochastic Lanczos quadrature (SLQ) over exact HVPs.

PyHessian estimates the eigenvalue density of a network's Hessian with stochastic Lanczos
quadrature over autograd Hessian-vector products. Here the products are the kernels' exact
O(H) operator products (after one O(N + H log H) set-up), so the same estimate costs a few
hundred microseconds per Lanczos step at H = 10^4, N = 10^6.

For a unit probe vector v, m Lanczos steps with full reorthogonalization give a tridiagonal
T_m whose eigenvalues theta_k and squared first eigenvector components tau_k form an m-point
Gauss quadrature of the spectral measure of (Hess, v): sum_k tau_k theta_k^j = v^T Hess^j v
exactly for every j <= 2m - 1 (up to rounding). With Rademacher probes v = z / sqrt(P),
E[v^T A v] = trace(A) / P, so the average of the quadratures over probes is an unbiased
estimate of the spectral measure (1/P) sum_i delta(lambda_i), moment by moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.linalg import eigh_tridiagonal

from ..errors import InputError

#: Relative size of a Lanczos residual below which the Krylov space is invariant (breakdown).
BREAKDOWN = 1e-10


@dataclass(frozen=True)
class SpectralDensity:
    """The SLQ estimate of a Hessian's spectral measure: one Gauss quadrature per probe.

    Attributes
    ----------
    nodes : list of ndarray
        Ritz values theta_k of every probe (ascending; at most ``steps`` each).
    weights : list of ndarray
        Their weights tau_k (each probe's weights sum to 1).
    size : int
        Number of parameters P (the measure's total mass is 1, i.e. P eigenvalues / P).
    steps : int
        Lanczos steps requested (fewer are taken when the Krylov space closes early).
    """

    nodes: list[np.ndarray]
    weights: list[np.ndarray]
    size: int
    steps: int

    @property
    def probes(self) -> int:
        """Number of probe vectors."""
        return len(self.nodes)

    def measure(self) -> tuple[np.ndarray, np.ndarray]:
        """The averaged quadrature as one discrete measure: (points ascending, weights summing to 1)."""
        pts = np.concatenate(self.nodes)
        wts = np.concatenate(self.weights) / self.probes
        order = np.argsort(pts, kind="stable")
        return pts[order], wts[order]

    def moment(self, j: int) -> float:
        """The estimate of trace(Hess^j) / P: exact in expectation for j <= 2 steps - 1."""
        pts, wts = self.measure()
        return float(np.sum(wts * pts ** j))

    def density(self, grid: np.ndarray, sigma: float | None = None) -> np.ndarray:
        """Gaussian-smoothed density on ``grid`` (integrates to 1 over the real line).

        ``sigma`` defaults to 1% of the spread of the nodes, PyHessian's smoothing choice
        expressed relative to the spectrum's width.
        """
        pts, wts = self.measure()
        t = np.asarray(grid, dtype=np.float64)
        if sigma is None:
            sigma = 0.01 * max(float(pts[-1] - pts[0]), 1e-300)
        z = (t[:, None] - pts[None, :]) / sigma
        return (np.exp(-0.5 * z * z) @ wts) / (sigma * np.sqrt(2 * np.pi))


def lanczos_quadrature(matvec: Callable[[np.ndarray], np.ndarray], size: int, steps: int = 100,
                       probes: int = 1, seed: int = 0) -> SpectralDensity:
    """SLQ with any symmetric matrix-vector product: Rademacher probes, full reorthogonalization.

    Parameters
    ----------
    matvec : callable
        ``matvec(v) -> A v`` for a symmetric ``size x size`` matrix A (float64 vectors).
    size : int
        Dimension P.
    steps : int
        Lanczos steps per probe (at most P; fewer when the Krylov space becomes invariant).
    probes : int
        Number of independent Rademacher probes.
    seed : int
        Seed of the probes (NumPy ``default_rng``).
    """
    for name, val in (("steps", steps), ("probes", probes)):
        if isinstance(val, bool) or not isinstance(val, int | np.integer) or val < 1:
            raise InputError(f"{name} must be a positive integer, got {val!r}")
    m = min(int(steps), int(size))
    rng = np.random.default_rng(seed)
    nodes, weights = [], []
    basis = np.empty((m, size))
    for _ in range(int(probes)):
        v = rng.choice((-1.0, 1.0), size) / np.sqrt(size)
        alpha = np.empty(m)
        beta = np.empty(m)
        basis[0] = v
        scale = 0.0
        k = m
        for j in range(m):
            w = matvec(basis[j])
            alpha[j] = _dot(basis[j], w)
            w -= alpha[j] * basis[j]
            if j > 0:
                w -= beta[j - 1] * basis[j - 1]
            # Full reorthogonalization: the plain three-term recurrence loses orthogonality once
            # Ritz values converge and then produces spurious copies of the extreme eigenvalues.
            # A second pass only when the first removed much ("twice is enough"). einsum, not
            # BLAS gemv: on the shared 2-core machine threaded OpenBLAS gemv took 1.6 s per
            # probe at P = 30001, 100 steps, einsum 0.29 s (benchmarks/bench_density.py).
            before = np.sqrt(_dot(w, w))
            for _ in range(2):
                prev = basis[:j + 1]
                w -= np.einsum("i,ij->j", np.einsum("ij,j->i", prev, w), prev)
                b = np.sqrt(_dot(w, w))
                if b > 0.7 * before:
                    break
                before = b
            scale = max(scale, abs(alpha[j]), b)
            if j == m - 1:
                break
            if b <= BREAKDOWN * scale:
                k = j + 1  # invariant subspace: the quadrature is exact from here on
                break
            beta[j] = b
            basis[j + 1] = w / b
        theta, vecs = eigh_tridiagonal(alpha[:k], beta[:k - 1])
        nodes.append(theta)
        weights.append(vecs[0] ** 2)
    return SpectralDensity(nodes, weights, int(size), int(steps))


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    # einsum, not BLAS ddot (or np.linalg.norm, which calls it): threaded OpenBLAS level-1 calls
    # on a loaded 2-core machine cost 11 ms each at P = 30001 (cProfile), einsum about 20 us.
    return float(np.einsum("i,i->", a, b))


def wasserstein1(points_a: np.ndarray, weights_a: np.ndarray, points_b: np.ndarray,
                 weights_b: np.ndarray) -> float:
    """W_1 distance between two discrete probability measures on the line: int |F_a - F_b|."""
    pa, wa = np.asarray(points_a, float), np.asarray(weights_a, float)
    pb, wb = np.asarray(points_b, float), np.asarray(weights_b, float)
    pts = np.concatenate([pa, pb])
    mass = np.concatenate([wa / wa.sum(), -wb / wb.sum()])
    order = np.argsort(pts, kind="stable")
    cdf_diff = np.cumsum(mass[order])[:-1]
    return float(np.sum(np.abs(cdf_diff) * np.diff(pts[order])))


def plot_spectral_density(result: SpectralDensity, eigenvalues: np.ndarray | None = None, *,
                          axes: object = None, title: str | None = None) -> object:
    """Draw the SLQ estimate, and beside it (when given) the exact eigenvalues.

    Two panels on a symmetric-log eigenvalue axis (Hessian spectra are a bulk near zero and a
    few outliers): the spectral mass per bin of both measures (bins even on that axis) with a
    rug of the exact eigenvalues, and the two
    cumulative spectral distributions (the SLQ quadrature's and (1/P) sum_i 1[lambda_i <= t]),
    whose area between is the Wasserstein-1 distance. ``axes`` is a pair of matplotlib Axes
    (default: a new figure). Returns the Axes; matplotlib is imported here, only when drawing.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True)
    top, bottom = axes
    pts, wts = result.measure()
    lo, hi = float(pts[0]), float(pts[-1])
    ev = None
    if eigenvalues is not None:
        ev = np.sort(np.asarray(eigenvalues, dtype=float))
        lo, hi = min(lo, float(ev[0])), max(hi, float(ev[-1]))
    linthresh = max(1e-3 * max(abs(lo), abs(hi)), 1e-12)
    # bins uniform in asinh(t / linthresh): even on the symmetric-log axis
    u = np.linspace(np.arcsinh(lo / linthresh), np.arcsinh(hi / linthresh), 61)
    bins = linthresh * np.sinh(u)
    bins[0], bins[-1] = lo - 1e-12 * (1 + abs(lo)), hi + 1e-12 * (1 + abs(hi))
    label = f"SLQ, {result.steps} steps x {result.probes} probe(s)"
    if ev is not None:
        top.hist(ev, bins, weights=np.full(ev.size, 1.0 / ev.size), color="0.8",
                 label=f"exact eigenvalues (P = {ev.size})")
        top.plot(ev, np.zeros_like(ev), "|", color="0.2", markersize=7)
        bottom.step(ev, np.arange(1, ev.size + 1) / ev.size, where="post", color="0.2",
                    linestyle="--", label="exact")
    top.hist(pts, bins, weights=wts, histtype="step", color="C0", linewidth=1.4, label=label)
    bottom.step(pts, np.cumsum(wts), where="post", color="C0", label=label)
    for ax in axes:
        ax.set_xscale("symlog", linthresh=linthresh)
        ax.legend(loc="lower right" if ax is bottom else "upper right", fontsize=8)
    top.set_ylabel("spectral mass per bin")
    bottom.set_ylabel("spectral distribution")
    bottom.set_xlabel("eigenvalue (symmetric log scale)")
    if title:
        top.set_title(title)
    return axes
