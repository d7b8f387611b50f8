"""Time to an exact symbolic Hessian: symspline's per-pattern closed forms vs plain ``sympy.hessian``.

symspline: symbolic parameters (beta, mu, c) or (w, b, v, c), exact rational data, one activation
pattern; the Hessian polynomial entries come from prefix moments (theory §3.5), O(H^2) entries with
O(H) terms each. Plain SymPy: the Max-based loss (1/2N) sum_n (c + sum_i v_i Max(0, w_i x_n + b_i)
- y_n)^2 with symbolic (w, b, v, c), differentiated by ``sympy.hessian`` (every pattern at once, as
Piecewise/Heaviside expressions). Each plain-SymPy size runs in a child process with a time limit;
larger sizes are skipped once one exceeds it.

Usage: python benchmarks/bench_symbolic_hessian.py [--quick] [--limit SECONDS]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import statistics
import time

import numpy as np
import sympy as sp

from symspline.calculus import pattern_hessian
from symspline.data import Dataset
from symspline.params import Network, Spline
from symspline.regions import Pattern


def rational_data(N: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    pool = np.arange(-2 * N, 2 * N + 1)
    xs = sorted(sp.Rational(int(v), max(1, N // 4)) for v in rng.choice(pool, N, replace=False))
    ys = [sp.Rational(int(v), 7) for v in rng.integers(-20, 21, N)]
    return Dataset.from_arrays(xs, ys)


def engine_time(H: int, N: int, param: str, repeat: int) -> tuple[float, int]:
    data = rational_data(N)
    s = tuple(1 if i % 2 == 0 else -1 for i in range(H))
    k = tuple((i * N) // H + 1 for i in range(H))  # breakpoints spread over the data
    pat = Pattern(s, k, N)
    params = Spline.symbols(H, s) if param == "spline" else Network.symbols(H, s)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        Hm = pattern_hessian(pat, params, data)
        times.append(time.perf_counter() - t0)
    terms = sum(len(sp.Add.make_args(e)) for e in Hm)
    return statistics.median(times), terms


def _plain(H: int, N: int, out: mp.Queue) -> None:
    data = rational_data(N)
    net = Network.symbols(H)
    t0 = time.perf_counter()
    f = [net.c + sum(net.v[i] * sp.Max(0, net.w[i] * xn + net.b[i]) for i in range(H))
         for xn in data.x]
    L = sum((fn - yn) ** 2 for fn, yn in zip(f, data.y, strict=True)) / (2 * N)
    sp.hessian(L, list(net.vector))
    out.put(time.perf_counter() - t0)


def plain_time(H: int, N: int, limit: float) -> float | None:
    q: mp.Queue = mp.Queue()
    p = mp.Process(target=_plain, args=(H, N, q))
    p.start()
    p.join(limit)
    if p.is_alive():
        p.terminate()
        p.join()
        return None
    return q.get() if not q.empty() else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer sizes and repeats")
    ap.add_argument("--limit", type=float, default=60.0,
                    help="time limit per plain-SymPy size in seconds (default 60)")
    args = ap.parse_args()
    repeat = 1 if args.quick else 3
    print(f"machine: {platform.machine()} {platform.processor() or ''}, Python "
          f"{platform.python_version()}, SymPy {sp.__version__}")
    print("\nsymspline, one pattern, exact rational data (median of", repeat, "runs)")
    print(f"{'H':>3} {'N':>5} {'param':>8} {'seconds':>9} {'terms':>7}")
    sizes = [(2, 8), (4, 16), (8, 64)] + ([] if args.quick else [(16, 256), (32, 1024)])
    for H, N in sizes:
        for param in ("spline", "network"):
            t, terms = engine_time(H, N, param, repeat)
            print(f"{H:>3} {N:>5} {param:>8} {t:>9.3f} {terms:>7}")
    print(f"\nplain sympy.hessian of the Max-based loss (network, limit {args.limit:.0f} s)")
    print(f"{'H':>3} {'N':>5} {'seconds':>9}")
    plain_sizes = [(1, 4), (2, 4), (2, 8), (4, 8), (4, 16)] + ([] if args.quick else
                                                             [(8, 32), (8, 64)])
    for H, N in plain_sizes:
        t = plain_time(H, N, args.limit)
        print(f"{H:>3} {N:>5} " + (f"{t:>9.3f}" if t is not None else
                                   f"  > {args.limit:.0f} (stopped)"))
        if t is None:
            print("larger sizes skipped")
            break


if __name__ == "__main__":
    main()
