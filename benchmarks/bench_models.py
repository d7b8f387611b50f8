"""What the two models cost: ReLU against leaky ReLU (alpha = 0.01) against leaky ReLU with weight
decay (lambda = 1e-3), for ``Network`` and ``Spline``, with torch autodiff (float64) as the peer.

For each size (H, N) and parameterization it times, interleaved round by round (best of k):

* ``symspline.evaluate(params, data, weight_decay=lam)`` asked for loss + gradient, and for loss +
  gradient + Hessian (Hessian only up to H = 1000);
* the plain calls ``symspline.loss``, ``symspline.gradient``, ``symspline.hessian`` with
  ``weight_decay=lam``;
* the peer: torch autodiff in float64 on an independently written objective (explicit N x H
  pre-activations), loss + gradient by ``backward()`` (where the N x H intermediates fit) and the
  Hessian by ``torch.autograd.functional.hessian`` at the small size only;
* at (16, 200), the direct kernel calls ``kernels.loss/gradient/hessian`` for the ReLU without
  decay: the overhead of ``evaluate`` on the small-size path.

The objective is L = (1/(2N)) sum_n (f(x_n) - y_n)^2 plus the penalty: (lambda/2) ||theta||^2 for
the network, lambda sum_i |mu_i| sqrt(1 + beta_i^2) + lambda c^2 / 2 for the spline (theory §1.5).
symspline's loss, gradient and Hessian are checked against torch's in the same run.

At the largest size a weight-decay contender is run only when its predicted time per call is
within ``--time-budget``: the prediction is one timed ``params.decay(lam)`` at H = 1000 scaled by
(P_large / P_1000)^2, since ``decay`` returns the dense P x P penalty Hessian.

Usage::

    pip install -e '.[bench]'                 # torch (CPU)
    python benchmarks/bench_models.py         # writes its section of docs/benchmarks.md
    python benchmarks/bench_models.py --quick # smaller sizes, prints only
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sections import best_of, fmt_time, machine_line, update_section  # noqa: E402
from bench_hessian import make_problem  # noqa: E402

import symspline  # noqa: E402
import symspline.kernels as K  # noqa: E402
from symspline import Dataset, Network, Spline  # noqa: E402

ALPHA = 0.01
LAM = 1e-3
#: (name, negative_slope, weight_decay)
VARIANTS = (("ReLU", 0.0, 0.0), ("leaky", ALPHA, 0.0), ("leaky + decay", ALPHA, LAM))
FULL_SIZES = ((16, 200), (1000, 100_000), (10_000, 1_000_000))
QUICK_SIZES = ((16, 200), (100, 10_000))
HESSIAN_MAX_H = 1000
TORCH_MAX_ENTRIES = 1e8  # N * H of the torch intermediates (float64: 0.8 GB each)
TORCH_HESSIAN_MAX_H = 16


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- the peer
def torch_objective(params: Network | Spline, x: np.ndarray, y: np.ndarray, alpha: float,
                    lam: float) -> Callable:
    """The objective written directly in torch, float64, on the explicit N x H pre-activations."""
    import torch

    X = torch.tensor(x, dtype=torch.float64)
    Y = torch.tensor(y, dtype=torch.float64)
    H = params.H
    act = ((lambda z: torch.nn.functional.leaky_relu(z, alpha)) if alpha else torch.relu)
    if isinstance(params, Network):
        def objective(t: torch.Tensor) -> torch.Tensor:
            w, b, v, c = t[:H], t[H:2 * H], t[2 * H:3 * H], t[3 * H]
            r = act(X[:, None] * w + b) @ v + c - Y
            out = 0.5 * torch.mean(r * r)
            return out + 0.5 * lam * torch.sum(t * t) if lam else out
    else:
        s = torch.tensor(params.s, dtype=torch.float64)

        def objective(t: torch.Tensor) -> torch.Tensor:
            beta, mu, c = t[:H], t[H:2 * H], t[2 * H]
            r = act(s * (X[:, None] - beta)) @ mu + c - Y
            out = 0.5 * torch.mean(r * r)
            if not lam:
                return out
            return out + lam * (torch.sum(torch.abs(mu) * torch.sqrt(1 + beta * beta))
                                + 0.5 * c * c)
    return objective


def torch_loss_gradient(objective: Callable, theta: np.ndarray) -> Callable[[], tuple]:
    import torch

    T = torch.tensor(theta, dtype=torch.float64)

    def run() -> tuple[float, np.ndarray]:
        t = T.clone().requires_grad_(True)
        value = objective(t)
        value.backward()
        return float(value.detach()), t.grad.numpy()
    return run


def torch_hessian(objective: Callable, theta: np.ndarray) -> Callable[[], np.ndarray]:
    import torch

    T = torch.tensor(theta, dtype=torch.float64)
    return lambda: torch.autograd.functional.hessian(objective, T).numpy()


# ---------------------------------------------------------------------------- contenders
def rel(a: object, b: object) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def models(theta: np.ndarray, H: int, alpha: float) -> dict[str, Network | Spline]:
    net = Network.from_vector(theta, H, negative_slope=alpha)
    return {"Network": net, "Spline": net.to_spline()}


def contenders(params: Network | Spline, data: Dataset, lam: float, hessian: bool
               ) -> dict[str, Callable[[], object]]:
    def ev_lg() -> tuple:
        ev = symspline.evaluate(params, data, weight_decay=lam)
        return ev.loss, ev.gradient

    def ev_lgh() -> tuple:
        ev = symspline.evaluate(params, data, weight_decay=lam)
        return ev.loss, ev.gradient, ev.hessian

    fns: dict[str, Callable[[], object]] = {
        "evaluate L+G": ev_lg,
        "loss": lambda: symspline.loss(params, data, weight_decay=lam),
        "gradient": lambda: symspline.gradient(params, data, weight_decay=lam),
    }
    if hessian:
        fns["evaluate L+G+H"] = ev_lgh
        fns["hessian"] = lambda: symspline.hessian(params, data, weight_decay=lam)
    return fns


def decay_probe(theta: np.ndarray, H: int) -> dict[str, float]:
    """One timed ``params.decay(LAM)`` per parameterization at this H (for the prediction)."""
    out = {}
    for name, p in models(theta, H, ALPHA).items():
        t0 = time.perf_counter()
        p.decay(LAM)
        out[name] = time.perf_counter() - t0
    return out


def run_size(H: int, N: int, k: int, largest: bool, probe: dict[str, float] | None,
             probe_P: dict[str, int] | None, time_budget: float) -> dict:
    prob = make_problem(H, N)
    data = Dataset.from_arrays(prob.x, prob.y)
    hessian = H <= HESSIAN_MAX_H
    use_torch = N * H <= TORCH_MAX_ENTRIES
    fns: dict[str, Callable[[], object]] = {}
    peer_fns: dict[str, Callable[[], object]] = {}
    skipped: dict[str, str] = {}
    peers: dict[tuple[str, str], dict[str, Callable]] = {}
    for vname, alpha, lam in VARIANTS:
        for pname, p in models(prob.theta, H, alpha).items():
            if largest and lam and probe is not None:
                predicted = probe[pname] * (p.size / probe_P[pname]) ** 2
                if predicted > time_budget:
                    skipped[f"{pname}/{vname}"] = (
                        f"predicted {predicted:.0f} s per call (> {time_budget:g} s budget): "
                        f"`{pname}.decay` forms the dense P x P penalty Hessian "
                        f"({8 * p.size ** 2 / 2 ** 30:.1f} GiB at P = {p.size:,}) even when only "
                        "the loss or the gradient is asked")
                    continue
            for cname, fn in contenders(p, data, lam, hessian).items():
                fns[f"{pname}/{vname}/{cname}"] = fn
            if use_torch:
                obj = torch_objective(p, prob.x, prob.y, alpha, lam)
                peer = {"torch L+G": torch_loss_gradient(obj, p.vector.astype(float))}
                if H <= TORCH_HESSIAN_MAX_H:
                    peer["torch H"] = torch_hessian(obj, p.vector.astype(float))
                peers[(pname, vname)] = peer
                for cname, fn in peer.items():
                    peer_fns[f"{pname}/{vname}/{cname}"] = fn
    if (H, N) == (16, 200):
        net = models(prob.theta, H, 0.0)["Network"]
        fns["kernels L+G"] = lambda: (K.loss(net, data), K.gradient(net, data))
        fns["kernels L+G+H"] = lambda: (K.loss(net, data), K.gradient(net, data),
                                        K.hessian(net, data))
    # symspline's contenders interleaved among themselves, then torch's among themselves: the
    # peer's gigabyte intermediates would otherwise load the memory system during the rounds of
    # the contenders they are not compared with.
    inner = 20 if N * H <= 10_000 else 1
    rounds = max(k, 30) if inner > 1 else k
    peer_rounds = 10 if inner > 1 else min(k, 3)
    t = best_of(fns, k=rounds, inner=inner, budget=20.0)
    if peer_fns:
        t.update(best_of(peer_fns, k=peer_rounds, inner=inner, budget=20.0))
    # agreement with the peer (untimed calls)
    diffs: dict[str, float] = {}
    for (pname, vname), peer in peers.items():
        lam = dict((v[0], v[2]) for v in VARIANTS)[vname]
        p = models(prob.theta, H, dict((v[0], v[1]) for v in VARIANTS)[vname])[pname]
        tl, tg = peer["torch L+G"]()
        ev = symspline.evaluate(p, data, weight_decay=lam)
        d = {"loss": abs(ev.loss / tl - 1), "gradient": rel(ev.gradient, tg)}
        if "torch H" in peer:
            d["Hessian"] = rel(ev.hessian, peer["torch H"]())
        diffs[f"{pname}/{vname}"] = max(d.values())
    return {"times": t, "peer_rounds": peer_rounds if peer_fns else 0,
            "skipped": skipped, "diffs": diffs, "hessian": hessian,
            "torch": use_torch, "torch_hessian": use_torch and H <= TORCH_HESSIAN_MAX_H,
            "rounds": rounds, "inner": inner}


# ---------------------------------------------------------------------------- report
def bound(x: float) -> str:
    """A power-of-ten upper bound: 3.2e-15 -> '< 1e-14'."""
    if x == 0:
        return "= 0"
    return f"< 1e{math.floor(math.log10(x)) + 1}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "-"
    q = a / b
    return f"{q:.2f}x" if q >= 0.1 else f"{q:.2g}x"


QUANTITIES = ("evaluate L+G", "evaluate L+G+H", "loss", "gradient", "hessian")


def render(results: dict, wall: float, quick: bool, machine: str) -> tuple[str, list[str]]:
    import torch

    lines = ["## Cost of the two models: leaky ReLU and weight decay", "",
             "Generated by `python benchmarks/bench_models.py" + (" --quick" if quick else "")
             + f"` (one process, one run, total {wall:.0f} s); best of k rounds. At each size "
             "symspline's contenders run interleaved round by round, then torch's (so that the "
             "peer's large intermediates do not load the rounds of the symspline comparisons).",
             f"Machine: {machine}; torch "
             f"{torch.__version__} with {torch.get_num_threads()} threads.", "",
             f"Variants: ReLU; leaky ReLU with alpha = {ALPHA:g}; leaky ReLU with weight decay "
             f"lambda = {LAM:g} ((lambda/2) ||theta||^2 for `Network`, its orbit minimum "
             "lambda sum_i |mu_i| sqrt(1 + beta_i^2) + lambda c^2 / 2 for `Spline`). Problem as in "
             "bench_hessian.py (x uniform on [-2, 2], breakpoints inside the data, seeded); the "
             "sorted `Dataset` is built once, outside the timings. `evaluate L+G` is "
             "`ev = symspline.evaluate(p, data, weight_decay=lam)` then `ev.loss, ev.gradient` "
             "(`L+G+H` adds `ev.hessian`); `loss`, `gradient`, `hessian` are the plain "
             "`symspline.*` calls with `weight_decay=lam`. The peer is torch autodiff in float64 "
             "on the explicit N x H pre-activations: loss + gradient by `backward()`, Hessian by "
             "`torch.autograd.functional.hessian`.", "",
             "### symspline: each variant against the ReLU", "",
             "Best time; in brackets the ratio to the ReLU without decay, same parameterization "
             "and quantity, measured in this run.", "",
             "| H | N | params | variant | " + " | ".join(QUANTITIES) + " |",
             "|---:|---:|---|---|" + "---:|" * len(QUANTITIES)]
    notes: list[str] = []
    flagged: list[str] = []
    cells_total = 0
    peer_rows: list[str] = []
    for (H, N), res in results.items():
        t = res["times"]
        for pname in ("Network", "Spline"):
            for vname, _, _ in VARIANTS:
                key = f"{pname}/{vname}"
                if key in res["skipped"]:
                    lines.append(f"| {H:,} | {N:,} | {pname} | {vname} | not run"
                                 + " |" * len(QUANTITIES))
                    notes.append(f"({H:,}, {N:,}) {pname} {vname}: {res['skipped'][key]}.")
                    continue
                cells = []
                for c in QUANTITIES:
                    mine, base = t.get(f"{key}/{c}"), t.get(f"{pname}/ReLU/{c}")
                    if mine is None:
                        cells.append("-")
                    elif vname == "ReLU":
                        cells.append(fmt_time(mine))
                    else:
                        cells.append(f"{fmt_time(mine)} ({ratio(mine, base)})")
                        cells_total += 1
                        if base and mine / base > 1.3:
                            flagged.append(f"{pname} {vname} `{c}` at ({H:,}, {N:,}) "
                                           f"{mine / base:.2f}x")
                lines.append(f"| {H:,} | {N:,} | {pname} | {vname} | " + " | ".join(cells) + " |")
                lg, tlg = t.get(f"{key}/evaluate L+G"), t.get(f"{key}/torch L+G")
                if tlg is not None:
                    lgh, th = t.get(f"{key}/evaluate L+G+H"), t.get(f"{key}/torch H")
                    peer_rows.append(
                        f"| {H:,} | {N:,} | {pname} | {vname} | {fmt_time(tlg)} | "
                        f"{ratio(lg, tlg)} | {ratio(t.get(f'{key}/gradient'), tlg)} | "
                        f"{fmt_time(th) if th else '-'} | {ratio(lgh, th)} | "
                        f"{ratio(t.get(f'{key}/hessian'), th)} |")
    lines.append("")
    for (H, N), res in results.items():
        why = []
        if not res["hessian"]:
            why.append(f"loss and gradient only (H > {HESSIAN_MAX_H})")
        of = f" rounds of {res['inner']} calls" if res["inner"] > 1 else " rounds"
        rounds = f"symspline best of {res['rounds']}{of}"
        if res["peer_rounds"]:
            rounds += f", torch best of {res['peer_rounds']}{of}"
        lines.append(f"At ({H:,}, {N:,}): {rounds}" + ("; " + "; ".join(why) if why else "")
                     + ".")
    if flagged:
        lines += ["", f"Above 1.3x the ReLU in this run ({len(flagged)} of {cells_total} variant "
                  "cells): " + "; ".join(flagged) + "."]
    else:
        lines += ["", f"No variant cell ({cells_total}) is above 1.3x the ReLU in this run."]
    if notes:
        lines += ["", "Not run: " + " ".join(notes)]
    lines += ["", "### symspline against torch autodiff", "",
              "Ratios symspline time / torch time measured in this run (below 1: symspline "
              "faster).", "",
              "| H | N | params | variant | torch L+G | evaluate L+G / torch L+G | "
              "gradient / torch L+G | torch Hessian | evaluate L+G+H / torch Hessian | "
              "hessian / torch Hessian |", "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|"]
    lines += peer_rows
    no_peer = [f"({H:,}, {N:,})" for (H, N), res in results.items() if not res["torch"]]
    if no_peer:
        lines += ["", "No torch peer at " + ", ".join(no_peer) + f": its N x H intermediates "
                  f"would exceed {TORCH_MAX_ENTRIES:.0e} entries. The torch Hessian runs only "
                  f"at H <= {TORCH_HESSIAN_MAX_H}."]
    diffs = {f"({H:,}, {N:,}) {k}": v for (H, N), res in results.items()
             for k, v in res["diffs"].items()}
    worst = max(diffs.values()) if diffs else float("nan")
    lines += ["", "Agreement with torch: symspline's loss, gradient and (where the torch Hessian "
              f"runs) Hessian match the peer's to a relative difference {bound(worst)} (largest "
              f"{worst:.1e}, max|a - b| / max|b| over {len(diffs)} size/parameterization/variant "
              "combinations)."]
    small = results.get((16, 200))
    if small:
        t = small["times"]
        lines += ["", "### Overhead of `evaluate` on the small-size path", "",
                  "ReLU without decay, `Network` at (16, 200): `evaluate L+G` / (`kernels.loss` + "
                  f"`kernels.gradient`) = {ratio(t['Network/ReLU/evaluate L+G'], t['kernels L+G'])}"
                  "; `evaluate L+G+H` / (`kernels.loss` + `kernels.gradient` + "
                  f"`kernels.hessian`) = "
                  f"{ratio(t['Network/ReLU/evaluate L+G+H'], t['kernels L+G+H'])}."]
    return "\n".join(lines), flagged


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes; print only")
    ap.add_argument("-k", type=int, default=7,
                    help="rounds at the large sizes (best of k; torch: at most 3)")
    ap.add_argument("--time-budget", type=float, default=2.0,
                    help="largest predicted time of one weight-decay call at the largest size, "
                    "in seconds (default 2)")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    largest = max(sizes, key=lambda s: s[0] * s[1])
    probe = probe_P = None
    results = {}
    for H, N in sizes:
        if (H, N) == largest and H > HESSIAN_MAX_H:
            p1000 = make_problem(HESSIAN_MAX_H, 10)
            probe = decay_probe(p1000.theta, HESSIAN_MAX_H)
            probe_P = {n: p.size for n, p in models(p1000.theta, HESSIAN_MAX_H, ALPHA).items()}
            log(f"decay probe at H = {HESSIAN_MAX_H}: "
                + ", ".join(f"{n} {fmt_time(v)}" for n, v in probe.items()))
        res = run_size(H, N, args.k, (H, N) == largest, probe, probe_P, args.time_budget)
        results[(H, N)] = res
        log(f"({H}, {N}): " + ", ".join(f"{n} {fmt_time(v)}" for n, v in res["times"].items()))
        log(f"  max rel diff vs torch: {max(res['diffs'].values(), default=float('nan')):.1e}; "
            f"skipped: {list(res['skipped'])}")
    body, flagged = render(results, time.perf_counter() - start, args.quick, machine_line())
    if args.quick:
        print(body)
    else:
        update_section("bench_models", body)
        log("updated the bench_models section of docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
