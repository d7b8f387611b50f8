"""Shared fixtures: the built-in exact example and small random problems."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

from symspline.defaults import default_dataset, default_network  # noqa: E402


@pytest.fixture
def data():
    return default_dataset()


@pytest.fixture
def net():
    return default_network()


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
