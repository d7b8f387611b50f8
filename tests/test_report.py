"""Notebook renderings (symspline.render.display, _repr_*_), reprs, and the combined derive report."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import derivations
from symspline import Dataset, Network, PiecewiseLoss, Spline
from symspline.cli import derive as derive_cli
from symspline.errors import InputError
from symspline.piecewise import pattern_loss
from symspline.render import texbuild
from symspline.render.display import Table, matrix_table, params_table, vector_table
from symspline.render.report import Claim, Derivation, Equation, render_latex_body, render_markdown

R = sp.Rational
DOCS = Path(__file__).resolve().parents[1] / "docs"


def _balanced(tex: str) -> bool:
    depth = 0
    for ch in tex.replace(r"\{", "").replace(r"\}", ""):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


# ------------------------------------------------------------------ formulas
def test_network_latex_exact_by_hand():
    net = Network([2, -1], [-3, R(1, 2)], [R(1, 2), -4], 1)
    assert net._repr_latex_() == (r"$f(x) = \frac{1}{2}\,\left[2 x - 3\right]_+"
                                  r" - 4\,\left[- x + \frac{1}{2}\right]_+ + 1$")


def test_spline_latex_orientations_by_hand():
    # Theory §1.1: [s (x - beta)]_+ is [x - beta]_+ for s = +1 and [beta - x]_+ for s = -1.
    spl = Spline([R(3, 5), -2], [R(3, 2), -1], (1, -1), 0)
    assert spl._repr_latex_() == (r"$f(x) = \frac{3}{2}\,\left[x - \frac{3}{5}\right]_+"
                                  r" - \left[-2 - x\right]_+$")
    sym = Spline.symbols(2, (1, -1))._repr_latex_()
    assert r"\mu_{1}\,\left[x - \beta_{1}\right]_+" in sym
    assert r"\mu_{2}\,\left[\beta_{2} - x\right]_+ + c" in sym


def test_float_rendering_rounds_only_the_display():
    net = Network([1 / 3], [0.0], [1e-7], 0.0)
    tex = net._repr_latex_()
    assert "0.333333 x" in tex and r"10^{-7}" in tex
    assert net.w[0] == 1 / 3  # the value itself is untouched
    html = net._repr_html_()
    assert "<table>" in html and "<td>0.333333</td>" in html
    assert Network.symbols(1)._repr_html_() is None  # symbolic: LaTeX only


def test_params_table_breakpoints_are_minus_b_over_w():
    net = Network([2.0, -4.0], [1.0, 2.0], [1.0, 1.0], 0.5)
    tab = params_table(net)
    assert [r[-1] for r in tab.rows] == ["-0.5", "0.5"]
    assert "c = 0.5" in tab.caption


# ------------------------------------------------------------------ tables
def test_table_renderings_escape_their_cells():
    tab = Table(("a|b", "<x>"), (("1|2", "a&b"),), caption="t < 1")
    html = tab._repr_html_()
    assert "&lt;x&gt;" in html and "a&amp;b" in html and "<caption>t &lt; 1</caption>" in html
    md = tab._repr_markdown_()
    assert "| a\\|b | <x> |" in md and "| 1\\|2 | a&b |" in md
    assert _balanced(tab._repr_latex_()) and r"\begin{array}{ll}" in tab._repr_latex_()
    assert str(tab).splitlines()[1].startswith("a|b")


def test_vector_and_matrix_tables():
    tab = vector_table([1.0, 2.0], ["w1", "c"], reference=[1.0, 2.5])
    assert tab.rows[1] == ("c", "2", "2.5", "5.00e-01")
    with pytest.raises(InputError, match="2 values but 3 names"):
        vector_table([1.0, 2.0], ["a", "b", "c"])
    m = matrix_table(np.eye(2), ["a", "b"])
    assert m.header == ("", "a", "b") and m.rows[0] == ("a", "1", "0")
    with pytest.raises(InputError):
        matrix_table(np.eye(3), ["a", "b"])


def test_piecewise_loss_latex_lists_the_pattern_polynomials():
    data = Dataset.from_arrays([0, 1, 2], [1, 0, 1])
    sym = Spline.symbols(1, (1,))
    pl = PiecewiseLoss(sym, data)
    tex = pl._repr_latex_()
    assert r"4\ \text{pieces}" in tex and r"\vdots" not in tex  # (N+1)^H = 4 patterns
    for pattern in pl.patterns():
        assert sp.latex(sp.expand(pattern_loss(pattern, sym, data))) in tex
    big = PiecewiseLoss(Spline.symbols(2, (1, -1)), data)._repr_latex_()
    assert r"16\ \text{pieces}" in big and r"\text{8 more patterns}" in big
    assert _balanced(big)


def test_claim_and_derivation_reprs():
    ok = Claim("id", "identity $a_{1} = b$ for {all} x", "general", 1e-16)
    refuted = Claim("bad", "false $1 = 2$", "refuted", expected_false=True)
    failed = Claim("oops", "it holds", "refuted")
    for c, mark in ((ok, r"\checkmark"), (refuted, r"\checkmark"), (failed, r"\times")):
        tex = c._repr_latex_()
        assert tex.startswith("$") and tex.endswith("$") and mark in tex and _balanced(tex)
    assert "a_{1} = b" in ok._repr_latex_()  # math kept, prose braces neutralised
    d = Derivation("demo", "Demo", "2", "a summary", equations=(Equation("x^2", note="note"),),
                   claims=(ok, refuted))
    assert d._repr_markdown_() == render_markdown(d)
    assert r"\displaystyle x^2" in d._repr_latex_() and _balanced(d._repr_latex_())


# ------------------------------------------------------------------ combined report
def _fake_module(name: str, section: str, claims: tuple[Claim, ...]) -> types.ModuleType:
    mod = types.ModuleType(f"fake_{name}")
    mod.NAME, mod.TITLE, mod.SECTION, mod.SUMMARY = name, f"Title {name}", section, f"sum {name}"

    def run(ctx: derivations.Context) -> Derivation:
        return Derivation(name, f"Title {name}", section, f"sum {name}",
                          equations=(Equation(rf"L_{{{name.strip('_')}}} = {section}", label="main"),),
                          claims=claims)

    mod.run = run
    return mod


def _fake_derivations(monkeypatch: pytest.MonkeyPatch, *, failing: bool = False) -> None:
    good = Claim("g", "holds $x=x$", "general", 1e-15)
    mods = {
        "gamma": _fake_module("gamma", "3", (good,)),
        "alpha": _fake_module("alpha", "1", (good, Claim("f", "1 = 2", "refuted",
                                                         expected_false=True))),
        "beta_": _fake_module("beta_", "2.1", (Claim("n", "by numbers", "numeric", 2e-9),)
                              + ((Claim("x", "broken", "refuted"),) if failing else ())),
    }
    monkeypatch.setattr(derivations, "available", lambda: mods)


def _run_derive(out: Path, *names: str) -> int:
    args = argparse.Namespace(names=list(names), out=str(out), quick=True, seed=1,
                              no_progress=True, json=True, no_pdf=True, cache=None, no_cache=True)
    return derive_cli.run(args)


def test_report_sections_in_theory_order_and_reproducible(tmp_path, monkeypatch, capsys):
    _fake_derivations(monkeypatch)
    assert _run_derive(tmp_path / "a") == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["report"]["pdf"] == "skipped (--no-pdf)"
    tex = (tmp_path / "a" / "report.tex").read_text()
    md = (tmp_path / "a" / "report.md").read_text()
    # Sections follow theory order 1 < 2.1 < 3, not the discovery order.
    pos = [tex.index(rf"\section{{Title {n}}}") for n in ("alpha", "beta\\_", "gamma")]
    assert pos == sorted(pos)
    mpos = [md.index(f"## Title {n}") for n in ("alpha", "beta_", "gamma")]
    assert mpos == sorted(mpos)
    for must in (r"\documentclass", r"\usepackage{amsmath", "graphicx", "{hyperref}",
                 "pdftitle={", r"\tableofcontents", r"\begin{longtable}", r"\end{document}",
                 r"\label{eq:alpha:main}", r"\label{sec:alpha}", r"\hyperref[sec:gamma]"):
        assert must in tex
    # The summary lists every claim with its level; the refuted false statement is ok.
    assert "1 = 2 & refuted & -- & ok (expected false)" in tex
    assert "| alpha | 1 | 1 = 2 | refuted | - | ok (expected false) |" in md
    # Agreements are stated as bounds (1e-15 is below the 1e-12 floor of symspline.bounds),
    # and prose starts with a capital.
    assert r"$< 10^{-12}$" in tex and r"10^{-15}" not in tex and "\nSum alpha.\n" in tex
    assert "$$\nL_{alpha} = 1\n$$" in md and "##" not in md.split("\n")[0]
    assert r"\today" not in tex
    _run_derive(tmp_path / "b", "gamma", "beta_", "alpha")
    for f in ("report.tex", "report.md"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def test_report_marks_failures_and_exit_code(tmp_path, monkeypatch, capsys):
    _fake_derivations(monkeypatch, failing=True)
    assert _run_derive(tmp_path) == 1
    capsys.readouterr()
    assert r"broken & refuted & -- & \textbf{FAILED}" in (tmp_path / "report.tex").read_text()


def test_without_tex_the_pdf_is_skipped_with_one_line(tmp_path, monkeypatch):
    (tmp_path / "report.tex").write_text("not compiled")
    monkeypatch.setattr(texbuild.shutil, "which", lambda name: None)
    msg = texbuild.compile_pdf(tmp_path / "report.tex")
    assert msg.startswith("TeX is absent") and "\n" not in msg
    assert not (tmp_path / "report.pdf").exists()


def _require(tool: str) -> None:
    """Skip without the TeX tool only off CI; in CI (CI set) its absence fails the test."""
    if shutil.which(tool) is None:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{tool} not installed: .ci/run installs it, CI must not skip")
        pytest.skip(f"{tool} not installed (skipped only because CI is not set)")


def test_report_compiles_to_a_reproducible_pdf(tmp_path, monkeypatch, capsys):
    _require("latexmk")
    _fake_derivations(monkeypatch)
    _run_derive(tmp_path)
    capsys.readouterr()
    first = texbuild.compile_pdf(tmp_path / "report.tex")
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert first.endswith("(latexmk)") and pdf.startswith(b"%PDF")
    texbuild.compile_pdf(tmp_path / "report.tex")
    assert (tmp_path / "report.pdf").read_bytes() == pdf
    # A broken document is reported, not hidden.
    (tmp_path / "report.tex").write_text("\\documentclass{article}\\begin{document}\\undefinedmacro"
                                         "\\end{document}\n")
    assert texbuild.compile_pdf(tmp_path / "report.tex").startswith("LaTeX failed")


def test_theorem_and_proof_latex_duck_typed():
    from symspline.render.display import proof_latex, theorem_latex

    thm = types.SimpleNamespace(name="9.9", latex=r"R \succeq 0", hypotheses=("inside {a} pattern",),
                                expected_false=True)
    tex = theorem_latex(thm)
    assert r"\displaystyle R \succeq 0" in tex and "deliberately false" in tex and _balanced(tex)
    res = types.SimpleNamespace(theorem="9.9", level="refuted", H=2, N=3, ok=True,
                                detail="minor {negative}", counterexample="x=[1, 2]")
    tex = proof_latex(res)
    assert r"\textbf{refuted}" in tex and r"\checkmark" in tex and "x=[1, 2]" in tex
    assert _balanced(tex)


def test_guide_examples_run(tmp_path):
    import importlib.util
    import re

    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "guide.md").read_text(), flags=re.S)
    assert len(blocks) >= 5
    have_torch = importlib.util.find_spec("torch") is not None
    code = "\n".join(b for b in blocks if have_torch or not b.startswith("# needs torch"))
    script = tmp_path / "guide_examples.py"
    script.write_text(code)
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    if have_torch:
        assert "contains a Tanh module" in proc.stdout


def test_architecture_page_names_only_existing_modules():
    import re

    root = DOCS.parent
    text = (DOCS / "architecture.md").read_text()
    paths = set(re.findall(r"`((?:symspline|derivations)/[\w/]*(?:\.py)?)`", text))
    assert len(paths) >= 20
    missing = sorted(p for p in paths if "NAME" not in p and not (root / p).exists())
    assert not missing, f"architecture.md names missing modules: {missing}"


def test_wide_network_formula_is_elided_but_table_is_complete():
    from symspline.render import display

    H = display.MAX_TERMS + 4
    net = Network(np.ones(H), -np.arange(H, dtype=float), np.ones(H), 0.0)
    tex = net._repr_latex_()
    assert tex.count(r"\right]_+") == display.MAX_TERMS - 1
    assert rf"\text{{{H - display.MAX_TERMS + 1} more units}}" in tex
    assert len(params_table(net).rows) == H


def test_report_falls_back_to_pdflatex(tmp_path, monkeypatch, capsys):
    _require("pdflatex")
    _fake_derivations(monkeypatch)
    _run_derive(tmp_path)
    capsys.readouterr()
    real = shutil.which
    monkeypatch.setattr(texbuild.shutil, "which",
                        lambda name: None if name == "latexmk" else real(name))
    assert texbuild.compile_pdf(tmp_path / "report.tex").endswith("(pdflatex)")
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob("report.aux"))  # auxiliary files stay in the scratch directory


def test_theory_erratum_is_ok_only_when_refuted_with_a_counterexample():
    refuted = Claim("e", "the source says 1 = 2", "refuted", detail="counterexample: 1 != 2",
                    erratum=True)
    assert refuted.ok and refuted.tag == " (erratum)"
    assert not Claim("e", "theory says 1 = 2", "refuted", erratum=True).ok  # no counterexample
    assert not Claim("e", "theory says 1 = 1", "general", erratum=True).ok  # not refuted after all
    d = Derivation("n", "T", "4", "s", claims=(refuted, Claim("g", "x = x", "general")))
    assert d.ok and d.level == "general"
    assert "*(erratum)*" in render_markdown(d)
    assert r"\textbf{Erratum (e).} Counterexample: 1 != 2" in render_latex_body(d)


def test_latex_text_escapes_specials_outside_math_only():
    from symspline.render.report import latex_text

    out = latex_text("a_b & |w| < 1 > 0 ~ ^ $|x|_1 < 2$")
    assert out.startswith(r"a\_b \& \textbar{}w\textbar{} \textless{} 1 \textgreater{} 0")
    assert out.endswith("$|x|_1 < 2$")


def test_latex_text_turns_code_spans_into_texttt_and_sentences_start_with_capitals():
    from symspline.render.report import latex_text, sentence

    assert latex_text("use `convert --balance` and $a_`b$") == (
        r"use \texttt{convert --balance} and $a_`b$")
    assert "`" not in latex_text("`x_y` then `z`")
    assert sentence("on a pattern") == "On a pattern" and sentence("$x$ moves") == "$x$ moves"


def test_claim_latex_is_what_documents_show():
    c = Claim("k", "dL/dmu_i = 0", "general", latex=r"$\partial L/\partial\mu_i = 0$ on `A_i`")
    d = Derivation("n", "T", "2", "s", claims=(c,))
    body = render_latex_body(d)
    assert r"$\partial L/\partial\mu_i = 0$ on \texttt{A\_i}" in body and "dL/dmu" not in body
    assert r"$\partial L/\partial\mu_i = 0$ on `A_i`" in render_markdown(d)
    assert Claim("k", "a_b", "general").statement_latex == r"a\_b"  # no latex: escaped text


def test_long_equations_are_split_and_figures_included_by_stem():
    from symspline.render.report import Figure

    eq = Equation(r"a &= \begin{pmatrix} 1 \\ 2 \end{pmatrix} \\ &= b", label="x")
    assert eq.multiline and not Equation(r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}").multiline
    d = Derivation("n", "T", "2", "s", equations=(eq,),
                   figures=(Figure("figures/n_fig.png", "A $\\beta$ plot"),))
    body = render_latex_body(d)
    assert "\\begin{equation}\n\\begin{split}" in body and r"\label{eq:n:x}" in body
    assert "{figures/n_fig}" in body and r"\label{fig:n:n_fig}" in body
    md = render_markdown(d)
    assert "$$\n\\begin{aligned}" in md and "![A beta plot](figures/n_fig.png)" in md


def test_figures_are_saved_as_png_and_reproducible_pdf(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from symspline.render.report import figure_style, save_figure

    blobs = []
    for k in range(2):
        with figure_style():
            fig, ax = plt.subplots()
            ax.plot([0, 1], [1, -1], label=r"$\beta_1$")
            ax.set_xlabel(r"$t$")
            assert matplotlib.rcParams["mathtext.fontset"] == "cm"
            save_figure(fig, tmp_path / f"f{k}.png", vector=True)
        plt.close(fig)
        blobs.append(((tmp_path / f"f{k}.png").read_bytes(), (tmp_path / f"f{k}.pdf").read_bytes()))
    assert blobs[0] == blobs[1]
    assert blobs[0][1].startswith(b"%PDF") and b"CreationDate" not in blobs[0][1]
    save_figure(fig, tmp_path / "cli.png")  # the CLI default: the PNG alone
    assert not (tmp_path / "cli.pdf").exists()


# ------------------------------------------------------------------ terminal and REPL
def test_reprs_show_values_like_numpy():
    exact = Network([2, -1], [R(5, 2), R(1, 3)], [R(1, 2), -1], R(1, 10))
    assert repr(exact) == "Network(w=[2, -1], b=[5/2, 1/3], v=[1/2, -1], c=1/10)"
    assert repr(exact.to_spline()) == "Spline(beta=[-5/4, 1/3], mu=[1, -1], s=[1, -1], c=1/10)"
    assert repr(Network.symbols(1)) == "Network(w=[w1], b=[b1], v=[v1], c=c)"
    wide = Network(np.arange(10.0), -np.zeros(10), np.full(10, 0.5), -0.0)
    text = repr(wide)
    assert text.startswith("Network(w=[0., 1., 2., ..., 7., 8., 9.], b=[0., 0., 0., ...")
    assert "-0." not in text and text.endswith("c=0)")
    assert repr(Network([1.0], [0.0], [1.0], 1 / 3)).endswith("c=0.33333333)")


def test_pretty_is_unicode_simplified_with_a_float_beside_exact_values():
    from symspline.render.display import pretty

    assert pretty(sp.sqrt(3 + 2 * sp.sqrt(2))) == "1 + √2  ≈ 2.41421"
    x = sp.Symbol("x", real=True)
    assert pretty(sp.Or(x <= 0, x <= 1)) == "x ≤ 1"
    frac = pretty(R(31, 288)).split("\n")
    assert frac == ["31", "───  ≈ 0.107639", "288"]
    assert pretty(R(5)) == "5" and pretty(0.25) == "0.25"


def test_table_latex_typesets_numbers_and_names_as_math():
    tab = vector_table([-0.0085, -0.0, 1.5e-7], ["beta1", "mu2", "c"])
    tex = tab._repr_latex_()
    assert r"\beta_{1} & -0.0085" in tex and r"\mu_{2} & 0 \\" in tex
    assert r"c & 1.5 \times 10^{-7}" in tex and r"\text{-" not in tex
    assert _balanced(tex)


def test_proof_detail_is_wrapped_in_notebooks():
    from symspline.render.display import WRAP, proof_latex

    res = types.SimpleNamespace(theorem="1.1", level="general", H=2, N=2, ok=True,
                                detail="word " * 60, counterexample=None)
    rows = proof_latex(res).split(r"\\ ")
    assert len(rows) >= 4 and all(len(r) <= WRAP + 40 for r in rows)


# ------------------------------------------------------------------ figures and paste-ready LaTeX
def test_plot_labels_and_noise_floor():
    from symspline.render.report import above_floor, math_label, slice_label

    assert slice_label("network d=-2") == r"network, $\delta = -2$" and "$" in slice_label("spline")

    assert math_label("x >= 0") == r"$x \geq 0$" and math_label("-1 <= x < 2") == r"$-1 \leq x < 2$"
    assert math_label("cost $5") == r"cost \$5"  # a label from a data file stays text
    v = above_floor(np.array([1.0, 1e-3, 1e-16, 0.0]))
    assert v[0] == 1.0 and v[1] == 1e-3 and np.isnan(v[2]) and np.isnan(v[3])


def test_animation_drops_frames_that_repeat_through_a_plateau():
    from symspline.flow.animate import distinct_rows

    # f moves until row 3, then stays (a plateau), then moves at the last row.
    states = [0.0, 1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 4.0]
    res = types.SimpleNamespace(params_at=lambda k: (lambda g: g * 0 + states[k]))
    grid = np.linspace(0.0, 1.0, 5)
    kept = distinct_rows(res, np.arange(len(states)), grid, 1e-9)
    assert kept.tolist() == [0, 1, 2, 3, 7]


def test_latex_command_output_is_paste_ready(capsys):
    from symspline.cli import main

    assert main(["latex", "2.2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("% symspline latex 2.2") and r"\usepackage{amsmath" in out
    assert r"\begin{equation}" in out and r"\label{thm:2.2}" in out
    assert "`" not in out and "$$" not in out  # no Markdown


def test_theory_page_has_every_section_the_derivations_cite():
    import re

    text = (DOCS / "theory.md").read_text()
    headings = set(re.findall(r"^## (\d+)\. ", text, flags=re.M))
    numbered = set(re.findall(r"^\*\*(\d+\.\d+) ", text, flags=re.M))
    assert headings == {str(k) for k in range(8)}
    for mod in derivations.available().values():
        sec = str(mod.SECTION)
        assert (sec in numbered) if "." in sec else (sec in headings), f"{mod.NAME}: §{sec}"
    # The source's statements found false are written in as corrections, each stating the fix.
    assert len(re.findall(r"\*\*Correction[.:]", text)) == 3
    assert "1/18" in text and "tendency, not a law" in text
    # Math for GitHub: every $$ display opens and closes, and inline $ pair up on each line.
    assert text.count("$$") % 2 == 0
    for line in text.splitlines():
        assert line.replace("$$", "").count("$") % 2 == 0, line


def test_plain_text_and_inline_read_latex_and_sympy_as_unicode():
    from symspline.render.display import approx_text, inline, plain_text

    assert plain_text(r"$\nabla^2 L = (J^\top J + R)/N$ with $\mu_i \neq 0$") == \
        "∇² L = (Jᵀ J + R)/N with μᵢ ≠ 0"
    assert plain_text(r"$\frac12\,\mathbb{E}[(f - g)^2]$; `code`") == "1/2 E[(f - g)²]; code"
    assert plain_text(r"error $O(N^{-1/2})$ and $\frac{1}{2N}$") == "error O(N^(-1/2)) and 1/(2N)"
    # every derivation's summary reads without LaTeX on a terminal
    for mod in derivations.available().values():
        text = plain_text(mod.SUMMARY)
        assert "$" not in text and "\\" not in text, text
    nested = -sp.sqrt(R(2, 5) + 2 * sp.sqrt(21) / 5)
    assert inline(nested) == "-√(2/5 + 2·√21/5)" and "\n" not in inline(nested)
    assert inline(sp.sqrt(3 + 2 * sp.sqrt(2))) == "1 + √2"  # denested
    assert approx_text(sp.sqrt(6) / 2) == "√6/2 ≈ 1.22474"
    assert approx_text(R(1, 5)) == "1/5 ≈ 0.2" and approx_text(R(3)) == "3"
    assert approx_text(0.25) == "0.25"


def _prose_outside_math(tex: str) -> str:
    """The prose of a LaTeX body: math spans, displays, \\texttt{} and table rules removed."""
    import re

    tex = re.sub(r"\\begin\{equation\}.*?\\end\{equation\}", "", tex, flags=re.S)
    tex = re.sub(r"\\texttt\{[^}]*\}", "", tex)
    return "".join(p for i, p in enumerate(tex.split("$")) if i % 2 == 0)


@pytest.mark.parametrize("name", ["population", "hessian"])
def test_population_and_hessian_are_typeset_without_ascii_math(name, tmp_path):
    """Issue 16: every claim carries its LaTeX and the prose has no ASCII pseudo-math
    ("(1/2) E[(f - g)^2]", "mu_i != 0", "q(mu, mu*beta, c)") in the report."""
    d = derivations.get(name).run(derivations.Context(out_dir=tmp_path, quick=True, seed=1))
    assert d.ok
    assert all(c.latex for c in d.claims), [c.name for c in d.claims if not c.latex]
    prose = _prose_outside_math(render_latex_body(d))
    for ascii_math in (r"\textasciicircum", r"\_", "!=", ">=", "->", "(1/2)", "mu_i", "beta",
                       "L_pop", "THEORY", "q(mu", r"\textbar"):
        assert ascii_math not in prose, ascii_math
    if name == "hessian":
        assert r"$q(\mu, \mu\beta, c)$" in render_latex_body(d)
