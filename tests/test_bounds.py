"""Measured errors stated as bounds (symspline.bounds): the rule of generated text."""

from __future__ import annotations

import math

import numpy as np
import pytest

from symspline.bounds import FLOOR, bound, bound_latex, ceiling_exponent


@pytest.mark.parametrize(("value", "text"), [
    (0.0, "< 1e-12"), (3.0e-16, "< 1e-12"), (7.1e-16, "< 1e-12"), (9.99e-13, "< 1e-12"),
    (1e-12, "< 1e-11"), (4.7e-11, "< 1e-10"), (2.0e-8, "< 1e-7"), (1e-4, "< 1e-3"),
    (0.3, "< 1"), (1.0, "< 1e1"), (-2.0e-8, "< 1e-7"),
])
def test_bound_by_hand(value: float, text: str) -> None:
    assert bound(value) == text


def test_the_bound_is_the_smallest_power_of_ten_above_the_value() -> None:
    rng = np.random.default_rng(7)
    for v in 10.0 ** rng.uniform(-20, 3, 2000):
        k = ceiling_exponent(v)
        assert v < 10.0 ** k
        assert k == -12 or 10.0 ** (k - 1) <= v
    # exact powers of ten: "<" must stay true
    for k in range(-11, 4):
        assert ceiling_exponent(10.0 ** k) == k + 1


def test_rounding_level_variation_does_not_change_the_text() -> None:
    # the pair, and every value an ulp-scale computation can produce below the floor
    assert bound(3.0e-16) == bound(7.1e-16) == bound(0.0) == bound(math.ulp(1.0))
    assert bound(FLOOR * 0.999) == "< 1e-12"


def test_none_and_non_finite_and_latex() -> None:
    assert bound(None) == "-" and bound(None, "--") == "--"
    assert bound(float("inf")) == "inf" and bound(float("nan")) == "nan"
    assert bound_latex(7.1e-16) == "$< 10^{-12}$" and bound_latex(2.0e-8) == "$< 10^{-7}$"
    assert bound_latex(None) == "--" and bound_latex(0.5) == "$< 1$"
    with pytest.raises(ValueError):
        ceiling_exponent(float("nan"))


def test_a_lower_floor_only_where_asked() -> None:
    # mpmath errors are computed in software arithmetic and may state a lower floor
    assert bound(3.2e-26, floor=-40) == "< 1e-25" and bound(3.2e-26) == "< 1e-12"
    assert bound(0.0, floor=-40) == "< 1e-40"


def test_tolerance_limited_errors_are_stated_no_finer_than_100_rtol() -> None:
    from symspline.bounds import limited_by

    # the measured pairs of one run after a 1-ulp change of its start (docs/flow.md)
    assert bound(limited_by(9.1e-10, 1e-9)) == bound(limited_by(1.04e-9, 1e-9)) == "< 1e-7"
    assert bound(limited_by(7.2e-11, 1e-10)) == bound(limited_by(7.6e-11, 1e-10)) == "< 1e-8"
    assert limited_by(3e-6, 1e-10) == 3e-6 and limited_by(-3e-6, 1e-10) == 3e-6
