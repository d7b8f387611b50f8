"""Safe parsing of user-written expressions into SymPy: a whitelist walk over Python's AST, never eval."""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from typing import NamedTuple

import sympy as sp

from .errors import ParseError
from .numbers import parse_number

#: Functions a user may call in an expression, by the name they write.
FUNCTIONS: Mapping[str, tuple[object, int]] = {
    "sqrt": (sp.sqrt, 1), "exp": (sp.exp, 1), "log": (sp.log, 1), "sin": (sp.sin, 1),
    "cos": (sp.cos, 1), "tan": (sp.tan, 1), "tanh": (sp.tanh, 1), "abs": (sp.Abs, 1),
    "Abs": (sp.Abs, 1), "max": (sp.Max, 2), "Max": (sp.Max, 2), "min": (sp.Min, 2),
    "Min": (sp.Min, 2), "relu": (lambda t: sp.Max(0, t), 1),
}
#: Named constants.
CONSTANTS: Mapping[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

MAX_LENGTH = 2000
MAX_EXPONENT = 64
MAX_DEPTH = 60
MAX_DIGITS = 200
#: Bound on the degree of the expression once expanded (powers of powers multiply degrees).
MAX_DEGREE = 64
#: Bound on the bits of any integer in the expression once expanded (about 3000 decimal digits).
MAX_BITS = 10_000


class _Size(NamedTuple):
    """Upper bounds on the expression once expanded: degree, integer bits, log2 of the terms.

    Each bound is computed from those of the operands before the operation is built, so a
    33-character ``((x+1)**64)**64`` (degree 4096) or a tower ``((999999**8)**8)**8`` is refused
    before SymPy expands or evaluates anything; checking each power alone misses both.
    """

    degree: float
    bits: float
    log_terms: float


def parse_expression(text: str, symbols: Mapping[str, sp.Symbol] | None = None, *,
                     functions: Mapping[str, tuple[object, int]] = FUNCTIONS,
                     subscripts: Mapping[str, object] | None = None) -> sp.Expr:
    """Parse ``text`` into a SymPy expression using only whitelisted names and operations.

    Accepted: numbers (integers and decimals exactly, e.g. ``0.1`` is 1/10), the names in
    ``symbols`` and :data:`CONSTANTS`, ``+ - * / **`` with a numeric exponent of magnitude at most
    64, parentheses, and calls of the functions in :data:`FUNCTIONS`. Everything else -- attribute
    access, subscripts, names not listed, keywords, lambdas, comprehensions, strings, ``^`` --
    is refused with a :class:`ParseError` naming it. The text is never evaluated as code.

    ``subscripts`` (optional) maps a name to a callable taking the list of parsed indices, so
    that ``grad[beta1]`` or ``hess[beta1, mu1]`` can name entries of a vector or matrix; without
    it subscripts are refused.

    Raises
    ------
    ParseError
        For anything outside the grammar above, or text longer than 2000 characters.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected an expression as text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"expression of {len(text)} characters is longer than {MAX_LENGTH}")
    if not text.strip():
        raise ParseError("empty expression")
    if "^" in text:
        raise ParseError("'^' is not a power here: write x**2")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ParseError(f"not a valid expression: {exc.msg}") from None
    names = dict(symbols or {})
    return _Builder(text.strip(), names, functions, subscripts or {}).build(tree.body, 0)


#: Most indices a subscript may carry (``hess[a, b]`` has two).
MAX_INDICES = 4


class _Builder:
    def __init__(self, source: str, names: dict[str, sp.Symbol],
                 functions: Mapping[str, tuple[object, int]],
                 subscripts: Mapping[str, object] | None = None) -> None:
        self.source = source
        self.names = names
        self.functions = functions
        self.subscripts = subscripts or {}

    def build(self, node: ast.AST, depth: int) -> sp.Expr:
        return self._build(node, depth)[0]

    def _build(self, node: ast.AST, depth: int) -> tuple[sp.Expr, _Size]:
        if depth > MAX_DEPTH:
            raise ParseError("expression is nested too deeply")
        d = depth + 1
        if isinstance(node, ast.Constant):
            value = self._number(node)
            return value, _Size(0, _bits(value), 0)
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id], _Size(1, 1, 0)
            if node.id in CONSTANTS:
                return CONSTANTS[node.id], _Size(0, 2, 0)
            allowed = sorted([*self.names, *CONSTANTS])
            raise ParseError(f"unknown name {node.id!r} (allowed: {', '.join(allowed)})")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
            operand, size = self._build(node.operand, d)
            return (-operand if isinstance(node.op, ast.USub) else operand), size
        if isinstance(node, ast.BinOp):
            return self._binop(node, d)
        if isinstance(node, ast.Call):
            return self._call(node, d)
        if isinstance(node, ast.Subscript) and self.subscripts:
            return self._subscript(node, d)
        raise ParseError(f"{type(node).__name__.lower()} is not allowed in an expression")

    def _number(self, node: ast.Constant) -> sp.Expr:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ParseError(f"only numbers are allowed as constants, got {node.value!r}")
        segment = ast.get_source_segment(self.source, node) or repr(node.value)
        if len(segment) > MAX_DIGITS:
            raise ParseError(f"number with {len(segment)} digits is too long")
        return parse_number(segment.replace("_", ""), exact_decimals=True)

    def _binop(self, node: ast.BinOp, depth: int) -> tuple[sp.Expr, _Size]:
        left, ls = self._build(node.left, depth)
        if isinstance(node.op, ast.Pow):
            exponent, _ = self._build(node.right, depth)
            if not exponent.is_Rational:
                raise ParseError("exponents must be numbers (e.g. x**2 or x**(1/2))")
            if abs(exponent) > MAX_EXPONENT:
                raise ParseError(f"exponent {exponent} is larger than {MAX_EXPONENT}")
            k = float(abs(exponent))
            # Multinomial bound: the coefficients of (sum of T terms below 2^B)^k stay below
            # (T 2^B)^k; a fractional power of a number has about k B bits.
            size = _Size(ls.degree * k, k * (ls.bits + ls.log_terms) + 1,
                         ls.log_terms * max(k, 1.0))
            _check(size)
            if exponent == 0 and left == 0:
                raise ParseError("0**0 is undefined")
            if left == 0 and exponent < 0:
                raise ParseError("division by zero")
            return left**exponent, size
        right, rs = self._build(node.right, depth)
        if isinstance(node.op, ast.Add | ast.Sub):
            size = _Size(max(ls.degree, rs.degree), max(ls.bits, rs.bits) + 1,
                         _log2_sum(ls.log_terms, rs.log_terms))
            _check(size)
            return (left + right if isinstance(node.op, ast.Add) else left - right), size
        if isinstance(node.op, ast.Mult | ast.Div):
            size = _Size(ls.degree + rs.degree,
                         ls.bits + rs.bits + min(ls.log_terms, rs.log_terms) + 1,
                         ls.log_terms + rs.log_terms)
            _check(size)
            if isinstance(node.op, ast.Mult):
                return left * right, size
            if right == 0:
                raise ParseError("division by zero")
            return left / right, size
        raise ParseError(f"operator {type(node.op).__name__} is not allowed")

    def _subscript(self, node: ast.Subscript, depth: int) -> tuple[sp.Expr, _Size]:
        # An entry such as hess[beta1, mu1]: the indices are names, the entry one new quantity.
        if not isinstance(node.value, ast.Name) or node.value.id not in self.subscripts:
            raise ParseError("only these names take subscripts: "
                             + ", ".join(sorted(self.subscripts)))
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if not 1 <= len(items) <= MAX_INDICES:
            raise ParseError(f"{node.value.id}[...] takes 1 to {MAX_INDICES} indices")
        if any(isinstance(a, ast.Slice) for a in items):
            raise ParseError(f"{node.value.id}[...] takes names, not slices")
        entry = self.subscripts[node.value.id]([self.build(a, depth) for a in items])
        return entry, _Size(1, 1, 0)

    def _call(self, node: ast.Call, depth: int) -> tuple[sp.Expr, _Size]:
        if not isinstance(node.func, ast.Name):
            raise ParseError("only plain function names may be called (no attributes)")
        name = node.func.id
        if name not in self.functions:
            raise ParseError(f"unknown function {name!r} (allowed: {', '.join(sorted(self.functions))})")
        if node.keywords:
            raise ParseError(f"{name}() takes no keyword arguments")
        func, arity = self.functions[name]
        if len(node.args) != arity:
            raise ParseError(f"{name}() takes {arity} argument(s), got {len(node.args)}")
        built = [self._build(a, depth) for a in node.args]
        args = [e for e, _ in built]
        # A function of its arguments is no larger, once expanded, than they are together.
        size = _Size(max(z.degree for _, z in built), max(z.bits for _, z in built) + 1,
                     max(z.log_terms for _, z in built))
        return func(*args), size  # type: ignore[operator]


def _bits(value: sp.Expr) -> float:
    if value.is_Rational:
        return float(max(int(value.p).bit_length(), int(value.q).bit_length(), 1))
    return 64.0  # a float literal read exactly has a few dozen digits at most


def _log2_sum(a: float, b: float) -> float:
    # log2(2^a + 2^b) without overflow
    hi, lo = max(a, b), min(a, b)
    return hi + math.log2(1.0 + 2.0 ** (lo - hi))


def _check(size: _Size) -> None:
    if size.degree > MAX_DEGREE:
        raise ParseError(f"the expression has degree up to {size.degree:.0f} once expanded, "
                         f"more than {MAX_DEGREE}")
    if size.bits > MAX_BITS:
        raise ParseError(f"the expression holds integers of up to about "
                         f"{size.bits * math.log10(2):.0f} digits once expanded, more than "
                         f"{MAX_BITS * math.log10(2):.0f}")


def parse_interval(text: str) -> tuple[sp.Rational, sp.Rational]:
    """Parse ``"a b"`` or ``"a,b"`` (exact numbers) into an interval with a < b."""
    parts = text.replace(",", " ").split()
    if len(parts) != 2:
        raise ParseError(f"an interval is two numbers 'a b', got {text!r}")
    a, b = (parse_number(p, exact_decimals=True) for p in parts)
    if not a < b:
        raise ParseError(f"empty interval [{a}, {b}]: need a < b")
    return a, b
