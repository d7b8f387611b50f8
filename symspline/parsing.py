"""Safe parsing of user-written expressions into SymPy: a whitelist walk over Python's AST, never eval."""

from __future__ import annotations

import ast
from collections.abc import Mapping

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


def parse_expression(text: str, symbols: Mapping[str, sp.Symbol] | None = None, *,
                     functions: Mapping[str, tuple[object, int]] = FUNCTIONS) -> sp.Expr:
    """Parse ``text`` into a SymPy expression using only whitelisted names and operations.

    Accepted: numbers (integers and decimals exactly, e.g. ``0.1`` is 1/10), the names in
    ``symbols`` and :data:`CONSTANTS`, ``+ - * / **`` with a numeric exponent of magnitude at most
    64, parentheses, and calls of the functions in :data:`FUNCTIONS`. Everything else -- attribute
    access, subscripts, names not listed, keywords, lambdas, comprehensions, strings, ``^`` --
    is refused with a :class:`ParseError` naming it. The text is never evaluated as code.

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
    return _Builder(text.strip(), names, functions).build(tree.body, 0)


class _Builder:
    def __init__(self, source: str, names: dict[str, sp.Symbol],
                 functions: Mapping[str, tuple[object, int]]) -> None:
        self.source = source
        self.names = names
        self.functions = functions

    def build(self, node: ast.AST, depth: int) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise ParseError("expression is nested too deeply")
        d = depth + 1
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            allowed = sorted([*self.names, *CONSTANTS])
            raise ParseError(f"unknown name {node.id!r} (allowed: {', '.join(allowed)})")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
            operand = self.build(node.operand, d)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self._binop(node, d)
        if isinstance(node, ast.Call):
            return self._call(node, d)
        raise ParseError(f"{type(node).__name__.lower()} is not allowed in an expression")

    def _number(self, node: ast.Constant) -> sp.Expr:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ParseError(f"only numbers are allowed as constants, got {node.value!r}")
        segment = ast.get_source_segment(self.source, node) or repr(node.value)
        if len(segment) > MAX_DIGITS:
            raise ParseError(f"number with {len(segment)} digits is too long")
        return parse_number(segment.replace("_", ""), exact_decimals=True)

    def _binop(self, node: ast.BinOp, depth: int) -> sp.Expr:
        left = self.build(node.left, depth)
        if isinstance(node.op, ast.Pow):
            exponent = self.build(node.right, depth)
            if not exponent.is_Rational:
                raise ParseError("exponents must be numbers (e.g. x**2 or x**(1/2))")
            if abs(exponent) > MAX_EXPONENT:
                raise ParseError(f"exponent {exponent} is larger than {MAX_EXPONENT}")
            if left.is_Number and abs(left) > 10**6 and abs(exponent) > 8:
                raise ParseError("power of a large number is too large")
            return left**exponent
        right = self.build(node.right, depth)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            if right == 0:
                raise ParseError("division by zero")
            return left / right
        raise ParseError(f"operator {type(node.op).__name__} is not allowed")

    def _call(self, node: ast.Call, depth: int) -> sp.Expr:
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
        args = [self.build(a, depth) for a in node.args]
        return func(*args)  # type: ignore[operator]


def parse_interval(text: str) -> tuple[sp.Rational, sp.Rational]:
    """Parse ``"a b"`` or ``"a,b"`` (exact numbers) into an interval with a < b."""
    parts = text.replace(",", " ").split()
    if len(parts) != 2:
        raise ParseError(f"an interval is two numbers 'a b', got {text!r}")
    a, b = (parse_number(p, exact_decimals=True) for p in parts)
    if not a < b:
        raise ParseError(f"empty interval [{a}, {b}]: need a < b")
    return a, b
