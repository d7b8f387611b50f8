"""symspline: shallow univariate ReLU networks read as continuous piecewise-linear splines."""

from __future__ import annotations

# Rendering registers the reprs of the value objects (symspline.reprs) when it is imported; the
# value objects themselves never import it.
from . import render  # noqa: F401
from .api import gradient, hessian, kind, loss
from .claims import claim
from .data import Dataset
from .errors import (
    CheckFailed,
    DataError,
    DegenerateUnitError,
    InputError,
    KinkError,
    ParameterError,
    ParseError,
    SizeError,
    SymsplineError,
    TimeLimitError,
    UnknownNameError,
)
from .evaluation import Evaluation, evaluate
from .interop import from_arrays, from_flax, from_torch
from .io import read_data, read_params, write_data, write_params
from .params import Network, Spline
from .piecewise import PiecewiseLoss, pattern_loss, pattern_residuals
from .regions import Pattern, kinks, locate, patterns

__version__ = "0.1.0"

__all__ = [
    "CheckFailed", "DataError", "Dataset", "DegenerateUnitError", "Evaluation", "InputError",
    "KinkError", "evaluate",
    "Network", "ParameterError", "ParseError", "Pattern", "PiecewiseLoss", "SizeError", "Spline",
    "SymsplineError", "TimeLimitError", "UnknownNameError", "from_arrays", "from_flax", "from_torch",
    "claim", "gradient", "hessian", "kind", "kinks", "locate", "loss",
    "pattern_loss",
    "pattern_residuals", "patterns", "read_data", "read_params", "write_data", "write_params",
]
