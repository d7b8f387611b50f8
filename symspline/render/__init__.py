"""Rendering: notebook display, the derivation report (LaTeX, Markdown, figures) and its PDF.

- :mod:`symspline.render.display`: LaTeX/HTML/Markdown/text renderings of parameters, losses,
  records and theorems, and numeric results as a :class:`~symspline.render.display.Table`;
- :mod:`symspline.render.report`: derivation records rendered to standalone LaTeX, Markdown and
  the combined report; the report's figure style and reproducible figure files;
- :mod:`symspline.render.figures`: ``settle``, what a figure draws rounded before it is saved;
- :mod:`symspline.render.texbuild`: reproducible compilation of LaTeX to PDF.

The value objects below this package do not import it: their ``__repr__`` and ``_repr_*_``
methods ask the registry :mod:`symspline.reprs`, which importing this package fills (``import
symspline`` does). Rendering imports the value objects, never the CLI or the derivations.
"""

from __future__ import annotations

from .. import reprs
from ..params import Network, Spline
from ..piecewise import PiecewiseLoss
from ..records import Claim, Derivation
from ..theorems.core import ProofResult, Theorem
from . import display, report

for _cls, _fmt, _renderer in (
    (Network, "text", display.params_repr),
    (Network, "latex", display.network_latex),
    (Network, "html", display.params_html),
    (Spline, "text", display.params_repr),
    (Spline, "latex", display.spline_latex),
    (Spline, "html", display.params_html),
    (PiecewiseLoss, "latex", display.piecewise_loss_latex),
    (Claim, "latex", display.claim_latex),
    (Derivation, "latex", display.derivation_latex),
    (Derivation, "markdown", report.render_markdown),
    (Theorem, "latex", display.theorem_latex),
    (ProofResult, "latex", display.proof_latex),
):
    reprs.register(_cls, _fmt, _renderer)
del _cls, _fmt, _renderer

__all__ = ["display", "report"]
