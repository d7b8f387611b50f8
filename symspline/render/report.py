"""Derivation records rendered to standalone LaTeX and to Markdown, and the report's figures.

The records themselves (:class:`Equation`, :class:`Claim`, :class:`Figure`, :class:`Derivation`
and the proof levels) are values defined in :mod:`symspline.records` and re-exported here, so a
derivation imports what it builds and renders from one place. The mathematics the records refer
to ("theory §3.3") is written out in docs/theory.md.
"""

from __future__ import annotations

import contextlib
import functools
import io as _io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..bounds import bound, bound_latex
from ..io import write_bytes
from ..records import (
    LEVEL_LABELS,
    LEVELS,
    PROOF_LEVELS,
    Claim,
    Derivation,
    Equation,
    Figure,
    latex_text,
)
from .figures import settle

__all__ = [
    "LEVELS", "LEVEL_LABELS", "PROOF_LEVELS", "Claim", "Derivation", "Equation", "Figure",
    "above_floor", "figure_style", "latex_text", "math_label", "paste_ready", "render_index",
    "render_latex", "render_latex_body", "render_markdown", "render_report_latex",
    "render_report_markdown", "save_figure", "sentence", "slice_label", "styled", "table_latex",
    "theorem_display",
]


def sentence(text: str) -> str:
    """``text`` with its first letter capitalised (prose paragraphs start with a capital).

    A leading math span or code span is left alone: ``$\\beta$ moves`` stays as it is.
    """
    stripped = text.lstrip()
    if not stripped or not stripped[0].isalpha() or not stripped[0].islower():
        return text
    return text[: len(text) - len(stripped)] + stripped[0].upper() + stripped[1:]


def _full_stop(text: str) -> str:
    """A one-line summary as a sentence: capitalised, ending in a full stop."""
    text = sentence(text.rstrip())
    return text if not text or text[-1] in ".!?:" else text + "."


def _agreement_latex(value: float | None) -> str:
    """A measured error as a bound, ``$< 10^{-12}$`` (``--`` when none was measured): never its
    rounding-level digits (symspline.bounds)."""
    return bound_latex(value, "--")


def _agr(value: float | None, none: str) -> str:
    return bound(value, none)


def equation_latex(eq: Equation, label: str = "") -> list[str]:
    """The lines of one numbered display: ``equation``, with ``split`` when the body has breaks."""
    body = [r"\begin{split}", eq.latex, r"\end{split}"] if eq.multiline else [eq.latex]
    return [r"\begin{equation}", *body, *([rf"\label{{{label}}}"] if label else []),
            r"\end{equation}"]


def equation_markdown(eq: Equation) -> list[str]:
    """The lines of one ``$$`` display; broken bodies go in ``aligned`` (GitHub's MathJax)."""
    body = [r"\begin{aligned}", eq.latex, r"\end{aligned}"] if eq.multiline else [eq.latex]
    return ["$$", *body, "$$"]


_RAGGED = r">{\raggedright\arraybackslash}"


def table_latex(spec: str, header: str, rows: list[str], *, chunk: int = 12,
                small: bool = True) -> str:
    """A booktabs table that may run over pages: consecutive ``tabular`` blocks of ``chunk`` rows.

    ``longtable`` would break too, but with figures pending LaTeX's output routine overfills the
    page ("Overfull \\vbox ... while \\output is active"); stacked tabulars break between blocks
    without that. Give ``spec`` fixed-width columns so that the blocks line up. ``header`` and
    each row end without ``\\\\``.
    """
    out = [r"\begingroup\small" if small else r"\begingroup", r"\par\medskip"]
    blocks = [rows[k:k + chunk] for k in range(0, len(rows), chunk)] or [[]]
    for k, block in enumerate(blocks):
        top = [r"\toprule", header + r" \\", r"\midrule"] if k == 0 else []
        end = [r"\bottomrule"] if k == len(blocks) - 1 else []
        out += [rf"\noindent\begin{{tabular}}{{{spec}}}", *top, *(r + r" \\" for r in block),
                *end, r"\end{tabular}\par"]
    out += [r"\medskip", r"\endgroup"]
    return "\n".join(out)


def _claims_table(d: Derivation) -> list[str]:
    rows = [f"{c.statement_latex}{c.tag} & {c.level} & {_agreement_latex(c.agreement)}"
            for c in d.claims]
    spec = (rf"@{{}}{_RAGGED}p{{0.62\linewidth}}{_RAGGED}p{{0.14\linewidth}}"
            rf"{_RAGGED}p{{0.17\linewidth}}@{{}}")
    lines = ["", table_latex(spec, "Statement & Proof level & Agreement", rows), ""]
    errata = [c for c in d.claims if c.erratum and c.detail]
    for c in errata:
        lines += ["", rf"\noindent\textbf{{Erratum ({latex_text(c.name)}).}} "
                  f"{sentence(latex_text(c.detail))}"]
    return lines


def render_latex_body(d: Derivation) -> str:
    """The derivation as a LaTeX section (no preamble), for inclusion in a larger report.

    The section carries ``\\label{sec:NAME}``, equations ``\\label{eq:NAME:LABEL}`` and figures
    ``\\label{fig:NAME:STEM}``; figures are included by stem, so a PDF twin wins over the PNG.
    """
    lines = [f"\\section{{{latex_text(d.title)}}}", f"\\label{{sec:{d.name}}}", "",
             _full_stop(latex_text(d.summary)), ""]
    for p in d.paragraphs:
        lines += [sentence(latex_text(p)), ""]
    for eq in d.equations:
        if eq.note:
            lines += [sentence(latex_text(eq.note)), ""]
        lines += [*equation_latex(eq, f"eq:{d.name}:{eq.label}" if eq.label else ""), ""]
    if d.extra_latex:
        lines += [d.extra_latex, ""]
    if d.claims:
        lines += [*_claims_table(d), ""]
    for f in d.figures:
        stem = Path(f.path).stem
        lines += [r"\begin{figure}[tbp]", r"\centering",
                  r"\includegraphics[width=0.9\linewidth,height=0.42\textheight,keepaspectratio]"
                  f"{{{f.stem}}}",
                  f"\\caption{{{sentence(latex_text(f.caption))}}}",
                  f"\\label{{fig:{d.name}:{stem}}}", r"\end{figure}", ""]
    return "\n".join(lines)


#: Packages every rendering needs (``symspline latex`` states them in its leading comment).
PACKAGES = ("amsmath", "amssymb", "graphicx", "array", "longtable", "booktabs")

PREAMBLE = "\n".join([
    "\\documentclass[11pt]{article}",
    "\\usepackage[margin=2.5cm]{geometry}",
    f"\\usepackage{{{','.join(PACKAGES)}}}",
    "\\begin{document}",
])


def paste_ready(latex: str, name: str, *, figures: tuple[Figure, ...] = (),
                standalone: bool = False) -> str:
    """``latex`` with a leading comment that states what it needs: the packages (and that no
    other macro is used), where its labels live, and how to get the figures it includes."""
    lines = [f"% symspline latex {name}: paste-ready LaTeX (generated; regenerate rather than edit).",
             "% Mathematics: docs/theory.md of the symspline repository."]
    if not standalone:
        lines.append(f"% Needs in the preamble: \\usepackage{{{','.join(PACKAGES)}}}; no other "
                     "packages or macros.")
    lines.append(f"% Labels: sec:{name}, eq:{name}:<label>, fig:{name}:<stem>."
                 if figures or "\\section" in latex else f"% Label: thm:{name}.")
    if figures:
        lines.append(f"% Figures: run `symspline derive {name} --out DIR` and copy DIR/figures/ "
                     "next to your .tex (" + ", ".join(Path(f.path).stem for f in figures) + ").")
    return "\n".join(lines) + "\n" + latex


def theorem_display(name: str, latex: str) -> str:
    """A theorem's formula as a labelled equation, ready to paste."""
    return "\n".join([r"\begin{equation}", latex, rf"\label{{thm:{name}}}", r"\end{equation}"])


def render_latex(d: Derivation) -> str:
    """A standalone LaTeX document (article, amsmath) for one derivation."""
    return "\n".join([PREAMBLE, "", render_latex_body(d), "\\end{document}", ""])


def render_markdown(d: Derivation) -> str:
    """The derivation as Markdown with ``$$`` display math (GitHub renders it)."""
    lines = [f"# {d.title}", "", f"Theory §{d.section} ([docs/theory.md]({THEORY_LINK})). "
             f"{_full_stop(d.summary)}", ""]
    for p in d.paragraphs:
        lines += [sentence(p), ""]
    for eq in d.equations:
        if eq.note:
            lines += [sentence(eq.note), ""]
        lines += [*equation_markdown(eq), ""]
    if d.claims:
        lines += ["| statement | proof level | numeric agreement |", "| --- | --- | --- |"]
        for c in d.claims:
            agr = _agr(c.agreement, "-")
            tag = f" *{c.tag.strip()}*" if c.tag else ""
            lines.append(f"| {c.statement_markdown}{tag} | {c.level} | {agr} |")
        lines.append("")
        details = [c for c in d.claims if c.detail]
        for c in details:
            lines += [f"- **{c.name}**: {c.detail}"]
        if details:
            lines.append("")
    for f in d.figures:
        alt = f.caption.replace("$", "").replace("\\", "").replace("[", "(").replace("]", ")")
        lines += [f"![{alt}]({f.path})", "", f"*{sentence(f.caption)}*", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------ figures
#: Matplotlib settings of every generated figure: Computer Modern text and mathtext, as in the
#: LaTeX report; tick labels through mathtext so that minus signs exist in that font.
FIGURE_STYLE: dict[str, Any] = {
    "font.family": "serif",
    "font.serif": ["cmr10", "DejaVu Serif"],
    "mathtext.fontset": "cm",
    "axes.formatter.use_mathtext": True,
    "axes.unicode_minus": True,
    "font.size": 10,
    "legend.fontsize": 8,
    "axes.titlesize": 10,
    "svg.hashsalt": "symspline",
}


_MATH_NAME = re.compile(r"^[-+0-9.eE x<>=]+$")


def math_label(name: str) -> str:
    """A plot label for a group or region name: ``x >= 0`` becomes ``$x \\geq 0$`` (mathtext);
    other names are returned with ``$`` escaped so that mathtext leaves them alone."""
    if _MATH_NAME.match(name) and "x" in name:
        return "$" + re.sub(r"\s*(>=|<=)\s*", lambda m: {">=": r" \geq ", "<=": r" \leq "}[m.group(1)],
                            name).strip() + "$"
    return name.replace("$", r"\$")


def slice_label(key: str) -> str:
    """A legend entry for a key of ``landscape.compare_parameterizations``: ``"spline"`` or
    ``"network d=-2"`` (the balance) as mathtext."""
    if key == "spline":
        return r"spline $(\beta, \mu, c)$"
    m = re.fullmatch(r"network d=(\S+)", key)
    return f"network, $\\delta = {m.group(1)}$" if m else key.replace("$", r"\$")


def above_floor(values: Any, rel: float = 1e-10) -> Any:
    """``values`` (a NumPy array) with entries below ``rel`` times the largest set to NaN, so that
    log plots stop at round-off instead of drawing the 1e-16 noise floor as data."""
    v = np.asarray(values, dtype=float)
    top = float(np.nanmax(np.abs(v))) if v.size else 0.0
    return np.where(np.abs(v) > rel * top, v, np.nan)


@contextlib.contextmanager
def figure_style() -> Iterator[None]:
    """Draw (and save) inside this block to get the report's figure style."""
    import matplotlib  # deferred: Matplotlib loads only when something is drawn

    with matplotlib.rc_context(FIGURE_STYLE):
        yield


F = TypeVar("F", bound=Callable[..., Any])


def styled(fn: F) -> F:
    """Decorator: run ``fn`` inside :func:`figure_style` (derivations' ``run`` functions)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with figure_style():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def save_figure(fig: object, path: str | Path, *, dpi: int = 150, vector: bool = False) -> None:
    """Save a Matplotlib figure as PNG and, with ``vector``, a PDF twin beside it.

    Both are byte-reproducible: no timestamp, software or version metadata.
    """
    path = Path(path)
    # what is drawn is rounded to 8 significant digits first: the files must not follow the
    # last bits of the data, which differ between machines (symspline.render.figures)
    settle(fig)
    buf = _io.BytesIO()
    # bbox_inches="tight": no axis label is clipped, whatever the figure did about its layout
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None},  # type: ignore[attr-defined]
                bbox_inches="tight")
    write_bytes(path, buf.getvalue())
    if vector:
        buf = _io.BytesIO()
        fig.savefig(buf, format="pdf", bbox_inches="tight",  # type: ignore[attr-defined]
                    metadata={"Creator": None, "Producer": None, "CreationDate": None})
        write_bytes(path.with_suffix(".pdf"), buf.getvalue())


# ------------------------------------------------------------------ the combined report
REPORT_TITLE = "symspline: the derivations, proved and checked"
#: Where the mathematics is written out (relative to docs/generated/, where reports are written).
THEORY_LINK = "../theory.md"

REPORT_PREAMBLE = "\n".join([
    "\\documentclass[11pt]{article}",
    "\\usepackage[margin=2.5cm]{geometry}",
    f"\\usepackage{{{','.join(PACKAGES)}}}",
    "\\usepackage[expansion=false]{microtype}",  # protrusion: fewer overfull lines in narrow columns
    "\\usepackage[hidelinks,pdfencoding=auto]{hyperref}",  # ASCII info when possible
    "\\hypersetup{pdftitle={" + REPORT_TITLE + "},",
    "  pdfauthor={symspline derive},",
    "  pdfsubject={Shallow univariate ReLU networks as linear splines: loss surface, Hessian, "
    "initialization, gradient flow, implicit regularization},",
    "  pdfkeywords={ReLU networks, linear splines, Hessian, gradient flow, SymPy},",
    "  pdfcreator={symspline derive}}",
    f"\\title{{{latex_text(REPORT_TITLE)}}}",
    "\\author{generated by \\texttt{symspline derive}}",
    "\\date{}",  # no \\today: regeneration must be byte-identical
    # pdfTeX derives the trailer /ID from the time and the output path: leave it out.
    "\\ifdefined\\pdftrailerid\\pdftrailerid{}\\fi",
    "\\begin{document}",
    "\\maketitle",
])


def _summary_table(results: list[Derivation]) -> list[str]:
    lines = [r"{\small\setlength{\tabcolsep}{4pt}",
             rf"\begin{{longtable}}{{@{{}}{_RAGGED}p{{0.56\linewidth}}ll{_RAGGED}p{{0.14\linewidth}}@{{}}}}",
             r"\toprule", r"Claim & Proof level & Agreement & Status \\", r"\midrule", r"\endhead",
             r"\bottomrule", r"\endfoot"]
    for k, d in enumerate(results):
        if k:
            lines.append(r"\midrule")
        lines.append(rf"\multicolumn{{4}}{{@{{}}{_RAGGED}p{{\linewidth}}@{{}}}}{{\bfseries "
                     rf"\S\,{latex_text(d.section)}\quad \hyperref[sec:{d.name}]"
                     rf"{{{latex_text(d.title)}}}}} \\")
        for c in d.claims:
            status = ("ok" if c.ok else r"\textbf{FAILED}") + c.tag
            lines.append(f"{c.statement_latex} & {c.level} & {_agreement_latex(c.agreement)} & "
                         f"{status} \\\\")
    lines += [r"\end{longtable}}", ""]
    return lines


def render_report_latex(results: list[Derivation]) -> str:
    """One LaTeX document: contents, a summary table of every claim, then a section per derivation.

    Sections come in theory order; each holds the statement, the derivation steps as displayed
    equations, the proof level and numeric agreement of every claim, and the figures.
    """
    lines = [REPORT_PREAMBLE, "",
             "\\noindent This report is written by \\texttt{symspline derive}; regenerate rather "
             "than edit. Section numbers (\\S) refer to the account of the mathematics in "
             "\\texttt{docs/theory.md} of the symspline repository. Proof levels, strongest "
             "first: \\emph{general} (proved symbolically for all sizes) and \\emph{exhaustive} "
             "(proved on every activation pattern for the sizes given) are proofs; "
             "\\emph{tested} and \\emph{numeric} are sampled checks, never proofs; "
             "\\emph{refuted} means a counterexample was found. A deliberately false statement "
             "(a check of the checker) is ok when refuted; so is an \\emph{erratum}, a "
             "statement of the source material that the engine refuted, corrected in "
             "\\texttt{docs/theory.md}. Agreement is the worst relative error of a numeric "
             "cross-check.", "",
             "\\tableofcontents", "",
             "\\section*{Summary of claims}",
             "\\addcontentsline{toc}{section}{Summary of claims}",
             *_summary_table(results)]
    for d in results:
        lines += [render_latex_body(d),
                  f"\\noindent\\textit{{Theory \\S{latex_text(d.section)}; proof levels "
                  f"reached: {d.level_summary}; worst numeric agreement: "
                  f"{_agreement_latex(d.agreement)}.}}", ""]
    lines += ["\\end{document}", ""]
    return "\n".join(lines)


def render_report_markdown(results: list[Derivation]) -> str:
    """The Markdown twin of :func:`render_report_latex`, with ``$$`` display math."""
    lines = [f"# {REPORT_TITLE}", "",
             "Written by `symspline derive`; regenerate rather than edit. Section numbers (§) refer "
             f"to [docs/theory.md]({THEORY_LINK}). Proof levels, strongest first: general (proved "
             "symbolically for all sizes) and exhaustive (proved on every pattern for the sizes "
             "given) are proofs; tested and numeric are sampled checks, never proofs; refuted "
             "means a counterexample was found. A deliberately false "
             "statement is ok when refuted; so is an erratum, a statement of the source material "
             "that the engine refuted (corrected in docs/theory.md).", "",
             "## Summary of claims", "",
             "| derivation | § | claim | proof level | agreement | status |",
             "| --- | --- | --- | --- | --- | --- |"]
    for d in results:
        for c in d.claims:
            status = ("ok" if c.ok else "FAILED") + c.tag
            lines.append(f"| {d.name} | {d.section} | {c.statement_markdown} | {c.level} | "
                         f"{_agr(c.agreement, '-')} | {status} |")
    lines.append("")
    for d in results:
        body = render_markdown(d).split("\n")
        body[0] = "#" + body[0]  # each derivation is a section of the report
        lines += [*body, f"*Proof levels reached: {d.level_summary}; worst numeric agreement: "
                  f"{_agr(d.agreement, '-')}.*", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_index(results: list[Derivation]) -> str:
    """The Markdown index of generated derivations (docs/generated/README.md)."""
    lines = ["# Generated derivations", "",
             "Written by `symspline derive`; regenerate rather than edit. The mathematics: "
             f"[docs/theory.md]({THEORY_LINK}); everything in one document: "
             "[report.pdf](report.pdf) ([Markdown](report.md)).", "",
             "| derivation | § | statement | proof levels reached | worst numeric error | status |",
             "| --- | --- | --- | --- | --- | --- |"]
    for d in results:
        agr = _agr(d.agreement, "-")
        lines.append(f"| [{d.name}]({d.name}.md) | {d.section} | {d.summary} | {d.level_summary} | {agr} | "
                     f"{'ok' if d.ok else 'FAILED'} |")
    return "\n".join(lines) + "\n"
