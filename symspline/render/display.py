"""Notebook renderings: LaTeX for symbolic objects, HTML/Markdown/LaTeX tables for numeric results.

Jupyter calls ``_repr_latex_`` / ``_repr_html_`` / ``_repr_markdown_`` on the value of a cell; the
parameter, loss, report and theorem classes look their renderer up in :mod:`symspline.reprs`,
where :mod:`symspline.render` registers the functions here, so that the renderings live in one
place and the value objects do not import them. Nothing here prints or imports a notebook package.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..errors import InputError, SymsplineError
from ..numbers import to_sympy
from ..params import Network, Spline
from ..piecewise import PiecewiseLoss
from ..records import Claim, Derivation

#: Significant digits shown for floats (renderings only; values are never rounded in computation).
DIGITS = 6
#: Units shown in a formula before eliding the rest with \cdots.
MAX_TERMS = 16
#: Pieces of a PiecewiseLoss written out in full.
MAX_PIECES = 8

_X = sp.Symbol("x", real=True)


# ------------------------------------------------------------------ numbers
def _sym(value: object) -> sp.Expr:
    """A SymPy value for rendering: floats rounded to DIGITS significant digits."""
    if isinstance(value, float | np.floating):
        return sp.Float(float(f"{float(value):.{DIGITS}g}"))
    if isinstance(value, int | np.integer):
        return sp.Integer(int(value))
    return to_sympy(value)


def number_latex(value: object) -> str:
    """LaTeX for one number: floats to DIGITS significant digits (1.5 \\cdot 10^{-7}), exact as is."""
    return sp.latex(_sym(value), full_prec=False)


def number_text(value: object) -> str:
    """Plain text for one number (floats ``%.6g``, exact rationals ``p/q``, symbols by name).

    A float zero prints as ``0``, never ``-0``.
    """
    if isinstance(value, float | np.floating):
        v = float(value)
        return "0" if v == 0 else f"{v:.{DIGITS}g}"
    return str(value)


# ------------------------------------------------------------------ terminal and REPL
#: Entries shown at each end of a long parameter vector in a repr (NumPy's ``edgeitems``).
EDGE_ITEMS = 3


def _seq_text(values: Sequence[object], kind: str) -> str:
    vals = list(values)
    if kind == "float":
        arr = np.asarray(vals, dtype=np.float64) + 0.0  # + 0.0 turns -0.0 into 0.0
        return np.array2string(arr, separator=", ", threshold=2 * EDGE_ITEMS,
                               edgeitems=EDGE_ITEMS, max_line_width=10**6)
    items = [str(v) for v in vals]
    if len(items) > 2 * EDGE_ITEMS:
        items = [*items[:EDGE_ITEMS], "...", *items[-EDGE_ITEMS:]]
    return "[" + ", ".join(items) + "]"


def _scalar_text(value: object, kind: str) -> str:
    if kind == "float":
        v = float(value) + 0.0  # type: ignore[arg-type]
        # NumPy's array precision (8 digits), positional unless the value is tiny or huge
        if v == 0 or 1e-4 <= abs(v) < 1e16:
            return np.format_float_positional(v, precision=8, trim="-")
        return np.format_float_scientific(v, precision=8, trim="-")
    return str(value)


def params_repr(params: Network | Spline) -> str:
    """``Network(w=[...], b=[...], v=[...], c=...)`` or ``Spline(beta=[...], mu=[...], s=[...],
    c=...)`` with the values shown the way NumPy shows arrays: floats as NumPy prints them, exact
    numbers as ``p/q``, symbols by name; long vectors elided in the middle like NumPy's."""
    kind = params.kind
    if type(params).__name__ == "Network":
        fields = [("w", params.w), ("b", params.b), ("v", params.v)]  # type: ignore[union-attr]
    else:
        fields = [("beta", params.beta), ("mu", params.mu)]  # type: ignore[union-attr]
    parts = [f"{name}={_seq_text(vals, kind)}" for name, vals in fields]
    if type(params).__name__ == "Spline":
        parts.append(f"s={_seq_text([int(si) for si in params.s], 'exact')}")  # type: ignore[union-attr]
    parts.append(f"c={_scalar_text(params.c, kind)}")
    if params.negative_slope != 0:
        parts.append(f"negative_slope={_scalar_text(params.negative_slope, kind)}")
    return f"{type(params).__name__}({', '.join(parts)})"


def _beside(block: str, note: str) -> str:
    """``note`` to the right of a multi-line pretty-printed block, on its fraction-bar line."""
    lines = block.split("\n")
    width = max(len(ln) for ln in lines)
    bars = [k for k, ln in enumerate(lines) if "─" in ln]
    mid = bars[0] if bars else len(lines) // 2
    return "\n".join((ln.ljust(width) + "  " + note if k == mid else ln).rstrip()
                     for k, ln in enumerate(lines))


def _as_expr(value: object) -> sp.Basic | None:
    """The value as a SymPy object (text is read as a number, never evaluated), or None."""
    try:
        return value if isinstance(value, sp.Basic) else to_sympy(value)
    except (SymsplineError, TypeError, ValueError):
        return None


def pretty(value: object) -> str:
    """Readable math for a terminal: SymPy's unicode pretty printing of the simplified value,
    with the float value beside an exact number that is not an integer (``√2/2 ≈ 0.707107``).

    Floats print with DIGITS significant digits; anything else SymPy does not know is ``str``.
    """
    if isinstance(value, float | np.floating):
        return number_text(value)
    expr = _as_expr(value)
    if expr is None:
        return str(value)
    if isinstance(expr, sp.Expr) and not expr.free_symbols and not expr.is_Integer:
        if not expr.is_Rational:  # nested radicals: sqrt(3 + 2 sqrt 2) is 1 + sqrt 2
            expr = sp.radsimp(sp.sqrtdenest(expr))
        text = sp.pretty(expr, use_unicode=True)
        try:
            approx = float(expr)
        except TypeError:  # complex or undefined
            return text
        return _beside(text, f"≈ {approx:.{DIGITS}g}")
    return sp.pretty(sp.simplify(expr), use_unicode=True)  # relations, sets, symbolic forms


def inline(value: object) -> str:
    """One line of readable math for a table cell: the simplified value in SymPy's unicode
    notation (``√2/8``, ``π``, ``atan(2)``), never LaTeX; floats with DIGITS digits."""
    if isinstance(value, float | np.floating):
        return number_text(value)
    expr = _as_expr(value)
    if expr is None:
        return str(value)
    if isinstance(expr, sp.Expr) and not expr.free_symbols and not expr.is_Rational:
        # nested radicals: the shortest of the value, its denested and its rationalised form
        denested = sp.sqrtdenest(expr)
        expr = min((expr, denested, sp.radsimp(denested)), key=lambda e: len(sp.sstr(e)))
    text = sp.pretty(expr, use_unicode=True)
    if "\n" not in text:
        return text
    # SymPy's two-dimensional layout does not fit a cell: its one-line form, in unicode
    text = sp.sstr(expr).replace("sqrt(", "√(")
    text = re.sub(r"√\((\w+)\)", r"√\1", text)
    for old, new in (("**", "^"), ("*", "·"), ("pi", "π"), ("oo", "∞"), ("exp(1)", "e")):
        text = text.replace(old, new)
    return text


def approx_text(value: object) -> str:
    """A table cell for one value: :func:`inline`, with the float beside an exact number that is
    not an integer (``√6/2 ≈ 1.22474``); floats and integers as they are."""
    text = inline(value)
    if isinstance(value, float | np.floating | int | np.integer):
        return text
    expr = _as_expr(value)
    if expr is None:
        return text
    if not isinstance(expr, sp.Expr) or expr.free_symbols or expr.is_Integer or expr.is_Float:
        return text
    try:
        return f"{text} ≈ {number_text(float(expr))}"
    except TypeError:  # complex or undefined
        return text


#: LaTeX commands and the unicode characters that stand for them in plain text.
_TEX_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "theta": "θ", "lambda": "λ", "mu": "μ", "nu": "ν", "rho": "ρ", "sigma": "σ", "tau": "τ",
    "phi": "φ", "varphi": "φ", "psi": "ψ", "omega": "ω", "pi": "π", "Delta": "Δ", "Sigma": "Σ",
    "Phi": "Φ", "Omega": "Ω", "nabla": "∇", "partial": "∂", "pm": "±", "mp": "∓", "times": "×",
    "cdot": "·", "neq": "≠", "ne": "≠", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥",
    "to": "→", "rightarrow": "→", "Rightarrow": "⇒", "infty": "∞", "in": "∈", "sum": "Σ",
    "int": "∫", "approx": "≈", "sim": "~", "ell": "ℓ", "top": "T", "forall": "∀", "S": "§",
    "succeq": "⪰", "oplus": "⊕", "bigoplus": "⊕", "sqrt": "√", "lim": "lim", "log": "log",
    "ldots": "…", "cdots": "⋯", "dots": "…", "{": "{", "}": "}", "|": "|", "%": "%", "&": "&",
}
_SUPERSCRIPT = str.maketrans("0123456789+-()=nTi", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾⁼ⁿᵀⁱ")
_SUBSCRIPT = str.maketrans("0123456789+-()=aeijkmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₍₎₌ₐₑᵢⱼₖₘₙₒₚᵣₛₜᵤᵥₓ")
_GROUP = r"\{((?:[^{}]|\{[^{}]*\})*)\}"


def _script(body: str, table: dict, mark: str) -> str:
    out = body.translate(table)
    if all(ch in "".join(chr(v) if isinstance(v, int) else v for v in table.values())
           for ch in out):
        return out
    return mark + (body if len(body) == 1 else "(" + body + ")")


def _command(m: re.Match) -> str:
    """A control word or symbol in unicode; an operator written before its operand (``∇``,
    ``∂``, ``Σ``) takes the space after it away, as TeX does, relations keep it."""
    name = m[1] or m[3]
    out = _TEX_SYMBOLS.get(name, name)
    return out if out in "∇∂Σ∫√⊕" and out else out + (m[2] or "")


def _operand(text: str, bare: str) -> str:
    return text if re.fullmatch(bare, text) else f"({text})"


def _math_text(tex: str) -> str:
    """One ``$...$`` span as plain unicode: Greek letters, ∇, ±, sub- and superscripts."""
    t = tex
    for cmd in ("left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "displaystyle"):
        t = re.sub(rf"\\{cmd}(?![A-Za-z])", "", t)
    t = re.sub(r"\\[,;:! ]|\\quad|\\qquad|~", " ", t)
    t = re.sub(r"\\(?:operatorname|mathrm|text|mathbf|mathit|textrm)" + _GROUP, r"\1", t)
    t = re.sub(r"\\mathbb\{?E\}?", "E", t)
    t = re.sub(r"\\[dt]?frac" + _GROUP + _GROUP,
               lambda m: _operand(m[1], r"[\w.]+") + "/" + _operand(m[2], r"\w|\d+"), t)
    t = re.sub(r"\\[dt]?frac(\w)(\w)", r"\1/\2", t)
    t = re.sub(r"\\([A-Za-z]+)( ?)|\\([{}|%&])", _command, t)
    t = re.sub(r"\^(?:" + _GROUP + r"|(\S))", lambda m: _script(m[1] or m[2], _SUPERSCRIPT, "^"), t)
    t = re.sub(r"_(?:" + _GROUP + r"|(\S))", lambda m: _script(m[1] or m[2], _SUBSCRIPT, "_"), t)
    t = t.replace("{", "").replace("}", "")
    return re.sub(r" {2,}", " ", t).strip()


def plain_text(text: str) -> str:
    """Prose with ``$...$`` LaTeX math as plain text for a terminal: each math span in unicode
    (``$\\nabla^2 L = (J^\\top J + R)/N$`` reads ``∇²L = (JᵀJ + R)/N``); no ``$`` or backslash
    is left. Markdown code spans lose their backticks."""
    parts = text.split("$")
    if len(parts) % 2 == 0:  # an unpaired $ is literal text
        return text.replace("`", "")
    return "".join(_math_text(p) if i % 2 else p.replace("`", "")
                   for i, p in enumerate(parts))


def _is_negative(value: object) -> bool:
    try:
        return bool(value < 0)  # type: ignore[operator]
    except TypeError:  # a symbol: its sign is not known
        return False


def _join_terms(terms: list[tuple[object, str]], const: object) -> str:
    """coef * body summed with proper signs, e.g. ``2 [..]_+ - 0.5 [..]_+ + 1``."""
    out = ""
    shown = terms if len(terms) <= MAX_TERMS else terms[: MAX_TERMS - 1]
    for coef, body in shown:
        neg = _is_negative(coef)
        mag = -_sym(coef) if neg else _sym(coef)
        c_tex = "" if mag == 1 else sp.latex(mag, full_prec=False) + r"\,"
        if isinstance(mag, sp.Add):
            c_tex = r"\left(" + sp.latex(mag, full_prec=False) + r"\right)"
        out += (" - " if neg else (" + " if out else "")) + c_tex + body
    if len(terms) > len(shown):
        out += rf" + \cdots\ (\text{{{len(terms) - len(shown)} more units}})"
    if const != 0:
        neg = _is_negative(const)
        mag = -_sym(const) if neg else _sym(const)
        out += (" - " if neg else " + ") + sp.latex(mag, full_prec=False)
    return out or "0"


# ------------------------------------------------------------------ parameters
def _affine(lead: str, const: object, tail: str = "") -> str:
    """``lead +- |const|`` (the constant omitted when zero), then ``tail``; keeps x first."""
    out = lead
    if not (isinstance(const, int | float | np.number | sp.Number) and const == 0):
        neg = _is_negative(const)
        mag = -_sym(const) if neg else _sym(const)
        term = sp.latex(mag, full_prec=False)
        if isinstance(mag, sp.Add):
            term = r"\left(" + term + r"\right)"
        out += (" - " if neg else " + ") + term
    return out + (" " + tail if tail else "")


def network_latex(net: Network) -> str:
    r"""$f(x) = \sum_i v_i [w_i x + b_i]_+ + c$ with the network's values substituted."""
    open_, close = _activation_brackets(net.negative_slope)
    terms = [(vi, open_ + _affine(sp.latex(_sym(wi) * _X, full_prec=False), bi) + close)
             for wi, bi, vi in zip(net.w, net.b, net.v, strict=True)]
    return "$f(x) = " + _join_terms(terms, net.c) + "$" + _activation_note(net.negative_slope)


def _activation_brackets(alpha: object) -> tuple[str, str]:
    """[z]_+ for the ReLU, sigma(z) for the leaky ReLU (defined in :func:`_activation_note`)."""
    if alpha == 0:
        return r"\left[", r"\right]_+"
    return r"\sigma\left(", r"\right)"


def _activation_note(alpha: object) -> str:
    if alpha == 0:
        return ""
    return (r", $\sigma(z) = \max(z, \alpha z)$ with $\alpha = " + number_latex(alpha) + "$")


def spline_latex(spline: Spline) -> str:
    r"""$f(x) = c + \sum_i \mu_i [s_i (x - \beta_i)]_+$ with the spline's values substituted."""
    terms = []
    for bi, mi, si in zip(spline.beta, spline.mu, spline.s, strict=True):
        # [s (x - beta)]_+ is [x - beta]_+ for s = +1 and [beta - x]_+ for s = -1.
        if si < 0:
            inner = _affine(number_latex(bi), 0, "- x")
        elif _is_negative(bi) or bi == 0:
            inner = _affine("x", -bi)
        else:  # positive or symbolic: x - beta
            inner = "x - " + number_latex(bi) if not isinstance(_sym(bi), sp.Add) else \
                r"x - \left(" + number_latex(bi) + r"\right)"
        open_, close = _activation_brackets(spline.negative_slope)
        terms.append((mi, open_ + inner + close))
    return ("$f(x) = " + _join_terms(terms, spline.c) + "$"
            + _activation_note(spline.negative_slope))


def params_table(params: Network | Spline) -> Table:
    """One row per unit: (w, b, v, breakpoint) for a network, (beta, mu, s) for a spline."""
    if isinstance(params, Network):
        rows = []
        for i, (wi, bi, vi) in enumerate(zip(params.w, params.b, params.v, strict=True)):
            bp = "-" if wi == 0 else number_text(-bi / wi)
            rows.append((str(i + 1), number_text(wi), number_text(bi), number_text(vi), bp))
        header = ("unit", "w", "b", "v", "breakpoint -b/w")
    else:
        rows = [(str(i + 1), number_text(bi), number_text(mi), f"{si:+d}")
                for i, (bi, mi, si) in enumerate(zip(params.beta, params.mu, params.s, strict=True))]
        header = ("unit", "beta", "mu", "s")
    caption = f"{type(params).__name__} of width H = {params.H}, c = {number_text(params.c)}"
    if params.negative_slope != 0:
        caption += f", leaky ReLU with negative_slope = {number_text(params.negative_slope)}"
    return Table(header, tuple(rows), caption)


def params_html(params: Network | Spline) -> str:
    """The formula (MathJax in the HTML) above the per-unit table, for numeric parameters."""
    formula = network_latex(params) if type(params).__name__ == "Network" else spline_latex(params)
    return f"<div>{html.escape(formula)}</div>" + params_table(params)._repr_html_()


# ------------------------------------------------------------------ tables
@dataclass(frozen=True)
class Table:
    """A small table of text cells that renders as HTML, Markdown, LaTeX (array) and plain text."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""

    def __str__(self) -> str:
        cells = [self.header, *self.rows]
        widths = [max(len(r[j]) for r in cells) for j in range(len(self.header))]
        lines = [self.caption] if self.caption else []
        for k, r in enumerate(cells):
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        out = ["<table>"]
        if self.caption:
            out.append(f"<caption>{esc(self.caption)}</caption>")
        out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in self.header)
                   + "</tr></thead><tbody>")
        for r in self.rows:
            out.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>")
        out.append("</tbody></table>")
        return "".join(out)

    def _repr_markdown_(self) -> str:
        def cell(c: str) -> str:
            return c.replace("|", "\\|")

        lines = [f"*{self.caption}*", ""] if self.caption else []
        lines.append("| " + " | ".join(cell(h) for h in self.header) + " |")
        lines.append("|" + " --- |" * len(self.header))
        lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in self.rows]
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        def cell(c: str) -> str:
            return _cell_latex(c)

        spec = "l" * len(self.header)
        body = [" & ".join(cell(h) for h in self.header) + r" \\ \hline"]
        body += [" & ".join(cell(c) for c in r) + r" \\" for r in self.rows]
        return "$$\\begin{array}{" + spec + "}\n" + "\n".join(body) + "\n\\end{array}$$"


def vector_table(values: object, names: Sequence[str], *, title: str = "value",
                 reference: object = None, ref_title: str = "reference") -> Table:
    """Name/value rows, e.g. a gradient; with ``reference`` adds it and the absolute difference."""
    vals = np.asarray(values, dtype=object).reshape(-1)
    if len(vals) != len(names):
        raise InputError(f"{len(vals)} values but {len(names)} names")
    if reference is None:
        rows = tuple((n, number_text(v)) for n, v in zip(names, vals, strict=True))
        return Table(("parameter", title), rows)
    ref = np.asarray(reference, dtype=object).reshape(-1)
    rows = tuple((n, number_text(v), number_text(r), f"{abs(float(v) - float(r)):.2e}")
                 for n, v, r in zip(names, vals, ref, strict=True))
    return Table(("parameter", title, ref_title, "|difference|"), rows)


def matrix_table(matrix: object, names: Sequence[str], *, caption: str = "") -> Table:
    """A square matrix (e.g. a Hessian) with parameter names on both axes."""
    m = np.asarray(matrix, dtype=object)
    if m.shape != (len(names), len(names)):
        raise InputError(f"matrix of shape {m.shape} does not match {len(names)} names")
    rows = tuple((n, *(number_text(v) for v in row)) for n, row in zip(names, m, strict=True))
    return Table(("", *names), rows, caption)


# ------------------------------------------------------------------ loss
def piecewise_loss_latex(loss: PiecewiseLoss) -> str:
    r"""$L = \begin{cases} L_P & \text{pattern } P \\ \dots \end{cases}$, the first MAX_PIECES pieces."""
    pieces = []
    for k, pattern in enumerate(loss.patterns()):
        if k == MAX_PIECES:
            break
        pat = ",\\ ".join(f"{'+' if si > 0 else '-'}{ki}" for si, ki in
                          zip(pattern.s, pattern.k, strict=True))
        pieces.append(sp.latex(sp.expand(loss.piece(pattern)), full_prec=False)
                      + r" & \text{pattern } (" + pat + ")")
    more = loss.count - len(pieces)
    if more:
        pieces.append(rf"\vdots & \text{{{more} more patterns}}")
    head = (rf"L = \frac{{1}}{{2N}}\sum_{{n=1}}^{{N}} (f(x_n) - y_n)^2,\quad N = {loss.data.n},\ "
            rf"H = {loss.params.H},\ {loss.count}\ \text{{pieces}}")
    return "$$" + head + r"\\ L = \begin{cases}" + r"\\ ".join(pieces) + r"\end{cases}$$"


_NUMBER = re.compile(r"^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?$")
_RATIONAL = re.compile(r"^([+-]?)(\d+)/(\d+)$")
_PARAM = re.compile(r"^(w|b|v|c|s|beta|mu|rho|delta|sigma|lambda)_?(\d*)$")


def _cell_latex(text: str) -> str:
    """A table cell for MathJax: numbers in math (a real minus sign, ``1.5 \\times 10^{-7}``,
    never ``-0``), parameter names as symbols (``beta3`` is ``\\beta_{3}``), other text in
    ``\\text{}``."""
    t = text.strip()
    m = _NUMBER.match(t)
    if m:
        sign, mant, exp = m.groups()
        if float(mant) == 0:
            return "0"
        body = mant if exp is None else (rf"{mant} \times 10^{{{int(exp)}}}" if mant != "1"
                                         else rf"10^{{{int(exp)}}}")
        return ("-" if sign == "-" else "") + body
    m = _RATIONAL.match(t)
    if m:
        sign, num, den = m.groups()
        return ("-" if sign == "-" else "") + rf"\tfrac{{{num}}}{{{den}}}"
    m = _PARAM.match(t)
    if m:
        name, idx = m.groups()
        sym = "\\" + name if len(name) > 1 else name
        return sym + (f"_{{{idx}}}" if idx else "")
    return r"\text{" + _mathjax_text(t) + "}" if t else ""


# ------------------------------------------------------------------ report
def _mathjax_text(text: str) -> str:
    # Inside \text{...} MathJax takes characters literally: only braces and backslashes would
    # break the group.
    return text.replace("\\", "/").replace("{", "(").replace("}", ")")


def prose_latex(text: str) -> str:
    """Prose with ``$...$`` spans as one math-mode string: text parts in \\text{}, math kept."""
    parts = text.split("$")
    return "".join(p if i % 2 else (r"\text{" + _mathjax_text(p) + "}" if p else "")
                   for i, p in enumerate(parts))


def claim_latex(claim: Claim) -> str:
    """$\\text{statement}\\quad[\\text{level}, \\text{agreement}]$ for a notebook cell (the
    claim's typeset statement when it has one)."""
    agr = "" if claim.agreement is None else rf",\ \text{{numeric error }} {claim.agreement:.1e}"
    tag = rf"\ \text{{{claim.tag.strip()}}}" if claim.tag else ""
    status = r"\checkmark" if claim.ok else r"\times"
    statement = (claim.latex or claim.statement).replace("`", "")
    return ("$" + prose_latex(statement) + tag + r"\quad[\text{" + claim.level + "}" + agr
            + r"]\ " + status + "$")


def derivation_latex(d: Derivation) -> str:
    """The derivation's equations and claims as one MathJax display (text as \\text{})."""
    rows = [r"\textbf{" + _mathjax_text(d.title) + "}" + r"\ (\text{theory } \S" + d.section + ")"]
    for eq in d.equations:
        if eq.note:
            rows.append(prose_latex(eq.note))
        rows.append(r"\displaystyle " + eq.latex)
    for c in d.claims:
        rows.append(claim_latex(c).strip("$"))
    return "$$\\begin{gathered}" + r"\\ ".join(rows) + r"\end{gathered}$$"


def theorem_latex(theorem: object) -> str:
    """A theorem record (``name``, ``latex``, ``hypotheses``, ``expected_false``) as MathJax.

    Duck-typed on :class:`symspline.theorems.Theorem` so that this module does not import the
    prover.
    """
    name = _mathjax_text(str(getattr(theorem, "name", "")))
    rows = [r"\textbf{Theorem " + name + "}"
            + (r"\ \text{(deliberately false)}" if getattr(theorem, "expected_false", False) else "")]
    hyps = tuple(getattr(theorem, "hypotheses", ()))
    if hyps:
        rows.append(r"\text{Assume: }" + prose_latex("; ".join(hyps)))
    rows.append(r"\displaystyle " + str(getattr(theorem, "latex", "")))
    return "$$\\begin{gathered}" + r"\\ ".join(rows) + r"\end{gathered}$$"


def proof_latex(result: object) -> str:
    """A proof outcome (``theorem``, ``level``, ``H``, ``N``, ``detail``, ``counterexample``, ``ok``)."""
    level = str(getattr(result, "level", "?"))
    head = (r"\text{Theorem " + _mathjax_text(str(getattr(result, "theorem", ""))) + r": } "
            r"\textbf{" + level + r"}\ (H = " + str(getattr(result, "H", "?")) + r",\ N = "
            + str(getattr(result, "N", "?")) + r")\ " + (r"\checkmark" if getattr(result, "ok", False)
                                                        else r"\times"))
    rows = [head, *_wrapped_text(str(getattr(result, "detail", "")))]
    cex = getattr(result, "counterexample", None)
    if cex is not None:
        rows += _wrapped_text("counterexample: " + str(cex))
    return "$$\\begin{gathered}" + r"\\ ".join(rows) + r"\end{gathered}$$"


#: Characters per \text{} line in notebook math (MathJax does not wrap inside \text{}).
WRAP = 90


def _wrapped_text(text: str) -> list[str]:
    """Long prose as several ``\\text{}`` rows of at most WRAP characters (word boundaries)."""
    return [r"\text{" + _mathjax_text(line) + "}" for line in textwrap.wrap(text, WRAP)] or []


def claims_table(claims: Sequence[Claim]) -> Table:
    """Name, proof level, numeric agreement and status of each claim."""
    rows = tuple((c.name, c.level, "-" if c.agreement is None else f"{c.agreement:.1e}",
                  ("ok" if c.ok else "FAILED") + c.tag)
                 for c in claims)
    return Table(("claim", "proof level", "numeric agreement", "status"), rows)


__all__ = [
    "Table", "approx_text", "claim_latex", "claims_table", "derivation_latex", "inline",
    "matrix_table", "network_latex", "number_latex", "number_text", "params_repr", "params_table",
    "piecewise_loss_latex", "plain_text", "pretty", "proof_latex", "prose_latex", "spline_latex",
    "theorem_latex", "vector_table",
]
