"""`symspline derive`: the main job — run the derivations, write LaTeX and Markdown, print a summary."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

from ..defaults import DEFAULT_SEED
from ..errors import SymsplineError
from ..io import write_text
from ..render.report import (
    Claim,
    Derivation,
    render_index,
    render_latex,
    render_markdown,
    render_report_latex,
    render_report_markdown,
)
from ..render.texbuild import compile_pdf
from ._common import add_json, emit_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "derive", help="run derivations and write LaTeX/Markdown under docs/generated/ (main job)",
        description="Run the derivations of docs/theory.md (all, or the NAMEs given), write NAME.tex "
        "(standalone LaTeX) and NAME.md (Markdown with $$ math) and figures under --out, and print a "
        "summary table. Also writes one combined report.tex / report.md (and report.pdf when "
        "latexmk or pdflatex is installed). Exit 1 if any check or proof failed.")
    p.add_argument("names", nargs="*", metavar="NAME", help="derivations to run (default: all)")
    p.add_argument("--out", default="docs/generated", metavar="DIR",
                   help="output directory (default: docs/generated)")
    p.add_argument("--quick", action="store_true", help="smaller sizes: seconds instead of minutes")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of every random choice")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--no-pdf", action="store_true",
                   help="write report.tex/report.md but do not run LaTeX")
    p.add_argument("--cache", metavar="DIR", default=None,
                   help="reuse results cached in DIR, keyed by a hash of the inputs, library "
                   "versions and every source file (symspline/cache.py), and store new ones there "
                   "(default: $SYMSPLINE_CACHE, else ~/.cache/symspline/derive; "
                   "SYMSPLINE_CACHE=off turns it off)")
    p.add_argument("--no-cache", action="store_true",
                   help="recompute every derivation and store nothing")
    add_json(p)
    p.set_defaults(handler=run)


def derivations_package() -> ModuleType:
    """The ``derivations`` package (one module per section of docs/theory.md).

    It lives beside the library, not inside it: this is the one place symspline imports it
    (``derive``, ``list`` and ``latex`` get it here; the derivation cache only hashes its files).
    Imported on call, so that the library and the other subcommands never load it.
    """
    import derivations

    return derivations


def run(args: argparse.Namespace) -> int:
    derivations = derivations_package()
    mods = derivations.available()
    names = args.names or list(mods)
    for name in names:
        derivations.get(name)  # unknown names are bad input, before any work
    out = Path(args.out)
    from ..cache import default_root

    cache_root = None if args.no_cache else (Path(args.cache) if args.cache else default_root())
    ctx = derivations.Context(out_dir=out, quick=args.quick, seed=args.seed)
    rows = []
    results: list[Derivation] = []
    from tqdm import tqdm

    bar = tqdm(names, desc="derive", unit="derivation", file=sys.stderr,
               disable=args.no_progress or args.json or not sys.stderr.isatty())
    for name in bar:
        bar.set_postfix_str(name)
        mod = mods[name]
        t0 = time.perf_counter()
        try:
            if cache_root is not None:
                from ..cache import run_cached

                result = run_cached(mod, ctx, name, cache_root)
            else:
                result = mod.run(ctx)
        except SymsplineError:
            raise
        except Exception as exc:  # a derivation that crashes is a failed check, not bad input
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            result = Derivation(name=name, title=getattr(mod, "TITLE", name),
                                section=str(getattr(mod, "SECTION", "?")),
                                summary=getattr(mod, "SUMMARY", ""),
                                claims=(Claim(name, "derivation ran", "failed", detail=detail),))
        seconds = time.perf_counter() - t0
        write_text(out / f"{name}.tex", render_latex(result))
        write_text(out / f"{name}.md", render_markdown(result))
        results.append(result)
        rows.append({"derivation": name, "section": result.section, "statement": result.summary,
                     "level": result.level,
                     "levels": result.level_counts, "level_summary": result.level_summary,
                     "agreement": result.agreement, "ok": result.ok,
                     "claims": len(result.claims), "seconds": round(seconds, 3),
                     "failed": [c.name for c in result.claims if not c.ok],
                     "errata": [{"claim": c.name, "statement": c.statement, "counterexample": c.detail}
                                for c in result.claims if c.erratum]})
    ok = all(r["ok"] for r in rows)
    if args.names and set(args.names) != set(mods):
        # A partial run must not overwrite the full report with a partial one.
        pdf = "not written (only some derivations ran)"
    else:
        write_text(out / "README.md", render_index(results))
        ordered = sorted(results, key=lambda d: (derivations._section_key(d.section), d.name))
        write_text(out / "report.tex", render_report_latex(ordered))
        write_text(out / "report.md", render_report_markdown(ordered))
        pdf = "skipped (--no-pdf)" if args.no_pdf else compile_pdf(out / "report.tex")
    if args.json:
        for r in rows:  # docs/json.md rule 4: no null without a reason
            if r["agreement"] is None:
                r["agreement_reason"] = "no numeric check in this derivation"
        emit_json({"ok": ok, "command": "derive", "out": str(out), "derivations": rows,
                   "report": {"tex": str(out / "report.tex"), "md": str(out / "report.md"),
                              "pdf": pdf}})
    else:
        _print_table(rows)
        print(f"\nproof levels over all claims: {_level_totals(results)}")
        print(f"\nwrote {len(results)} derivation(s) to {out}/ "
              f"({'all checks passed' if ok else 'SOME CHECKS FAILED'})")
        print(f"report: {out / 'report.tex'}, {out / 'report.md'}; PDF: {pdf}")
        from ..render.display import plain_text

        for d in results:
            for c in d.claims:
                if c.erratum:
                    print(f"erratum of the source ({d.name}, {c.name}; corrected in docs/theory.md): "
                          f"{plain_text(c.statement)} -- refuted: {plain_text(c.detail)}")
    # TeX being absent is fine (the .tex is the product); TeX failing on our .tex is a defect.
    tex_failed = pdf.startswith(("LaTeX failed", "LaTeX timed out"))
    if tex_failed and not args.json:
        print("the combined report does not compile: see the LaTeX error above", file=sys.stderr)
    return 0 if ok and not tex_failed else 1


def _level_totals(results: list) -> str:
    """Claims per level over every derivation, proofs first; tested ones are never proofs."""
    from ..render.report import LEVEL_LABELS, LEVELS

    counts = {lv: sum(1 for d in results for c in d.claims if c.level == lv) for lv in LEVELS}
    return ", ".join(f"{n} {LEVEL_LABELS[lv]}" for lv, n in counts.items() if n) or "-"


def _print_table(rows: list[dict]) -> None:
    from ..render.display import plain_text  # the statements carry $...$ LaTeX: unicode on a terminal

    head = ("derivation", "sec", "statement", "proof levels reached", "numeric", "time", "status")
    table = [head]
    for r in rows:
        text = plain_text(r["statement"])
        stmt = text if len(text) <= 48 else text[:45].rstrip() + "..."
        agr = "-" if r["agreement"] is None else f"{r['agreement']:.1e}"
        table.append((r["derivation"], r["section"], stmt, r["level_summary"], agr, f"{r['seconds']:.1f}s",
                      "ok" if r["ok"] else "FAILED: " + ", ".join(r["failed"])))
    widths = [max(len(str(row[i])) for row in table) for i in range(len(head))]
    for j, row in enumerate(table):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if j == 0:
            print("  ".join("-" * w for w in widths))
