"""Derivation results as immutable records, rendered to standalone LaTeX and to Markdown."""

from __future__ import annotations

import io as _io
from dataclasses import dataclass, field
from pathlib import Path

from .io import write_bytes

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
    """A displayed equation: ``latex`` is the body of an equation environment."""

    latex: str
    label: str = ""
    note: str = ""


@dataclass(frozen=True)
class Claim:
    """One checked statement: the level its proof reached and the numeric agreement observed.

    ``expected_false`` marks a deliberately false statement (a check of the checker): it is
    ``ok`` when it was refuted. ``erratum`` marks a statement of THEORY.md that the engine found
    false: it too is ``ok`` when refuted -- the engine did its job, and ``detail`` must hold the
    counterexample -- and it is listed as an erratum of THEORY.md in every summary.
    """

    name: str
    statement: str
    level: str
    agreement: float | None = None
    detail: str = ""
    expected_false: bool = False
    erratum: bool = False

    @property
    def tag(self) -> str:
        """How a statement known to be false is labelled in tables ("" otherwise)."""
        if self.erratum:
            return " (THEORY erratum)"
        return " (expected false)" if self.expected_false else ""

    @property
    def ok(self) -> bool:
        if self.expected_false or self.erratum:
            return self.level == "refuted" and (bool(self.detail) or self.expected_false)
        return self.level in ("general", "exhaustive", "tested", "numeric")

    def _repr_latex_(self) -> str:
        from .display import claim_latex  # lazy: display imports report for type hints only

        return claim_latex(self)


@dataclass(frozen=True)
class Figure:
    """A figure file, relative to the output directory, with its caption."""

    path: str
    caption: str


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

    def _repr_latex_(self) -> str:
        from .display import derivation_latex

        return derivation_latex(self)

    def _repr_markdown_(self) -> str:
        # Notebooks prefer Markdown over LaTeX: the full record (prose, $$ math, claims, figures).
        return render_markdown(self)


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


def latex_text(text: str) -> str:
    """Escape prose for LaTeX, keeping ``$...$`` math spans untouched."""
    parts = text.split("$")
    return "$".join(p if i % 2 else _latex_escape(p) for i, p in enumerate(parts))


def render_latex_body(d: Derivation) -> str:
    """The derivation as a LaTeX section (no preamble), for inclusion in a larger report."""
    lines = [f"\\section{{{latex_text(d.title)}}}", "", latex_text(d.summary), ""]
    for p in d.paragraphs:
        lines += [latex_text(p), ""]
    for eq in d.equations:
        if eq.note:
            lines += [latex_text(eq.note), ""]
        lines += ["\\begin{equation}", eq.latex]
        if eq.label:
            lines.append(f"\\label{{eq:{d.name}:{eq.label}}}")
        lines += ["\\end{equation}", ""]
    if d.extra_latex:
        lines += [d.extra_latex, ""]
    if d.claims:
        lines += ["\\begin{center}", "\\begin{tabular}{p{0.55\\linewidth}ll}", "\\hline",
                  "Statement & Proof level & Numeric agreement \\\\", "\\hline"]
        for c in d.claims:
            agr = "--" if c.agreement is None else f"{c.agreement:.1e}"
            tag = c.tag
            lines.append(f"{latex_text(c.statement)}{tag} & {c.level} & {agr} \\\\")
        lines += ["\\hline", "\\end{tabular}", "\\end{center}", ""]
    for f in d.figures:
        lines += ["\\begin{figure}[h]", "\\centering",
                  f"\\includegraphics[width=0.8\\linewidth]{{{f.path}}}",
                  f"\\caption{{{latex_text(f.caption)}}}", "\\end{figure}", ""]
    return "\n".join(lines)


PREAMBLE = "\n".join([
    "\\documentclass[11pt]{article}",
    "\\usepackage[margin=2.5cm]{geometry}",
    "\\usepackage{amsmath,amssymb}",
    "\\usepackage{graphicx}",
    "\\begin{document}",
])


def render_latex(d: Derivation) -> str:
    """A standalone LaTeX document (article, amsmath) for one derivation."""
    return "\n".join([PREAMBLE, "", render_latex_body(d), "\\end{document}", ""])


def render_markdown(d: Derivation) -> str:
    """The derivation as Markdown with ``$$`` display math."""
    lines = [f"# {d.title}", "", f"THEORY section {d.section}. {d.summary}", ""]
    for p in d.paragraphs:
        lines += [p, ""]
    for eq in d.equations:
        if eq.note:
            lines += [eq.note, ""]
        lines += ["$$", eq.latex, "$$", ""]
    if d.claims:
        lines += ["| statement | proof level | numeric agreement |", "| --- | --- | --- |"]
        for c in d.claims:
            agr = "-" if c.agreement is None else f"{c.agreement:.1e}"
            tag = f" *{c.tag.strip()}*" if c.tag else ""
            stmt = c.statement.replace("|", "\\|")
            lines.append(f"| {stmt}{tag} | {c.level} | {agr} |")
        lines.append("")
        details = [c for c in d.claims if c.detail]
        for c in details:
            lines += [f"- **{c.name}**: {c.detail}"]
        if details:
            lines.append("")
    for f in d.figures:
        lines += [f"![{f.caption}]({f.path})", "", f"*{f.caption}*", ""]
    return "\n".join(lines)


def save_figure(fig: object, path: str | Path, *, dpi: int = 110) -> None:
    """Save a Matplotlib figure as PNG, byte-reproducible (no timestamp or version metadata)."""
    buf = _io.BytesIO()
    # bbox_inches="tight": no axis label is clipped, whatever the figure did about its layout
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None},  # type: ignore[attr-defined]
                bbox_inches="tight")
    write_bytes(path, buf.getvalue())


# ------------------------------------------------------------------ the combined report
REPORT_TITLE = "symspline: the derivations of THEORY.md"

REPORT_PREAMBLE = "\n".join([
    "\\documentclass[11pt]{article}",
    "\\usepackage[margin=2.5cm]{geometry}",
    "\\usepackage{amsmath,amssymb}",
    "\\usepackage{graphicx}",
    "\\usepackage{array,longtable}",
    f"\\title{{{latex_text(REPORT_TITLE)}}}",
    "\\author{generated by \\texttt{symspline derive}}",
    "\\date{}",  # no \\today: regeneration must be byte-identical
    # pdfTeX derives the trailer /ID from the time and the output path: leave it out.
    "\\ifdefined\\pdftrailerid\\pdftrailerid{}\\fi",
    "\\begin{document}",
    "\\maketitle",
])


def _agr(value: float | None, none: str) -> str:
    return none if value is None else f"{value:.1e}"


def render_report_latex(results: list[Derivation]) -> str:
    """One LaTeX document: a summary table of every claim, then a section per derivation.

    Sections come in THEORY order; each holds the statement, the derivation steps as displayed
    equations, the proof level and numeric agreement of every claim, and the figures.
    """
    lines = [REPORT_PREAMBLE, "",
             "This report is written by \\texttt{symspline derive}; regenerate rather than edit. "
             "Proof levels, strongest first: general (symbolic, all sizes), exhaustive (every "
             "pattern for the sizes given), numeric (randomized checks); refuted means a "
             "counterexample was found.", "",
             "\\section*{Summary of claims}",
             # Ragged narrow columns in small type so that the table fits the text width.
             "{\\small\\setlength{\\tabcolsep}{4pt}",
             "\\begin{longtable}{>{\\raggedright\\arraybackslash}p{0.17\\linewidth}l"
             ">{\\raggedright\\arraybackslash}p{0.38\\linewidth}ll"
             ">{\\raggedright\\arraybackslash}p{0.1\\linewidth}}", "\\hline",
             "Derivation & THEORY & Claim & Proof level & Agreement & Status \\\\", "\\hline",
             "\\endhead"]
    for d in results:
        for c in d.claims:
            status = ("ok" if c.ok else "FAILED") + c.tag
            lines.append(f"{latex_text(d.name)} & {latex_text(d.section)} & "
                         f"{latex_text(c.statement)} & {c.level} & {_agr(c.agreement, '--')} & "
                         f"{status} \\\\")
    lines += ["\\hline", "\\end{longtable}}", ""]
    for d in results:
        lines += [render_latex_body(d),
                  f"\\noindent\\textit{{THEORY section {latex_text(d.section)}; proof levels "
                  f"reached: {d.level_summary}; worst numeric agreement: "
                  f"{_agr(d.agreement, '--')}.}}", ""]
    lines += ["\\end{document}", ""]
    return "\n".join(lines)


def render_report_markdown(results: list[Derivation]) -> str:
    """The Markdown twin of :func:`render_report_latex`, with ``$$`` display math."""
    lines = [f"# {REPORT_TITLE}", "",
             "Written by `symspline derive`; regenerate rather than edit. Proof levels, strongest "
             "first: general (symbolic, all sizes), exhaustive (every pattern for the sizes given), "
             "numeric (randomized checks); refuted means a counterexample was found.", "",
             "## Summary of claims", "",
             "| derivation | THEORY | claim | proof level | agreement | status |",
             "| --- | --- | --- | --- | --- | --- |"]
    for d in results:
        for c in d.claims:
            status = ("ok" if c.ok else "FAILED") + c.tag
            stmt = c.statement.replace("|", "\\|")
            lines.append(f"| {d.name} | {d.section} | {stmt} | {c.level} | "
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
             "Written by `symspline derive`; regenerate rather than edit.", "",
             "| derivation | THEORY | statement | proof levels reached | worst numeric error | status |",
             "| --- | --- | --- | --- | --- | --- |"]
    for d in results:
        agr = "-" if d.agreement is None else f"{d.agreement:.1e}"
        lines.append(f"| [{d.name}]({d.name}.md) | {d.section} | {d.summary} | {d.level_summary} | {agr} | "
                     f"{'ok' if d.ok else 'FAILED'} |")
    return "\n".join(lines) + "\n"


