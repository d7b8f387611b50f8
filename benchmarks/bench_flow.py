"""Benchmark (issue 9): gradient flow with H = 1000 units on N = 100 samples to t = 1e4.

Not part of the test run. Usage: ``python benchmarks/bench_flow.py [--time T] [--scale A]
[--method M] [--crossings carry|cut] [--all]``. Prints wall time, field evaluations, events
(crossings / captures / releases), final loss and the balance drift. The initialization is
w, b, v ~ A N(0, 1) (default A = 0.03: the adaptive regime). ``--all`` runs, back to back on the
same problem, the Runge-Kutta-Chebyshev loop (RKC, carrying events), RK45 carrying events and
RK45 cutting every step at every event, and prints how far their final functions are apart.
Also prints the largest Hessian eigenvalue at a standard initialization (w, b ~ N(0,1),
v ~ N(0, 1/H)), which bounds the step of any explicit integrator there (see docs/flow.md).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from symspline import kernels
from symspline.data import Dataset
from symspline.flow import flow
from symspline.params import Network


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--time", type=float, default=1e4)
    ap.add_argument("--scale", type=float, default=0.03)
    ap.add_argument("--width", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--method", default="RKC", choices=("RK23", "RK45", "RKC", "DOP853"))
    ap.add_argument("--crossings", default=None, choices=("carry", "cut"))
    ap.add_argument("--all", action="store_true", help="RKC, RK45 carrying and RK45 cutting")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    n, H = args.samples, args.width
    x = np.sort(rng.uniform(-1, 1, n))
    data = Dataset.from_arrays(x, np.sin(3 * x) + 0.1 * rng.normal(size=n))
    a = args.scale
    net = Network(a * rng.normal(size=H), a * rng.normal(size=H), a * rng.normal(size=H), 0.0)
    configs = ([("RKC", "carry"), ("RK45", "carry"), ("RK45", "cut")] if args.all
               else [(args.method, args.crossings)])
    grid = np.linspace(x[0], x[-1], 2001)
    finals = []
    for method, crossings in configs:
        t0 = time.perf_counter()
        res = flow(net, data, args.time, method=method, rtol=args.rtol, atol=args.rtol * 1e-3,
                   t_eval=[0.0, args.time], crossings=crossings)
        secs = time.perf_counter() - t0
        kinds = [e.kind for e in res.events]
        drift = float(np.max(np.abs(res.network_at().balance - net.balance)))
        finals.append(np.asarray(res.params_at()(grid)))
        print(f"{method} ({crossings or 'default'}), H={H} N={n} t={args.time:g} scale={a:g}: "
              f"{secs:.1f} s, {res.rhs_evals} field evaluations, {kinds.count('cross')} crossings, "
              f"{kinds.count('capture')} captures, {kinds.count('release')} releases; loss "
              f"{kernels.loss(net, data):.3g} -> {kernels.loss(res.params_at(), data):.3g}; "
              f"balance drift {drift:.1e}", flush=True)
    for k in range(1, len(finals)):
        print(f"max |f_{configs[0][0]} - f_{configs[k][0]}/{configs[k][1]}| on [x_1, x_N]: "
              f"{np.max(np.abs(finals[0] - finals[k])):.1e}")
    std = Network(rng.normal(size=H), rng.normal(size=H), rng.normal(size=H) / np.sqrt(H), 0.0)
    lam = kernels.extreme_eigenvalues(std, data, k=1)["largest"][0]
    print(f"standard initialization: largest Hessian eigenvalue {lam:.4g}; an explicit "
          f"integrator needs about {args.time * lam / 3:.3g} steps to reach t = {args.time:g}")


if __name__ == "__main__":
    main()
