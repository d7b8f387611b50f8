"""The built-in example: a small exact data set and network that every derivation starts from."""

from __future__ import annotations

import sympy as sp

from .data import Dataset
from .params import Network

R = sp.Rational

#: Seed of every random choice made by the main job.
DEFAULT_SEED = 20220801


def default_dataset() -> Dataset:
    """Eight exact samples on [-2, 2] of a bumpy target (x = -3/2 is one of them, as in
    docs/theory.md §5.4)."""
    x = [-2, R(-3, 2), -1, R(-1, 3), R(1, 4), 1, R(3, 2), 2]
    y = [R(1, 2), 1, R(1, 4), R(-1, 2), 0, R(3, 4), R(1, 4), R(-1, 2)]
    return Dataset.from_arrays(x, y)


def default_network() -> Network:
    """A width-3 exact network with breakpoints -5/4, 1/2, 3/5 in three different gaps."""
    return Network([2, -1, R(5, 2)], [R(5, 2), R(1, 2), R(-3, 2)], [R(1, 2), -1, R(3, 5)], R(1, 10))
