"""`symspline latex NAME`: the LaTeX of one derivation (or theorem), ready to paste into a paper."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ..errors import UnknownNameError
from ..render.report import paste_ready, render_latex, render_latex_body, theorem_display
from ._common import add_json, emit_json, payload_head
from .derive import derivations_package


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("latex", help="print the LaTeX of a derivation or theorem",
                       description="Run one derivation (quick mode, default seed) and print its LaTeX "
                       "section; with --standalone a complete document. Theorem names print the "
                       "theorem's statement.")
    p.add_argument("name", metavar="NAME", help="derivation or theorem name (see `symspline list`)")
    p.add_argument("--standalone", action="store_true", help="a complete LaTeX document")
    add_json(p)
    p.set_defaults(handler=run)


def latex_of(name: str, standalone: bool = False) -> str:
    """LaTeX for a derivation or a theorem name."""
    derivations = derivations_package()

    mods = derivations.available()
    if name in mods:
        # The derivation writes its figures somewhere; nothing of it may outlive the call.
        with tempfile.TemporaryDirectory(prefix="symspline-latex-") as ctx_dir:
            result = mods[name].run(derivations.Context(out_dir=Path(ctx_dir), quick=True))
            return render_latex(result) if standalone else render_latex_body(result)
    from ..theorems import catalogue

    theorems = catalogue()
    if name in theorems:
        return theorems[name].latex
    known = ", ".join([*mods, *theorems])
    raise UnknownNameError(f"unknown derivation or theorem {name!r}; known: {known}")


def run(args: argparse.Namespace) -> int:
    if args.json:
        text = latex_of(args.name, args.standalone)
        emit_json({**payload_head(args), "name": args.name, "standalone": bool(args.standalone),
                   "latex": text})
    else:
        print(paste_ready_of(args.name, args.standalone))
    return 0


def paste_ready_of(name: str, standalone: bool = False) -> str:
    """The text output: the LaTeX with a leading comment naming the packages, labels and figures
    it needs; a theorem as a labelled equation."""
    derivations = derivations_package()

    mods = derivations.available()
    if name not in mods:
        return paste_ready(theorem_display(name, latex_of(name)), name)
    with tempfile.TemporaryDirectory(prefix="symspline-latex-") as ctx_dir:
        result = mods[name].run(derivations.Context(out_dir=Path(ctx_dir), quick=True))
    body = render_latex(result) if standalone else render_latex_body(result)
    return paste_ready(body, name, figures=result.figures, standalone=standalone)
