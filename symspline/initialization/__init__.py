"""Initialization in function space (docs/theory.md §4): schemes, derived laws, flatness, Monte-Carlo.

- :mod:`.schemes`: ``Gaussian``, ``Uniform`` and the framework presets (``PRESETS``, ``get_scheme``).
- :mod:`.laws`: densities of beta = -b/w and mu = v|w|, their joint law and conditional moments,
  derived by SymPy (cached).
- :mod:`.roughness`: theory §4.5 in the width H (breakpoints and roughness on [a, b], Var f,
  Var f') and large-H behaviour.
- :mod:`.sampling`: the Monte-Carlo twin (numpy Generator), estimates with standard errors.
- :mod:`.validation`: exact values beside Monte-Carlo estimates (`symspline init`).
"""

from __future__ import annotations

from .laws import FamilyLaws, gaussian_laws, uniform_laws
from .roughness import (
    breakpoint_density,
    delta_slope_density,
    expected_breakpoints,
    expected_roughness,
    flatness_table,
    formulas,
    var_f,
    var_fprime,
)
from .sampling import function_stats, sample_functions, sample_parameters, sample_units
from .schemes import PRESETS, Gaussian, Uniform, get_scheme
from .validation import evaluate

__all__ = [
    "PRESETS", "FamilyLaws", "Gaussian", "Uniform", "breakpoint_density", "delta_slope_density",
    "evaluate", "expected_breakpoints", "expected_roughness", "flatness_table", "formulas",
    "function_stats", "gaussian_laws", "get_scheme", "sample_functions", "sample_parameters",
    "sample_units", "uniform_laws", "var_f", "var_fprime",
]
