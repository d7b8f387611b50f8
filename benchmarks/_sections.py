"""Shared helpers of the benchmark scripts: timing best of k, machine notes, and report sections.

Several scripts write into one docs/benchmarks.md; each owns the text between its markers
``<!-- NAME: begin -->`` and ``<!-- NAME: end -->`` and replaces only that (appending the block
when the markers are absent), so no script clobbers another's section.
"""

from __future__ import annotations

import gc
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "benchmarks.md"


def update_section(name: str, body: str, path: Path = REPORT) -> None:
    """Replace (or append) the section ``name`` of the report with ``body``, atomically."""
    from symspline.io import write_text

    begin, end = f"<!-- {name}: begin -->", f"<!-- {name}: end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + block + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + ("\n\n" if text.strip() else "") + block
    write_text(path, text)


def best_of(fns: dict[str, Callable[[], object]], k: int = 5, inner: int = 1,
            budget: float = 60.0) -> dict[str, float]:
    """Best-of-``k`` time per call of each function, the functions interleaved round by round.

    Interleaving puts every contender under the same load of the shared machine; ``inner`` calls
    are timed together for functions too fast for one perf_counter reading. The garbage
    collector is off during the rounds, as in :mod:`timeit`.
    """
    best = {name: float("inf") for name in fns}
    start = time.perf_counter()
    gc.collect()
    gc.disable()
    try:
        for _ in range(k):
            for name, fn in fns.items():
                t0 = time.perf_counter()
                for _ in range(inner):
                    fn()
                best[name] = min(best[name], (time.perf_counter() - t0) / inner)
            if time.perf_counter() - start > budget:
                break
    finally:
        gc.enable()
    return best


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo where there is one)."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return cpu


def machine_line() -> str:
    """One line: CPU, cores, load average, Python and NumPy versions, BLAS core type."""
    import numpy as np

    cpu = cpu_name()
    try:
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        load = "unknown"
    core = os.environ.get("OPENBLAS_CORETYPE", "unset")
    return (f"{cpu}, {os.cpu_count()} logical cores, load average {load} (shared machine); "
            f"Python {platform.python_version()}, NumPy {np.__version__}; "
            f"OPENBLAS_CORETYPE={core}")


def fmt_time(t: float) -> str:
    """Seconds as us / ms / s."""
    if t < 1e-3:
        return f"{t * 1e6:.1f} us"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"
