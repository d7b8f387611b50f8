"""The records a derivation produces: equations, checked claims, figures and the derivation.

They are immutable values. Engines that check statements (symspline.regularization,
symspline.flow.proofs) return :class:`Claim` records and the derivations return
:class:`Derivation` records; :mod:`symspline.render` turns them into LaTeX, Markdown and notebook
output (the ``_repr_*_`` methods below ask the registry :mod:`symspline.reprs`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import reprs

#: Proof levels, strongest first. "refuted" means a counterexample was found.
LEVELS = ("general", "exhaustive", "tested", "numeric", "refuted", "failed")
#: The levels that are proofs; "tested" and "numeric" (sampled checks) never count as proofs.
PROOF_LEVELS = ("general", "exhaustive")
#: How each level reads in summaries.
LEVEL_LABELS = {"general": "proved (general)", "exhaustive": "proved (exhaustive)",
                "tested": "tested", "numeric": "tested (numeric)", "refuted": "refuted",
                "failed": "failed"}


@dataclass(frozen=True)
class Equation:
    """A displayed equation: ``latex`` is the body of an equation environment.

    A body too long for one line is broken by the author: ``\\\\`` separates lines and ``&``
    marks the alignment point; it is then typeset in a ``split`` (LaTeX) or ``aligned``
    (Markdown, which GitHub's MathJax renders) environment inside the numbered equation.
    """

    latex: str
    label: str = ""
    note: str = ""

    @property
    def multiline(self) -> bool:
        """Whether the body has line breaks of its own (outside matrices and other environments)."""
        return "\\\\" in _strip_environments(self.latex)


@dataclass(frozen=True)
class Claim:
    """One checked statement: the level its proof reached and the numeric agreement observed.

    ``statement`` is plain text (terminal, JSON); ``latex`` is the same statement typeset for the
    documents: prose with ``$...$`` math and Markdown code spans, like a paragraph, so that it
    reads in LaTeX (escaped by :func:`latex_text`) and in GitHub Markdown alike. Documents use
    ``latex`` when it is given and the plain statement otherwise.

    ``expected_false`` marks a deliberately false statement (a check of the checker): it is
    ``ok`` when it was refuted. ``erratum`` marks a statement of the source material that the
    engine found false: it too is ``ok`` when refuted -- the engine did its job, and ``detail``
    must hold the counterexample -- and it is listed as an erratum in every summary (the
    corrected statement is the one in docs/theory.md).
    """

    name: str
    statement: str
    level: str
    agreement: float | None = None
    detail: str = ""
    expected_false: bool = False
    erratum: bool = False
    latex: str = ""

    @property
    def tag(self) -> str:
        """How a statement known to be false is labelled in tables ("" otherwise)."""
        if self.erratum:
            return " (erratum)"
        return " (expected false)" if self.expected_false else ""

    @property
    def statement_latex(self) -> str:
        """The statement for a LaTeX document: ``latex`` if given, else the text, escaped."""
        return latex_text(self.latex or self.statement)

    @property
    def statement_markdown(self) -> str:
        """The statement for Markdown (``$...$`` math), with table pipes escaped."""
        return (self.latex or self.statement).replace("|", "\\|")

    @property
    def ok(self) -> bool:
        if self.expected_false or self.erratum:
            return self.level == "refuted" and (bool(self.detail) or self.expected_false)
        return self.level in ("general", "exhaustive", "tested", "numeric")

    def _repr_latex_(self) -> str | None:
        return reprs.render(self, "latex")  # registered by symspline.render


@dataclass(frozen=True)
class Figure:
    """A figure file, relative to the output directory, with its caption.

    ``path`` names the PNG (used by Markdown); a vector PDF twin with the same stem, when one
    was saved, is what LaTeX includes. The caption is prose with ``$...$`` math.
    """

    path: str
    caption: str

    @property
    def stem(self) -> str:
        """The path without its extension: LaTeX picks the PDF twin over the PNG."""
        return str(Path(self.path).with_suffix(""))


@dataclass(frozen=True)
class Derivation:
    """Everything one derivation module produced."""

    name: str
    title: str
    section: str
    summary: str
    paragraphs: tuple[str, ...] = ()
    equations: tuple[Equation, ...] = ()
    claims: tuple[Claim, ...] = ()
    figures: tuple[Figure, ...] = ()
    extra_latex: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.claims)

    @property
    def level(self) -> str:
        """Weakest proof level over the claims that are meant to hold."""
        levels = [c.level for c in self.claims if not (c.expected_false or c.erratum)] or ["numeric"]
        return max(levels, key=LEVELS.index)

    @property
    def level_counts(self) -> dict[str, int]:
        """How many claims reached each level, strongest first (only levels that occur)."""
        counts = {lv: sum(1 for c in self.claims if c.level == lv) for lv in LEVELS}
        return {lv: n for lv, n in counts.items() if n}

    @property
    def level_summary(self) -> str:
        """Compact counts such as ``"6 proved (general), 2 tested, 1 refuted"``."""
        return ", ".join(f"{n} {LEVEL_LABELS.get(lv, lv)}"
                         for lv, n in self.level_counts.items()) or "-"

    @property
    def agreement(self) -> float | None:
        """Worst numeric agreement (largest error) over the claims, if any was measured."""
        vals = [c.agreement for c in self.claims if c.agreement is not None]
        return max(vals) if vals else None

    def _repr_latex_(self) -> str | None:
        return reprs.render(self, "latex")  # registered by symspline.render

    def _repr_markdown_(self) -> str | None:
        # Notebooks prefer Markdown over LaTeX: the full record (prose, $$ math, claims, figures).
        return reprs.render(self, "markdown")


def _latex_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in "&%#_{}":
            out.append("\\" + ch)
        elif ch == "~":
            out.append(r"\textasciitilde{}")
        elif ch in "|<>":  # the default OT1 text font would print these as other glyphs
            out.append({"|": r"\textbar{}", "<": r"\textless{}", ">": r"\textgreater{}"}[ch])
        elif ch == "^":
            out.append(r"\textasciicircum{}")
        elif ch == "\\":
            out.append(r"\textbackslash{}")
        else:
            out.append(ch)
    return "".join(out)


def _prose_escape(text: str) -> str:
    # Markdown code spans (`name`) become \texttt{name}: no backticks reach a LaTeX document.
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick is literal text
        return _latex_escape(text)
    return "".join(rf"\texttt{{{_latex_escape(p)}}}" if i % 2 else _latex_escape(p)
                   for i, p in enumerate(parts))


def latex_text(text: str) -> str:
    """Escape prose for LaTeX, keeping ``$...$`` math spans untouched.

    Markdown code spans (backticks) outside math become ``\\texttt``.
    """
    parts = text.split("$")
    return "$".join(p if i % 2 else _prose_escape(p) for i, p in enumerate(parts))


_ENV = re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S)


def _strip_environments(tex: str) -> str:
    """``tex`` without its \\begin..\\end blocks (innermost first), to find top-level line breaks."""
    prev = None
    while prev != tex:
        prev, tex = tex, _ENV.sub("", tex)
    return tex
