"""The results of docs/theory.md as executable derivations: one module per section, run by
`symspline derive`.

A derivation module defines ``NAME``, ``TITLE``, ``SECTION`` (its section of docs/theory.md),
``SUMMARY`` and ``run(ctx) -> symspline.records.Derivation``; ``run`` is decorated with
:func:`symspline.render.report.styled` so that its figures share the report's fonts. Modules are
discovered here and ordered by section.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np

from symspline.data import Dataset
from symspline.defaults import DEFAULT_SEED, default_dataset
from symspline.errors import UnknownNameError
from symspline.render.report import Figure, save_figure, styled

__all__ = ["Context", "available", "get", "styled"]


@dataclass(frozen=True)
class Context:
    """What a derivation may use: where to write figures, quick or full mode, seed, default data."""

    out_dir: Path
    quick: bool = False
    seed: int = DEFAULT_SEED
    data: Dataset = field(default_factory=default_dataset)

    def rng(self, salt: str) -> np.random.Generator:
        """A generator seeded by the run's seed and a stable salt (no dependence on run order)."""
        digest = hashlib.sha256(f"{self.seed}:{salt}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    def figure(self, fig: object, name: str, caption: str) -> Figure:
        """Save a Matplotlib figure under figures/NAME.png (and its vector twin NAME.pdf),
        close it, and describe it. ``caption`` is prose with ``$...$`` math."""
        import matplotlib.pyplot as plt

        rel = f"figures/{name}.png"
        save_figure(fig, self.out_dir / rel, vector=True)
        plt.close(fig)  # type: ignore[arg-type]
        return Figure(rel, caption)


def _modules() -> dict[str, ModuleType]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "run") and hasattr(mod, "NAME"):
            found[mod.NAME] = mod
    return found


def available() -> dict[str, ModuleType]:
    """Derivation modules by name, sorted by section of docs/theory.md."""
    mods = _modules()
    return dict(sorted(mods.items(), key=lambda kv: (_section_key(kv[1].SECTION), kv[0])))


def get(name: str) -> ModuleType:
    """One derivation module by name."""
    mods = available()
    if name not in mods:
        raise UnknownNameError(f"unknown derivation {name!r}; known: {', '.join(mods)}")
    return mods[name]


def _section_key(section: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in str(section).split("."))
