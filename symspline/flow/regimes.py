"""Regime sweeps (theory §5.3, 6.1, 6.2): initial scale x width, run on a concurrent.futures.Executor.

Each sweep point integrates the network flow from a seeded Gaussian initialization
w, b ~ scale N(0, 1), v ~ scale N(0, 1) / sqrt(H), and measures: breakpoint travel (median
|beta_i(T) - beta_i(0)| over units whose initial breakpoint lies in the data interval), the final
loss, and the max distance on [x_1, x_N] of the learned function to (a) the kernel-regime
interpolant of the *initial* network (:func:`symspline.regularization.kernel_interpolant`) and
(b) the linear-spline interpolant of the data. Jobs are independent: any Executor works
(the default is a local ``ProcessPoolExecutor``; ``dask.distributed.Client.get_executor()`` too).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np

from ..data import Dataset
from ..params import Network


@dataclass(frozen=True)
class RegimePoint:
    """Measurements of one (scale, width) run."""

    scale: float
    width: int
    travel: float
    loss: float
    dist_kernel: float
    dist_linear: float
    events: int

    def as_dict(self) -> dict:
        return asdict(self)


def initial_network(H: int, scale: float, seed: int) -> Network:
    """w, b ~ scale N(0,1), v ~ scale N(0,1)/sqrt(H), c = 0, from ``seed``."""
    rng = np.random.default_rng(seed)
    return Network(scale * rng.normal(size=H), scale * rng.normal(size=H),
                   scale * rng.normal(size=H) / np.sqrt(H), 0.0)


def run_point(x: np.ndarray, y: np.ndarray, scale: float, width: int, time: float,
              seed: int, rtol: float = 1e-7) -> RegimePoint:
    """One sweep point (a module-level function so that process pools can pickle it)."""
    from .. import kernels
    from ..regularization import kernel_interpolant, linear_interpolant
    from .integrate import flow_network

    data = Dataset.from_arrays(x, y)
    net = initial_network(width, scale, seed)
    res = flow_network(net, data, time, t_eval=[0.0, time], rtol=rtol, atol=rtol * 1e-3)
    final = res.network_at()
    s0, s1 = net.to_spline(), final.to_spline()
    inside = (s0.beta > x[0]) & (s0.beta < x[-1])
    travel = float(np.median(np.abs(s1.beta - s0.beta)[inside])) if inside.any() else 0.0
    grid = np.linspace(x[0], x[-1], 801)
    f = final(grid)
    kern = kernel_interpolant(net, data)(grid)
    return RegimePoint(float(scale), int(width), travel, float(kernels.loss(final, data)),
                       float(np.max(np.abs(f - kern))),
                       float(np.max(np.abs(f - linear_interpolant(data, grid)))), len(res.events))


def sweep(data: Dataset, scales: Sequence[float], widths: Sequence[int], time: float, *,
          executor: Executor | None = None, seed: int = 0, rtol: float = 1e-7
          ) -> list[RegimePoint]:
    """Run every (scale, width) point; results in the order of ``scales`` x ``widths``."""
    d = data.as_float()
    jobs = [(float(a), int(h)) for a in scales for h in widths]
    own = executor is None
    ex = ProcessPoolExecutor(max_workers=2) if own else executor
    try:
        futs = [ex.submit(run_point, np.array(d.x), np.array(d.y), a, h, float(time),
                          seed + 7919 * k, rtol) for k, (a, h) in enumerate(jobs)]
        return [f.result() for f in futs]
    finally:
        if own:
            ex.shutdown()
