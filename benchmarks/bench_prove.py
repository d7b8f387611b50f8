"""Prove times of the theorem checker: every catalogue entry, the theory §2-3 inequalities as claims,
and the false claims of issue 14.

Usage::

    python benchmarks/bench_prove.py            # measure, print, and write the marked
                                                # "Theorem checker" section of docs/benchmarks.md
    python benchmarks/bench_prove.py --no-write # print only

Each catalogue theorem is timed twice, in fresh caches: the full ``prove`` (general first) and the
exhaustive level alone at H = 2, N = 3 (64 patterns). Claims are timed with ``symspline.claim``.
Times are wall-clock seconds on whatever machine runs this; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FALSE_CLAIMS = [
    ("mu1**2 <= 100", 1, 3, ()),
    ("L <= 10**5", 1, 3, ()),
    ("R is PSD", 1, 3, ()),
    ("L convex in (beta, mu, c)", 1, 3, ()),
    ("R is PSD", 2, 3, ()),
    ("L convex in (beta, mu, c)", 2, 3, ()),
]


def _clear_caches() -> None:
    import importlib

    # The package re-exports the function catalogue(), so fetch the modules themselves.
    cat = importlib.import_module("symspline.theorems.catalogue")
    core = importlib.import_module("symspline.theorems.core")

    core._CACHE.clear()
    cat._TWINS.clear()


def measure() -> dict:
    from symspline.claims import claim
    from symspline.theorems import catalogue, prove
    from symspline.theorems.catalogue import THEORY_INEQUALITIES

    rows = []
    for name, th in catalogue().items():
        _clear_caches()
        t0 = time.perf_counter()
        full = prove(th, 2, 3)
        t_full = time.perf_counter() - t0
        _clear_caches()
        t0 = time.perf_counter()
        exh = prove(th, 2, 3, strategies=("exhaustive",))
        t_exh = time.perf_counter() - t0
        rows.append((name, full.label, t_full, exh.label, t_exh))
        print(f"{name:20s} {full.label:32s} {t_full:7.2f} s | exhaustive: {exh.label:32s} "
              f"{t_exh:7.2f} s", flush=True)
    ineq = []
    for ref, statement, text, hyp, H, N, how in THEORY_INEQUALITIES:
        if not text:
            ineq.append((ref, statement, "-", how, None))
            continue
        _clear_caches()
        t0 = time.perf_counter()
        res = claim(text, H, N, assume=hyp)
        dt = time.perf_counter() - t0
        label = res.label + (f" [assuming {', '.join(hyp)}]" if hyp else "")
        ineq.append((ref, statement, text, label, dt))
        print(f"theory §{ref}: {text} -> {label} {dt:.2f} s", flush=True)
    false = []
    for text, H, N, hyp in FALSE_CLAIMS:
        _clear_caches()
        t0 = time.perf_counter()
        res = claim(text, H, N, assume=hyp)
        dt = time.perf_counter() - t0
        false.append((text, H, N, res.label, dt))
        print(f"{text} (H={H}, N={N}) -> {res.label} {dt:.2f} s", flush=True)
    return {"catalogue": rows, "inequalities": ineq, "false": false}


def render(m: dict) -> str:
    out = ["## Theorem checker", "",
           "`python benchmarks/bench_prove.py` (SymPy "
           f"{__import__('sympy').__version__}, Python {platform.python_version()}, "
           f"{os.cpu_count()} CPUs, shared machine; wall-clock seconds, fresh caches per row). "
           "Levels: proved (general) = symbolic N, every width; proved (exhaustive, H, N) = every "
           "activation pattern at that size with exact certificates; tested = sampled, not a "
           "proof; refuted = exact counterexample inside its pattern (docs/claims.md).", "",
           "Catalogue (`symspline prove NAME`): the full prover, and the exhaustive level alone "
           "at H = 2, N = 3 (64 patterns).", "",
           "| theorem | level reached | seconds | exhaustive level alone | seconds |",
           "| --- | --- | --- | --- | --- |"]
    for name, lab, t, elab, te in m["catalogue"]:
        out.append(f"| {name} | {lab} | {t:.2f} | {elab} | {te:.2f} |")
    out += ["", "theory §2-3 inequalities as user claims (`symspline.claim`):", "",
            "| theory § | claim | outcome | seconds |", "| --- | --- | --- | --- |"]
    for ref, statement, text, lab, dt in m["inequalities"]:
        if dt is None:
            out.append(f"| {ref} | {statement} | {lab} | - |")
        else:
            out.append(f"| {ref} | `{text}` | {lab} | {dt:.2f} |")
    out += ["", "False claims of issue 14 (each must be refuted with an exact counterexample "
            "inside its pattern):", "", "| claim | H | N | outcome | seconds |",
            "| --- | --- | --- | --- | --- |"]
    for text, H, N, lab, dt in m["false"]:
        out.append(f"| `{text}` | {H} | {N} | {lab} | {dt:.2f} |")
    return "\n".join(out) + "\n"


BEGIN, END = "<!-- bench_prove: begin -->", "<!-- bench_prove: end -->"


def write_section(section: str, path: Path) -> None:
    """Replace (or append) this script's marked section, keeping every other section (the other
    benchmark scripts own theirs)."""
    from symspline.io import write_text

    text = path.read_text() if path.exists() else ""
    block = f"{BEGIN}\n{section.rstrip()}\n{END}"
    marked = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    unmarked = re.compile(r"^## Theorem checker\n.*?(?=^<!-- |^## |\Z)", re.S | re.M)
    if marked.search(text):
        text = marked.sub(lambda _: block, text)
    elif unmarked.search(text):
        text = unmarked.sub(lambda _: block + "\n\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    write_text(path, text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = ap.parse_args(argv)
    section = render(measure())
    print()
    print(section)
    if not args.no_write:
        write_section(section, args.out)
        print(f"wrote the Theorem checker section of {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
