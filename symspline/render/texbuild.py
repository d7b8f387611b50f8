"""Compiling LaTeX to PDF reproducibly (fixed dates, no trailer ID) when a TeX engine is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..io import write_bytes

#: TeX run before the document: pdfTeX writes no creation or modification date, no PTEX.*
#: entries (its version banner and the paths of included files, which differ between machines),
#: an empty trailer /ID (derived from the time and the output path otherwise) and a fixed
#: /Producer instead of its version.
PRETEX = (r"\pdfsuppressptexinfo=-1\relax\pdfinfoomitdate=1\relax\pdftrailerid{}"
          r"\pdfinfo{/Producer (symspline derive)}")


def compile_pdf(tex: Path) -> str:
    """Compile ``tex`` to a PDF beside it when a TeX engine is installed.

    Runs in a scratch directory (the PDF is moved in atomically) with SOURCE_DATE_EPOCH=0 and
    FORCE_SOURCE_DATE=1 and the settings of :data:`PRETEX`, so that no date, path or version
    enters the file. Returns a one-line status.
    """
    out, name, stem = tex.parent, tex.name, tex.stem
    latexmk, pdflatex = shutil.which("latexmk"), shutil.which("pdflatex")
    if not (latexmk or pdflatex):
        return f"TeX is absent (no latexmk or pdflatex): wrote {name} only"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    with tempfile.TemporaryDirectory(prefix="symspline-tex-") as tmp:
        if latexmk:
            cmds = [[latexmk, "-pdf", "-interaction=nonstopmode", "-halt-on-error",
                     f"-outdir={tmp}", f"-usepretex={PRETEX}", name]]
        else:  # twice, for the table of references
            cmds = [[pdflatex, "-interaction=nonstopmode", "-halt-on-error",
                     f"-output-directory={tmp}", f"-jobname={stem}",
                     PRETEX + "\\input{" + name + "}"]] * 2
        for cmd in cmds:
            try:
                proc = subprocess.run(cmd, cwd=out, env=env, capture_output=True, text=True,
                                      timeout=300, check=False)
            except subprocess.TimeoutExpired:
                return f"LaTeX timed out; {name} was written"
            if proc.returncode != 0:
                log = Path(tmp) / f"{stem}.log"
                errs = [ln for ln in (log.read_text(errors="replace").splitlines()
                                      if log.exists() else []) if ln.startswith("!")]
                return f"LaTeX failed ({errs[0] if errs else 'exit ' + str(proc.returncode)})"
        write_bytes(out / f"{stem}.pdf", (Path(tmp) / f"{stem}.pdf").read_bytes())
    return f"{out / (stem + '.pdf')} ({Path(cmds[0][0]).name})"
