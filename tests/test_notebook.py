"""docs/example.ipynb runs top to bottom in a real Jupyter kernel, and is committed with outputs.

Regenerate the committed outputs after changing the notebook or the renderings it shows with
``python tests/test_notebook.py`` (executes the notebook in place, stable cell ids, no timings).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "example.ipynb"
TIMEOUT = 240  # seconds per cell


def execute(path: Path) -> object:
    """Run the notebook in a fresh python3 kernel (cwd: its folder) and return it with outputs."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)  # wall-clock timestamps
    return nb


def _outputs(nb: object) -> list[list[dict]]:
    return [c["outputs"] for c in nb["cells"] if c["cell_type"] == "code"]  # type: ignore[index]


def test_notebook_runs_and_shows_what_it_promises(tmp_path, monkeypatch):
    if not os.environ.get("CI"):  # in CI the dev extra is installed: a missing kernel fails
        pytest.importorskip("nbclient", reason="needs the dev extra: pip install -e '.[dev]'")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    run = tmp_path / "example.ipynb"
    run.write_bytes(NOTEBOOK.read_bytes())
    nb = execute(run)
    outs = _outputs(nb)
    assert all(o["output_type"] != "error" for cell in outs for o in cell)
    text = "\n".join(o.get("text", "") if o["output_type"] == "stream" else
                     "\n".join(str(v) for v in o.get("data", {}).values())
                     for cell in outs for o in cell)
    # By hand: residuals f(x) - y at x = -1, 0, 1 are 2/3, -1/6, 5/2; (4/9 + 1/36 + 25/4) / 6.
    assert r"\frac{121}{108}" in text
    assert re.search(r"Network\(w=\[.*\], b=\[.*\], v=\[.*\], c=", text)  # values, not H=...
    assert "gradient agrees with finite differences" in text
    assert any("image/png" in o.get("data", {}) for cell in outs for o in cell)
    # Tables typeset numbers in math: real minus signs, never \text{-0.0085} or a -0 cell.
    latex = [o["data"]["text/latex"] for cell in outs for o in cell
             if "text/latex" in o.get("data", {})]
    assert latex and not any(re.search(r"\\text\{[-+]?[\d.]+(e[-+]?\d+)?\}", t) for t in latex)
    assert not any(re.search(r"(^|&)\s*-0\s*(&|\\\\)", t, flags=re.M) for t in latex)


def test_committed_notebook_has_outputs_and_no_errors():
    import json

    nb = json.loads(NOTEBOOK.read_text())
    first = "".join(nb["cells"][0]["source"])
    assert first.startswith("# ") and "twin" not in first.lower()
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] for c in code[1:]), "commit the notebook with its outputs"
    assert all(o["output_type"] != "error" for c in code for o in c["outputs"])
    assert all("execution" not in c.get("metadata", {}) for c in nb["cells"])  # no timestamps


if __name__ == "__main__":  # regenerate the committed outputs
    import nbformat

    sys.path.insert(0, str(NOTEBOOK.parents[1]))
    nbformat.write(execute(NOTEBOOK), str(NOTEBOOK))
