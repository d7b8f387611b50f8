"""The renderings show the leaky slope: a leaky network never prints as a ReLU network."""

from __future__ import annotations

import sympy as sp

from symspline import Network, Spline


def test_repr_and_latex_name_the_leaky_slope():
    net = Network([1, 2], [0, 1], [1, 1], sp.Rational(1, 2), negative_slope=sp.Rational(1, 10))
    for p in (net, net.to_spline()):
        assert "negative_slope=1/10" in repr(p)
        tex = p._repr_latex_()
        assert r"\sigma" in tex and r"\frac{1}{10}" in tex and "]_+" not in tex


def test_relu_renderings_are_unchanged_by_the_model_field():
    net = Network([1, 2], [0, 1], [1, 1], sp.Rational(1, 2))
    spl = Spline([0, 1], [1, -1], (1, -1), 0)
    for p in (net, spl):
        assert "negative_slope" not in repr(p)
        assert r"\sigma" not in p._repr_latex_() and "]_+" in p._repr_latex_()
