"""`symspline list`: the derivations and theorems, each with its one-line statement."""

from __future__ import annotations

import argparse

from ._common import add_json, emit_json, payload_head
from .derive import derivations_package


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list derivations and theorems",
                       description="List the derivations (run by `derive`) and the theorems "
                       "(checked by `prove`) with one-line statements.")
    add_json(p)
    p.set_defaults(handler=run)


def entries() -> dict[str, list[dict]]:
    """Derivations and theorems as plain records."""
    derivations = derivations_package()

    derivs = [{"name": name, "section": str(mod.SECTION), "statement": mod.SUMMARY}
              for name, mod in derivations.available().items()]
    from ..theorems import catalogue

    theorems = [{"name": t.name, "statement": t.statement, "expected_false": t.expected_false}
                for t in catalogue().values()]
    return {"derivations": derivs, "theorems": theorems}


def run(args: argparse.Namespace) -> int:
    data = entries()
    if args.json:
        emit_json({**payload_head(args), **data})
        return 0
    print("Derivations (symspline derive NAME):")
    for d in data["derivations"]:
        print(f"  {d['name']:<24} [{d['section']}] {d['statement']}")
    if data["theorems"]:
        print("\nTheorems (symspline prove NAME):")
        for t in data["theorems"]:
            tag = "  (deliberately false: must be refuted)" if t["expected_false"] else ""
            print(f"  {t['name']:<24} {t['statement']}{tag}")
    return 0
