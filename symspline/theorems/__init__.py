"""The theorem checker: theory §1-3 as Theorem records: proved, tested (never a proof), or refuted.

>>> from symspline.theorems import catalogue, prove
>>> prove(catalogue()["2.2"]).level
'general'
"""

from __future__ import annotations

from ..errors import UnknownNameError
from .catalogue import catalogue
from .core import Counterexample, Instance, Obligation, ProofResult, Theorem, prove, register_named

# The prover's parallel exhaustive level looks catalogue theorems up by name in worker processes
# (which import this package first); core itself does not import the catalogue built on it.
register_named(catalogue)


def get(name: str) -> Theorem:
    """One theorem of the catalogue by name (e.g. "3.1" or "false.R-psd")."""
    cat = catalogue()
    if name not in cat:
        raise UnknownNameError(f"unknown theorem {name!r}; known: {', '.join(cat)}")
    return cat[name]


__all__ = ["Counterexample", "Instance", "Obligation", "ProofResult", "Theorem", "catalogue",
           "get", "prove"]
