"""Notebook renderings: LaTeX for symbolic objects, HTML/Markdown/LaTeX tables for numeric results.

Jupyter calls ``_repr_latex_`` / ``_repr_html_`` / ``_repr_markdown_`` on the value of a cell; the
parameter, pattern, loss and report classes delegate to the functions here so that the renderings
live in one place. Nothing here prints or imports a notebook package.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from .numbers import to_sympy

if TYPE_CHECKING:  # the classes import this module lazily, so no import cycle at run time
    from .loss import PiecewiseLoss
    from .params import Network, Spline
    from .report import Claim, Derivation

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
    """Plain text for one number (floats ``%.6g``, exact rationals ``p/q``, symbols by name)."""
    if isinstance(value, float | np.floating):
        return f"{float(value):.{DIGITS}g}"
    return str(value)


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
    terms = [(vi, r"\left[" + _affine(sp.latex(_sym(wi) * _X, full_prec=False), bi) + r"\right]_+")
             for wi, bi, vi in zip(net.w, net.b, net.v, strict=True)]
    return "$f(x) = " + _join_terms(terms, net.c) + "$"


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
        body = r"\left[" + inner + r"\right]_+"
        terms.append((mi, body))
    return "$f(x) = " + _join_terms(terms, spline.c) + "$"


def params_table(params: Network | Spline) -> Table:
    """One row per unit: (w, b, v, breakpoint) for a network, (beta, mu, s) for a spline."""
    from .params import Network

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
            return r"\text{" + _mathjax_text(c) + "}"

        spec = "l" * len(self.header)
        body = [" & ".join(cell(h) for h in self.header) + r" \\ \hline"]
        body += [" & ".join(cell(c) for c in r) + r" \\" for r in self.rows]
        return "$$\\begin{array}{" + spec + "}\n" + "\n".join(body) + "\n\\end{array}$$"


def vector_table(values: object, names: Sequence[str], *, title: str = "value",
                 reference: object = None, ref_title: str = "reference") -> Table:
    """Name/value rows, e.g. a gradient; with ``reference`` adds it and the absolute difference."""
    vals = np.asarray(values, dtype=object).reshape(-1)
    if len(vals) != len(names):
        from .errors import InputError

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
        from .errors import InputError

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
    """$\\text{statement}\\quad[\\text{level}, \\text{agreement}]$ for a notebook cell."""
    agr = "" if claim.agreement is None else rf",\ \text{{numeric error }} {claim.agreement:.1e}"
    tag = rf"\ \text{{{claim.tag.strip()}}}" if claim.tag else ""
    status = r"\checkmark" if claim.ok else r"\times"
    return ("$" + prose_latex(claim.statement) + tag + r"\quad[\text{" + claim.level + "}" + agr
            + r"]\ " + status + "$")


def derivation_latex(d: Derivation) -> str:
    """The derivation's equations and claims as one MathJax display (text as \\text{})."""
    rows = [r"\textbf{" + _mathjax_text(d.title) + "}" + r"\ (\text{THEORY } " + d.section + ")"]
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
    rows = [head, r"\text{" + _mathjax_text(str(getattr(result, "detail", ""))) + "}"]
    cex = getattr(result, "counterexample", None)
    if cex is not None:
        rows.append(r"\text{counterexample: " + _mathjax_text(str(cex)) + "}")
    return "$$\\begin{gathered}" + r"\\ ".join(rows) + r"\end{gathered}$$"


def claims_table(claims: Sequence[Claim]) -> Table:
    """Name, proof level, numeric agreement and status of each claim."""
    rows = tuple((c.name, c.level, "-" if c.agreement is None else f"{c.agreement:.1e}",
                  ("ok" if c.ok else "FAILED") + c.tag)
                 for c in claims)
    return Table(("claim", "proof level", "numeric agreement", "status"), rows)


__all__ = [
    "Table", "claim_latex", "claims_table", "derivation_latex", "matrix_table", "network_latex",
    "number_latex", "number_text", "params_table", "piecewise_loss_latex", "prose_latex",
    "proof_latex", "spline_latex", "theorem_latex", "vector_table",
]
