"""Exact float64 Hessians of shallow ReLU networks: symspline's structured kernels against peers.

One process, one run. For each size (H, N) it builds one seeded problem in network coordinates
(w, b, v, c), times the full Hessian of L = (1/(2N)) sum_n (f(x_n) - y_n)^2 with

* symspline.kernels.hessian (prefix moments over sorted data, O(N log N + H^2)),
* torch.func.hessian (float64),
* jax.jit(jax.hessian) (float64, timed warm: compilation excluded),
* a dense NumPy Jacobian: (J^T J + R) / N with J of shape (N, 3H + 1),
* plain SymPy: the per-sample Hessian derived symbolically, lambdified and summed (small H only),

and reports median times, speed-up ratios measured in this same run and the largest relative
difference max|H_peer - H_symspline| / max|H_symspline|. A peer that is not installed, or whose
predicted memory or time exceeds the budget, is skipped with the reason. It also times the
gradient and the Hessian-vector product at H = 10^4, N = 10^6.

Usage::

    pip install -e '.[bench]'          # torch, jax, jaxlib (CPU)
    python benchmarks/bench_hessian.py            # full run, updates its docs/benchmarks.md section
    python benchmarks/bench_hessian.py --quick    # small sizes, prints the report only
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import symspline
import symspline.kernels as K
from symspline import Dataset, Network
from symspline.io import write_text

ROOT = Path(__file__).resolve().parents[1]
FULL_SIZES = [(16, 200), (64, 2000), (128, 4000), (256, 10_000), (1000, 1_000_000)]
QUICK_SIZES = [(16, 200), (64, 2000)]
FULL_LARGE = (10_000, 1_000_000)
QUICK_LARGE = (1000, 100_000)
SEED = 20220801
#: Peak memory of the autodiff Hessians, in units of P*N*H*8 bytes (measured here at (64, 2000):
#: torch.func.hessian about 5.6, jax about 2; rounded up).
MEM_FACTOR = {"torch.func.hessian": 6.0, "jax.jit(jax.hessian)": 2.5}
SYMPY_MAX_H = 16


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- problem
@dataclass(frozen=True)
class Problem:
    H: int
    N: int
    x: np.ndarray
    y: np.ndarray
    theta: np.ndarray  # (w, b, v, c)

    @property
    def P(self) -> int:
        return 3 * self.H + 1

    @property
    def work(self) -> float:
        """P N H: the size of the autodiff intermediates."""
        return float(self.P) * self.N * self.H


def make_problem(H: int, N: int, seed: int = SEED) -> Problem:
    rng = np.random.default_rng([seed, H, N])
    x = rng.uniform(-2.0, 2.0, N)
    y = np.sin(2.0 * x) + 0.1 * rng.standard_normal(N)
    w = rng.standard_normal(H)
    b = -w * rng.uniform(-2.0, 2.0, H)  # breakpoints inside the data
    v = rng.standard_normal(H) / np.sqrt(H)
    return Problem(H, N, x, y, np.concatenate([w, b, v, [0.1]]))


# ---------------------------------------------------------------------------- timing
@dataclass
class Timing:
    median: float
    runs: int
    result: object = field(repr=False, default=None)


def measure(fn: Callable[[], object], min_runs: int = 5, budget: float = 2.0,
            max_runs: int = 51) -> Timing:
    """Median wall time of ``fn``: at least ``min_runs`` runs unless one run exceeds the budget.

    As in :mod:`timeit`, garbage is collected once before the series and the collector is off
    during it, so that no run pays for another's garbage.
    """
    times = []
    result = None
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        while True:
            result = None
            t0 = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t0)
            spent = time.perf_counter() - start
            if len(times) >= max_runs or (len(times) >= min_runs and spent > budget):
                break
            if times[0] > budget:  # slow peer: a single run at this size (said in the table)
                break
            if len(times) >= 3 and spent > 4 * budget:
                break
    finally:
        gc.enable()
    return Timing(statistics.median(times), len(times), result)


def available_memory() -> float:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return 8e9


# ---------------------------------------------------------------------------- peers
def symspline_hessian(prob: Problem) -> Callable[[], np.ndarray]:
    data = Dataset.from_arrays(prob.x, prob.y)
    net = Network.from_vector(prob.theta, prob.H)
    return lambda: K.hessian(net, data)


def dense_jacobian(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: np.ndarray, v: np.ndarray,
                   c: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The activation indicator a (N, H), the residual r and the explicit Jacobian J (N, 3H + 1)
    of f in network order: the naive peer the structured kernels are measured against."""
    H = w.shape[0]
    z = np.multiply.outer(x, w) + b
    act = z > 0
    relu = np.where(act, z, 0.0)
    r = relu @ v + c - y
    a = act.astype(np.float64)
    J = np.empty((x.shape[0], 3 * H + 1))
    np.multiply(a * v, x[:, None], out=J[:, :H])
    np.multiply(a, v, out=J[:, H:2 * H])
    J[:, 2 * H:3 * H] = relu
    J[:, 3 * H] = 1.0
    return a, r, J


def torch_loss(prob: Problem):  # noqa: ANN201 - torch stays an optional import
    """The loss of ``prob`` as a function of a float64 torch parameter vector (autograd's view)."""
    import torch

    H = prob.H
    X = torch.tensor(prob.x, dtype=torch.float64)
    Y = torch.tensor(prob.y, dtype=torch.float64)

    def loss(t: torch.Tensor) -> torch.Tensor:
        z = torch.relu(X[:, None] * t[:H] + t[H:2 * H])
        r = z @ t[2 * H:3 * H] + t[3 * H] - Y
        return 0.5 * (r * r).mean()

    return loss


def dense_numpy(prob: Problem) -> Callable[[], np.ndarray]:
    """(J^T J + R) / N from an explicit (N, P) Jacobian and R = sum_n r_n Hess f(x_n)."""
    H, x, y, th = prob.H, prob.x, prob.y, prob.theta
    w, b, v, c = th[:H], th[H:2 * H], th[2 * H:3 * H], th[3 * H]

    def run() -> np.ndarray:
        a, r, J = dense_jacobian(x, y, w, b, v, c)
        hess = J.T @ J
        rx = (r * x) @ a  # sum_{A_i} r_n x_n
        r0 = r @ a  # sum_{A_i} r_n
        i = np.arange(H)
        for rows, vals in ((i, rx), (H + i, r0)):
            hess[rows, 2 * H + i] += vals
            hess[2 * H + i, rows] += vals
        return hess / x.shape[0]

    return run


def torch_hessian(prob: Problem) -> Callable[[], np.ndarray]:
    import torch

    T = torch.tensor(prob.theta, dtype=torch.float64)
    hess = torch.func.hessian(torch_loss(prob))
    return lambda: hess(T).numpy()


def jax_hessian(prob: Problem) -> Callable[[], np.ndarray]:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    H = prob.H
    X, Y, T = jnp.asarray(prob.x), jnp.asarray(prob.y), jnp.asarray(prob.theta)
    assert X.dtype == jnp.float64

    def loss(t: jax.Array) -> jax.Array:
        z = jax.nn.relu(X[:, None] * t[:H] + t[H:2 * H])
        r = z @ t[2 * H:3 * H] + t[3 * H] - Y
        return 0.5 * jnp.mean(r * r)

    hess = jax.jit(jax.hessian(loss))
    hess(T).block_until_ready()  # compile outside the timing: "warm"
    return lambda: np.asarray(hess(T).block_until_ready())


def sympy_hessian(prob: Problem) -> tuple[Callable[[], np.ndarray], float]:
    """Per-sample Hessian of (f - y)^2 / 2 derived by SymPy, lambdified, summed over samples.

    Away from kinks the second derivative of Max(0, z) is zero, so DiracDelta terms are dropped.
    Returns the evaluator and the one-off build time (derivation + lambdify).
    """
    import sympy as sp

    t0 = time.perf_counter()
    H = prob.H
    w = sp.symbols(f"w1:{H + 1}", real=True)
    b = sp.symbols(f"b1:{H + 1}", real=True)
    v = sp.symbols(f"v1:{H + 1}", real=True)
    c, xs, ys = sp.symbols("c x y", real=True)
    theta = [*w, *b, *v, c]
    f = sum(v[i] * sp.Max(0, w[i] * xs + b[i]) for i in range(H)) + c
    ell = (f - ys) ** 2 / 2
    grad = [sp.diff(ell, p) for p in theta]
    entries = [sp.diff(g, p).replace(sp.DiracDelta, lambda *a: 0) for g in grad for p in theta]
    fn = sp.lambdify([*theta, xs, ys], entries, modules="numpy", cse=True)
    build = time.perf_counter() - t0
    P, N = prob.P, prob.N
    args = [*prob.theta]

    def run() -> np.ndarray:
        vals = fn(*args, prob.x, prob.y)
        out = np.array([np.sum(np.broadcast_to(e, (N,))) for e in vals])
        return out.reshape(P, P) / N

    return run, build


PEERS = ["torch.func.hessian", "jax.jit(jax.hessian)", "dense NumPy J^T J", "SymPy lambdify"]


def skip_reason(peer: str, prob: Problem, last: dict[str, tuple[float, float]],
                mem_budget: float, time_budget: float) -> str | None:
    """Why ``peer`` cannot run at this size, or None. Predictions scale with P N H."""
    if peer == "torch.func.hessian":
        try:
            import torch  # noqa: F401
        except ImportError:
            return "torch not installed (pip install -e '.[bench]')"
    if peer == "jax.jit(jax.hessian)":
        try:
            import jax  # noqa: F401
        except ImportError:
            return "jax not installed (pip install -e '.[bench]')"
    if peer == "SymPy lambdify" and prob.H > SYMPY_MAX_H:
        return (f"plain SymPy only at H <= {SYMPY_MAX_H}: the symbolic Hessian has P^2 = "
                f"{prob.P ** 2:,} entries to derive and lambdify")
    if peer in MEM_FACTOR:
        need = MEM_FACTOR[peer] * prob.work * 8
    elif peer == "dense NumPy J^T J":
        need = 3 * prob.N * prob.P * 8 + 3 * prob.N * prob.H * 8
    else:
        need = 0.0
    if need > mem_budget:
        return (f"predicted memory {need / 2**30:.1f} GiB exceeds the budget "
                f"{mem_budget / 2**30:.1f} GiB")
    if peer in last:
        work0, t0 = last[peer]
        predicted = t0 * prob.work / work0
        if predicted > time_budget:
            return f"predicted {predicted:.0f} s per Hessian (> {time_budget:.0f} s budget)"
    return None


# ---------------------------------------------------------------------------- runs
@dataclass
class Row:
    H: int
    N: int
    peer: str
    ours: float
    time: float | None = None
    runs: int = 0
    reldiff: float | None = None
    note: str = ""


def reldiff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def run_sizes(sizes: list[tuple[int, int]], mem_budget: float, time_budget: float
              ) -> tuple[list[Row], dict[tuple[int, int], dict[str, float]]]:
    rows: list[Row] = []
    extras: dict[tuple[int, int], dict[str, float]] = {}
    last: dict[str, tuple[float, float]] = {}
    for H, N in sizes:
        prob = make_problem(H, N)
        t0 = time.perf_counter()
        data = Dataset.from_arrays(prob.x, prob.y)
        sort_time = time.perf_counter() - t0
        net = Network.from_vector(prob.theta, H)
        ours = measure(lambda net=net, data=data: K.hessian(net, data), min_runs=21, budget=2.0)
        spl = net.to_spline()
        ours_spline = measure(lambda spl=spl, data=data: K.hessian(spl, data), min_runs=7,
                              budget=1.0)
        extras[(H, N)] = {"dataset": sort_time, "hessian": ours.median,
                          "hessian_spline": ours_spline.median, "runs": ours.runs}
        ref = ours.result
        log(f"(H={H}, N={N}) symspline {ours.median * 1e3:.2f} ms ({ours.runs} runs)")
        for peer in PEERS:
            reason = skip_reason(peer, prob, last, mem_budget, time_budget)
            if reason:
                rows.append(Row(H, N, peer, ours.median, note="skipped: " + reason))
                log(f"  {peer}: skipped ({reason})")
                continue
            note = ""
            try:
                if peer == "torch.func.hessian":
                    fn = torch_hessian(prob)
                elif peer == "jax.jit(jax.hessian)":
                    fn = jax_hessian(prob)
                elif peer == "dense NumPy J^T J":
                    fn = dense_numpy(prob)
                else:
                    fn, build = sympy_hessian(prob)
                    note = f"one-off derivation + lambdify {build:.1f} s (not timed)"
                tm = measure(fn, min_runs=3, budget=3.0)
            except MemoryError:
                rows.append(Row(H, N, peer, ours.median, note="skipped: out of memory"))
                log(f"  {peer}: out of memory")
                continue
            last[peer] = (prob.work, tm.median)
            rd = reldiff(np.asarray(tm.result), ref)
            rows.append(Row(H, N, peer, ours.median, tm.median, tm.runs, rd, note))
            log(f"  {peer}: {tm.median:.4g} s ({tm.runs} runs), ratio "
                f"{tm.median / ours.median:.3g}, rel diff {rd:.2e}")
            del fn, tm
            gc.collect()
    return rows, extras


def run_large(H: int, N: int) -> dict[str, float]:
    """Gradient, HVP and Lanczos set-up at a size no peer reaches; HVP checked by differences."""
    prob = make_problem(H, N)
    data = Dataset.from_arrays(prob.x, prob.y)
    net = Network.from_vector(prob.theta, H)
    rng = np.random.default_rng(SEED)
    d = rng.standard_normal(prob.P)
    grad = measure(lambda: K.gradient(net, data), min_runs=7)
    hvp = measure(lambda: K.hvp(net, data, d), min_runs=7)
    loss = measure(lambda: K.loss(net, data), min_runs=7)
    op = K.hessian_operator(net, data)
    matvec = measure(lambda: op @ d, min_runs=21, budget=0.5)
    # On one activation pattern the gradient is a cubic polynomial along any line, so the
    # Richardson combination of two central differences of the *pattern's* gradient is its exact
    # directional derivative up to rounding: an independent check of the HVP in every direction.
    kern = K.kernel(net, data)

    def pattern_gradient(step: float) -> np.ndarray:
        th = prob.theta + step * d
        return K.NetworkKernel(kern.layout, float(th[3 * H]), w=th[:H], b=th[H:2 * H],
                               v=th[2 * H:3 * H]).gradient()

    eps = 1e-3

    def central(e: float) -> np.ndarray:
        return (pattern_gradient(e) - pattern_gradient(-e)) / (2 * e)

    fd = (4 * central(eps) - central(2 * eps)) / 3
    out = {"gradient": grad.median, "hvp": hvp.median, "loss": loss.median,
           "matvec": matvec.median, "hvp_vs_fd": reldiff(hvp.result, fd)}
    log(f"(H={H}, N={N}) gradient {grad.median * 1e3:.1f} ms, hvp {hvp.median * 1e3:.1f} ms, "
        f"operator product {matvec.median * 1e6:.0f} us, hvp vs differences {out['hvp_vs_fd']:.1e}")
    return out


def run_spectrum(H: int, N: int) -> dict[str, float]:
    """Extreme eigenvalues by Lanczos on the operator, against LAPACK on the dense Hessian."""
    prob = make_problem(H, N)
    data = Dataset.from_arrays(prob.x, prob.y)
    net = Network.from_vector(prob.theta, H)
    t0 = time.perf_counter()
    ext = K.extreme_eigenvalues(net, data, k=1, method="lanczos")
    lanczos = time.perf_counter() - t0
    t0 = time.perf_counter()
    ev = np.linalg.eigvalsh(K.hessian(net, data))
    dense = time.perf_counter() - t0
    scale = np.abs(ev).max()
    err = max(abs(ext["largest"][0] - ev[-1]), abs(ext["smallest"][0] - ev[0])) / scale
    log(f"(H={H}, N={N}) Lanczos extremes {lanczos:.2f} s, dense eigvalsh {dense:.2f} s, "
        f"rel diff {err:.1e}")
    return {"lanczos": lanczos, "dense": dense, "err": err, "largest": float(ev[-1]),
            "smallest": float(ev[0])}


# ---------------------------------------------------------------------------- report
def load() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def machine(load_start: str, load_end: str) -> list[str]:
    from _sections import cpu_name

    cpu = cpu_name()
    mem = "unknown"
    try:
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = [f"Python {platform.python_version()}", f"symspline {symspline.__version__}",
                f"NumPy {np.__version__}"]
    for mod in ("scipy", "sympy", "torch", "jax", "jaxlib"):
        try:
            versions.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            versions.append(f"{mod} not installed")
    return [f"- CPU: {cpu}, {os.cpu_count()} logical cores; memory {mem}; "
            f"{platform.system()} {platform.release()}",
            "- " + ", ".join(versions),
            f"- Load average (1, 5, 15 min) at start: {load_start}; at end: {load_end}. The "
            "machine is shared: absolute times vary with the load, ratios are measured "
            "back to back."]


def fmt_ratio(q: float) -> str:
    return f"{q:,.0f}x" if q >= 10 else f"{q:.2g}x"


def fmt_time(t: float | None) -> str:
    if t is None:
        return "-"
    if t < 1e-3:
        return f"{t * 1e6:.0f} us"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def render(rows: list[Row], extras: dict, large: dict[str, float] | None,
           large_size: tuple[int, int], spectrum: dict[str, float] | None,
           spectrum_size: tuple[int, int], quick: bool, wall: float,
           loads: tuple[str, str]) -> str:
    out = ["# Benchmark: exact float64 Hessians of shallow ReLU networks", "",
           "Generated by `python benchmarks/bench_hessian.py"
           + (" --quick" if quick else "") + "` (one process, one run; "
           f"total {wall:.0f} s). Do not edit this section by hand; the other sections come "
           "from the other benchmark scripts (benchmarks/README.md).", "",
           "Problem: L = (1/(2N)) sum_n (f(x_n) - y_n)^2, f(x) = sum_i v_i [w_i x + b_i]_+ + c, "
           "Hessian over theta = (w, b, v, c), P = 3H + 1, float64 everywhere; x uniform on "
           "[-2, 2], breakpoints inside the data, seeded. Times are medians over the runs shown, "
           "ratios are peer time / symspline time in this same run, 'rel diff' is "
           "max|H_peer - H_symspline| / max|H_symspline|. JAX is timed warm (compilation "
           "excluded). symspline times exclude building the sorted `Dataset` (listed "
           "separately: a one-off O(N log N) sort).", "", "## Machine", ""]
    out += machine(*loads)
    out += ["", "## Full Hessian", "",
            "| H | N | P | symspline | peer | peer time | runs | ratio | rel diff | note |",
            "|---:|---:|---:|---:|---|---:|---:|---:|---:|---|"]
    for r in rows:
        ratio = fmt_ratio(r.time / r.ours) if r.time is not None else "-"
        rd = f"{r.reldiff:.1e}" if r.reldiff is not None else "-"
        out.append(f"| {r.H} | {r.N:,} | {3 * r.H + 1:,} | {fmt_time(r.ours)} | {r.peer} | "
                   f"{fmt_time(r.time)} | {r.runs or '-'} | {ratio} | {rd} | {r.note} |")
    out += ["", "symspline alone (same run):", "",
            "| H | N | Hessian, network (w, b, v, c) | Hessian, spline (beta, mu, c) | "
            "building the sorted Dataset |",
            "|---:|---:|---:|---:|---:|"]
    for (H, N), e in extras.items():
        out.append(f"| {H} | {N:,} | {fmt_time(e['hessian'])} | {fmt_time(e['hessian_spline'])} | "
                   f"{fmt_time(e['dataset'])} |")
    H, N = large_size
    if large:
        out += ["", f"## Gradient and Hessian-vector product at H = {H:,}, N = {N:,}", "",
                "| quantity | median time |", "|---|---:|",
                f"| loss | {fmt_time(large['loss'])} |",
                f"| gradient | {fmt_time(large['gradient'])} |",
                f"| Hessian-vector product (from scratch) | {fmt_time(large['hvp'])} |",
                f"| product with a prepared `hessian_operator` | {fmt_time(large['matvec'])} |",
                "", "No peer runs at this size (the autodiff intermediates have N H = "
                f"{N * H:.0e} entries). Check: the HVP agrees with the "
                f"derivative of the gradient along the same direction to {large['hvp_vs_fd']:.1e} "
                "(relative; Richardson-extrapolated central differences of the gradient of the "
                "current pattern's polynomial, exact for a cubic up to rounding)."]
    if spectrum:
        Hs, Ns = spectrum_size
        out += ["", f"## Extreme eigenvalues at H = {Hs:,}, N = {Ns:,}", "",
                f"Lanczos (`extreme_eigenvalues(k=1, method='lanczos')`, both ends, set-up "
                f"included): {fmt_time(spectrum['lanczos'])}; dense Hessian + "
                f"`numpy.linalg.eigvalsh`: {fmt_time(spectrum['dense'])}. Extremes "
                f"{spectrum['smallest']:.6g} and {spectrum['largest']:.6g}; relative difference "
                f"{spectrum['err']:.1e}."]
    out += ["", "## Targets (issue 4)", ""]
    out += targets(rows, extras, large, large_size)
    return "\n".join(out) + "\n"


def targets(rows: list[Row], extras: dict, large: dict[str, float] | None,
            large_size: tuple[int, int]) -> list[str]:
    lines = []

    def peer_row(H: int, N: int, peer: str) -> Row | None:
        for r in rows:
            if (r.H, r.N, r.peer) == (H, N, peer):
                return r
        return None

    big = extras.get((1000, 1_000_000))
    if big:
        ok = big["hessian"] <= 0.150
        lines.append(f"- Full Hessian at H=1000, N=10^6 <= 150 ms: {fmt_time(big['hessian'])} "
                     f"-> {'met' if ok else 'NOT met'}.")
    else:
        lines.append("- Full Hessian at H=1000, N=10^6: not run (quick mode).")
    for (H, N, peer, factor) in ((64, 2000, "torch.func.hessian", 1000),
                                 (128, 4000, "jax.jit(jax.hessian)", 100)):
        r = peer_row(H, N, peer)
        if r is None or r.time is None:
            why = r.note if r is not None else "size not run (quick mode)"
            lines.append(f"- >= {factor}x faster than {peer} at ({H}, {N}): not measured ({why}).")
            continue
        ratio = r.time / r.ours
        ok = ratio >= factor and r.reldiff is not None and r.reldiff <= 1e-12
        lines.append(f"- >= {factor}x faster than {peer} at ({H}, {N}) with rel diff <= 1e-12: "
                     f"{ratio:,.0f}x, rel diff {r.reldiff:.1e} -> {'met' if ok else 'NOT met'}.")
    H, N = large_size
    if large and (H, N) == FULL_LARGE:
        for key, label in (("gradient", "Gradient"), ("hvp", "Hessian-vector product")):
            ok = large[key] <= 0.100
            lines.append(f"- {label} at H=10^4, N=10^6 <= 100 ms: {fmt_time(large[key])} -> "
                         f"{'met' if ok else 'NOT met'}.")
    else:
        lines.append("- Gradient and HVP at H=10^4, N=10^6: not run (quick mode).")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="small sizes only; prints the report unless --out is given")
    ap.add_argument("--out", type=Path, default=None,
                    help="write the whole report to this file (default: replace this script's "
                    "section of docs/benchmarks.md in full mode, print in quick mode)")
    ap.add_argument("--mem-budget-gb", type=float, default=None,
                    help="largest predicted peer memory (default: half of the available memory)")
    ap.add_argument("--time-budget", type=float, default=60.0,
                    help="largest predicted time of one peer Hessian, in seconds (default 60)")
    args = ap.parse_args(argv)
    mem_budget = (args.mem_budget_gb * 2**30 if args.mem_budget_gb
                  else 0.5 * available_memory())
    start = time.perf_counter()
    load_start = load()
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    large_size = QUICK_LARGE if args.quick else FULL_LARGE
    spectrum_size = (128, 4000) if args.quick else (1000, 1_000_000)
    rows, extras = run_sizes(sizes, mem_budget, args.time_budget)
    large = run_large(*large_size)
    spectrum = run_spectrum(*spectrum_size)
    text = render(rows, extras, large, large_size, spectrum, spectrum_size, args.quick,
                  time.perf_counter() - start, (load_start, load()))
    if args.out is not None:
        write_text(args.out, text)
        log(f"wrote {args.out}")
    elif args.quick:
        print(text)
    else:
        # docs/benchmarks.md holds other scripts' sections too: replace only this one.
        from _sections import update_section

        update_section("bench_hessian", text)
        log(f"updated the bench_hessian section of {ROOT / 'docs' / 'benchmarks.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
