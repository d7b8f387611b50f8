"""The report compiled by a real TeX engine: no errors, no overfull boxes above 1 pt, no undefined
references.

These tests need latexmk and pdflatex (Debian: ``apt-get install --no-install-recommends latexmk
texlive-latex-recommended``; ``.ci/run`` installs them). In CI (the environment variable ``CI`` set
to a true value) a missing TeX engine is a test FAILURE, never a skip: the checks below are the
only thing that reads the LaTeX the way a reader's TeX does. Only on a developer's machine without
CI set do they skip when TeX is absent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import derivations
from symspline.render.report import (
    Claim,
    Derivation,
    Equation,
    render_latex,
    render_report_latex,
)

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "docs" / "generated"
#: Derivations fast enough to run here in quick mode (seconds each) that between them use every
#: rendering path: matrices, split equations, theorem claims, figures (every derivation is in
#: the committed report, compiled by the last test).
FAST = ("reparameterization", "loss_surface", "landscape", "spectra")
#: Overfull boxes up to this many points are invisible; above it a line runs into the margin.
TOLERANCE_PT = 1.0


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _require_tex() -> str:
    latexmk = shutil.which("latexmk")
    if latexmk and shutil.which("pdflatex"):
        return latexmk
    message = "latexmk/pdflatex not installed (see .ci/run for the Debian packages)"
    if _in_ci():
        pytest.fail(f"{message}: in CI the report must be compiled, not skipped")
    pytest.skip(f"{message}; skipped only because CI is not set")


def log_problems(log: str) -> list[str]:
    """Errors, overfull boxes above TOLERANCE_PT and undefined references in a LaTeX log."""
    problems = [ln for ln in log.splitlines() if ln.startswith("!")]
    for m in re.finditer(r"Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too (?:wide|high)\)[^\n]*", log):
        if float(m.group(1)) > TOLERANCE_PT:
            problems.append(m.group(0))
    problems += re.findall(r"LaTeX Warning: (?:Reference|Citation|Hyper reference) [^\n]*undefined"
                           r"[^\n]*", log)
    problems += re.findall(r"LaTeX Warning: There were undefined references[^\n]*", log)
    problems += re.findall(r"pdfTeX warning \(dest\): name\{[^}]*\} has been referenced but does "
                           r"not exist[^\n]*", log)
    return problems


def _compile(tex: Path) -> tuple[str, bytes]:
    latexmk = _require_tex()
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    proc = subprocess.run([latexmk, "-pdf", "-interaction=nonstopmode", "-halt-on-error",
                           tex.name], cwd=tex.parent, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    log = tex.with_suffix(".log").read_text(errors="replace")
    assert proc.returncode == 0, "\n".join(log_problems(log)) or proc.stdout[-2000:]
    return log, tex.with_suffix(".pdf").read_bytes()


# ------------------------------------------------------------------ the log reader itself
def test_log_reader_finds_what_it_must_and_tolerates_one_point():
    log = "\n".join([
        "Overfull \\hbox (0.8pt too wide) in paragraph at lines 3--4",
        "Overfull \\hbox (26.41054pt too wide) detected at line 206",
        "Overfull \\vbox (182.99376pt too high) has occurred while \\output is active []",
        "LaTeX Warning: Reference `eq:x' on page 2 undefined on input line 7.",
        "! Undefined control sequence.",
        "Underfull \\hbox (badness 10000) in paragraph at lines 9--9",
    ])
    found = log_problems(log)
    assert len(found) == 4
    assert not any("0.8pt" in p or "Underfull" in p for p in found)
    assert log_problems("Overfull \\hbox (1.0pt too wide)\nclean\n") == []


# ------------------------------------------------------------------ real documents
def test_report_of_real_derivations_compiles_clean(tmp_path):
    _require_tex()
    mods = derivations.available()
    ctx = derivations.Context(out_dir=tmp_path, quick=True)
    results = [mods[name].run(ctx) for name in FAST]
    assert all(r.ok for r in results)
    # Every claim of these derivations is typeset from its own LaTeX, not from the plain text.
    untyped = [f"{r.name}: {c.name}" for r in results for c in r.claims if not c.latex]
    assert not untyped, untyped
    # Every figure has its vector twin, which is what LaTeX picks.
    for r in results:
        for f in r.figures:
            assert (tmp_path / f.path).with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    tex = tmp_path / "report.tex"
    tex.write_text(render_report_latex(results))
    log, pdf = _compile(tex)
    assert log_problems(log) == []
    # hyperref wrote the document information; TeX reproducibility is tested in test_report.py.
    # (pdfTeX escapes spaces in the info strings as \040)
    assert re.search(rb"/Title\s*\(symspline:", pdf) and re.search(rb"/Author\s*\(symspline", pdf)
    # A standalone derivation compiles on its own too (what `symspline derive` writes per name).
    one = tmp_path / "loss_surface_alone.tex"
    one.write_text(render_latex(results[1]))
    assert log_problems(_compile(one)[0]) == []


def test_long_unbroken_lines_are_caught(tmp_path):
    """The checks bite: a derivation with an over-long equation fails them."""
    _require_tex()
    long = " + ".join(f"\\frac{{a_{{{k}}}}}{{b_{{{k}}}}}" for k in range(40))
    d = Derivation("wide", "Wide", "9", "a summary", equations=(Equation(long, "w"),),
                   claims=(Claim("c", "x", "general"),))
    tex = tmp_path / "report.tex"
    tex.write_text(render_report_latex([d]))
    log, _ = _compile(tex)
    assert any("Overfull" in p for p in log_problems(log))


def test_committed_report_compiles_clean(tmp_path):
    """docs/generated/report.tex as committed (regenerate with `symspline derive`)."""
    _require_tex()
    src = GENERATED / "report.tex"
    assert src.exists(), "docs/generated/report.tex is missing: run `symspline derive`"
    shutil.copy(src, tmp_path / "report.tex")
    shutil.copytree(GENERATED / "figures", tmp_path / "figures")
    log, _ = _compile(tmp_path / "report.tex")
    assert log_problems(log) == []
    text = src.read_text()
    assert "`" not in text.replace("``", ""), "Markdown backticks in LaTeX"
    assert r"\textasciitilde" not in text, "a tilde typeset as an accent instead of \\sim"
