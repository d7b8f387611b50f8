"""The registry through which value objects reach their renderings, without importing them.

Jupyter asks the value of a cell for ``_repr_latex_``, ``_repr_html_`` or ``_repr_markdown_``
and Python asks for ``__repr__``. The value objects (parameters, piecewise losses, report
records, theorems and proof results) answer by looking their class up here; the rendering
package :mod:`symspline.render` fills the registry when it is imported, and ``import symspline``
imports it. So the value objects sit below rendering in the import graph (no cycle, no upward
import), and the renderings live in one package.

A format is one of ``"latex"``, ``"html"``, ``"markdown"`` (the ``_repr_*_`` methods) and
``"text"`` (``__repr__``). A class inherits the renderers of its bases (looked up along the MRO).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The formats a renderer can be registered for.
FORMATS = ("latex", "html", "markdown", "text")

_RENDERERS: dict[tuple[type, str], Callable[[Any], str]] = {}


def register(cls: type, fmt: str, renderer: Callable[[Any], str]) -> None:
    """Register ``renderer(obj) -> str`` as the ``fmt`` rendering of instances of ``cls``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    _RENDERERS[(cls, fmt)] = renderer


def render(obj: object, fmt: str) -> str | None:
    """The registered ``fmt`` rendering of ``obj``, or None when no renderer is registered
    (Jupyter then falls back to the next format, ``__repr__`` to :func:`object.__repr__`)."""
    for cls in type(obj).__mro__:
        renderer = _RENDERERS.get((cls, fmt))
        if renderer is not None:
            return renderer(obj)
    return None


def text(obj: object) -> str:
    """``__repr__`` of a value object: the registered text rendering, else the default one."""
    out = render(obj, "text")
    return object.__repr__(obj) if out is None else out
