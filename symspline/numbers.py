"""Number kinds (float, exact, symbolic) and safe parsing of exact numbers from text."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from fractions import Fraction
from typing import Literal

import numpy as np
import sympy as sp

from .errors import ParseError

Kind = Literal["float", "exact", "symbolic"]

_INT = r"[+-]?\d+"
_DEC = r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?"
_RATIONAL_RE = re.compile(rf"^\s*({_INT})\s*/\s*({_INT})\s*$")
_INT_RE = re.compile(rf"^\s*{_INT}\s*$")
_DEC_RE = re.compile(rf"^\s*{_DEC}\s*$")
_MAX_DIGITS = 4000


def parse_number(text: str, *, exact_decimals: bool = False) -> sp.Rational | float:
    """Parse one number from text without evaluating it as code.

    Accepted forms: an integer (``-3``, exact), a ratio of integers (``2/7``, exact) and a decimal
    (``0.25``, ``1e-3``). Decimals are floats unless ``exact_decimals`` is true, in which case they
    become the exact rational of the written digits (``0.1`` -> 1/10), never of a binary float.

    Raises
    ------
    ParseError
        For anything else, including a zero denominator, NaN or infinity and absurdly long digits.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected a number as text, got {type(text).__name__}")
    t = text.strip()
    if len(t) > _MAX_DIGITS:
        raise ParseError(f"number with {len(t)} characters is too long")
    if _INT_RE.match(t):
        return sp.Integer(int(t))
    m = _RATIONAL_RE.match(t)
    if m:
        p, q = int(m.group(1)), int(m.group(2))
        if q == 0:
            raise ParseError(f"zero denominator in {t!r}")
        return sp.Rational(p, q)
    if _DEC_RE.match(t):
        if exact_decimals:
            exp = t.lower().split("e")
            if len(exp) == 2 and abs(int(exp[1])) > 1000:
                raise ParseError(f"exponent too large in {t!r}")
            f = Fraction(t)
            return sp.Rational(f.numerator, f.denominator)
        value = float(t)
        if not math.isfinite(value):
            raise ParseError(f"number {t!r} overflows a float")
        return value
    shown = t if len(t) <= 40 else t[:37] + "..."
    raise ParseError(f"not a number: {shown!r} (expected an integer, p/q, or a decimal)")


def is_exact(value: object) -> bool:
    """True for Python/NumPy integers, Fractions and SymPy rationals (not floats, not symbols)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | np.integer | Fraction):
        return True
    return isinstance(value, sp.Rational)


def to_exact(value: object) -> sp.Rational:
    """Convert an exact scalar (int, Fraction, SymPy Rational) to a SymPy Rational."""
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, int | np.integer):
        return sp.Integer(int(value))
    if isinstance(value, sp.Rational):
        return value
    raise TypeError(f"not an exact number: {value!r}")


def kind_of(value: object) -> Kind:
    """The kind of one scalar: ``"exact"``, ``"float"`` or ``"symbolic"``."""
    if is_exact(value):
        return "exact"
    if isinstance(value, float | np.floating):
        return "float"
    if isinstance(value, sp.Float):
        return "float"
    if isinstance(value, sp.Basic):
        if value.free_symbols:
            return "symbolic"
        if value.is_Rational:
            return "exact"
        if value.is_number and value.is_real is not False:
            # Exact algebraic numbers such as sqrt(2) stay exact.
            return "exact"
        raise ParseError(f"not a real number: {value}")
    raise ParseError(f"not a number: {value!r} of type {type(value).__name__}")


def combine_kinds(kinds: Iterable[Kind]) -> Kind:
    """The kind of a computation mixing these kinds: symbolic > float > exact."""
    ks = set(kinds)
    if "symbolic" in ks:
        return "symbolic"
    if "float" in ks:
        return "float"
    return "exact"


def as_kind(values: Iterable[object], kind: Kind) -> np.ndarray:
    """Values as a read-only array of the given kind (float64 for floats, SymPy objects otherwise)."""
    vals = list(values)
    if kind == "float":
        arr = np.array([float(v) for v in vals], dtype=np.float64)
    else:
        conv = [to_sympy(v) for v in vals]
        arr = np.empty(len(conv), dtype=object)
        arr[:] = conv
    arr.setflags(write=False)
    return arr


def to_sympy(value: object) -> sp.Expr:
    """A number or SymPy object as a SymPy object; text is parsed as a number, never evaluated."""
    if isinstance(value, str):
        value = parse_number(value)
    if is_exact(value):
        return to_exact(value)
    if isinstance(value, float | np.floating):
        return sp.Float(float(value))
    if isinstance(value, sp.Basic):
        return value
    raise ParseError(f"not a number: {value!r} of type {type(value).__name__}")


def scalar_as_kind(value: object, kind: Kind) -> object:
    """One scalar converted to the given kind."""
    if isinstance(value, str):
        value = parse_number(value)
    if kind == "float":
        return float(value)
    return to_sympy(value)
