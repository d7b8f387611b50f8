"""The spline map phi(w, b, v, c) = (beta, mu, c), its Jacobian P, kernel and chain rules
(docs/theory.md §1.2, 3.4).

phi_i: beta_i = -b_i / w_i, mu_i = v_i |w_i| = s_i v_i w_i (s_i = sign w_i), and c -> c. Its Jacobian
P = d(beta, mu, c) / d(w, b, v, c) is (2H+1) x (3H+1) with, for unit i,

    d beta_i/d w_i = b_i / w_i^2,  d beta_i/d b_i = -1 / w_i,
    d mu_i/d w_i = s_i v_i,        d mu_i/d v_i = s_i w_i = |w_i|,

and d c/d c = 1. Its kernel is spanned by the scale generators (w_i, b_i, -v_i) of each unit.
Chain rules: grad_network L = P^T grad_spline L and
Hess_network L = P^T Hess_spline L P + sum_k (dL/d phi_k) Hess phi_k, where the only non-zero
second derivatives of phi are d^2 beta_i/d w_i^2 = -2 b_i / w_i^3, d^2 beta_i/d w_i d b_i = 1/w_i^2
and d^2 mu_i/d w_i d v_i = s_i.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .data import Dataset
from .errors import InputError
from .params import Network, Spline


def phi(net: Network) -> Spline:
    """The spline map (beta, mu, s, c) of a network; raises DegenerateUnitError if some w_i = 0."""
    _need_network(net)
    return net.to_spline()


def _zeros(net: Network, rows: int, cols: int) -> object:
    return np.zeros((rows, cols)) if net.kind == "float" else sp.zeros(rows, cols)


def jacobian(net: Network) -> object:
    """P = d(beta, mu, c)/d(w, b, v, c): float64 array for float networks, ``sympy.Matrix`` else."""
    _need_network(net)
    s = net.orientations()  # raises for w_i = 0 (theory §1.4)
    H = net.H
    P = _zeros(net, 2 * H + 1, 3 * H + 1)
    for i in range(H):
        w, b, v = net.w[i], net.b[i], net.v[i]
        P[i, i] = b / w**2
        P[i, H + i] = -1 / w
        P[H + i, i] = s[i] * v
        P[H + i, 2 * H + i] = s[i] * w
    P[2 * H, 3 * H] = 1
    return P


def kernel_generators(net: Network) -> object:
    """(3H+1) x H matrix whose column i is the scale generator (w_i, b_i, -v_i) of unit i."""
    _need_network(net)
    H = net.H
    K = _zeros(net, 3 * H + 1, H)
    for i in range(H):
        K[i, i] = net.w[i]
        K[H + i, i] = net.b[i]
        K[2 * H + i, i] = -net.v[i]
    return K


def curvature_term(net: Network, grad_spline: object) -> object:
    """sum_k (dL/d phi_k) Hess phi_k for a spline gradient g = (g_beta, g_mu, g_c)."""
    _need_network(net)
    s = net.orientations()
    H = net.H
    g = _flat(grad_spline)
    if len(g) != 2 * H + 1:
        raise InputError(f"a width-{H} spline gradient has {2 * H + 1} entries, got {len(g)}")
    T = _zeros(net, 3 * H + 1, 3 * H + 1)
    for i in range(H):
        w, b = net.w[i], net.b[i]
        gb, gm = g[i], g[H + i]
        T[i, i] = gb * (-2 * b / w**3)
        T[i, H + i] = T[H + i, i] = gb / w**2
        T[i, 2 * H + i] = T[2 * H + i, i] = gm * s[i]
    return T


def chain_gradient(net: Network, grad_spline: object) -> object:
    """grad_network L = P^T grad_spline L (theory §2.2)."""
    P = jacobian(net)
    if net.kind == "float":
        return P.T @ np.asarray(grad_spline, dtype=np.float64).ravel()
    return P.T * sp.Matrix(_flat(grad_spline))


def chain_hessian(net: Network, grad_spline: object, hess_spline: object) -> object:
    """Hess_network L = P^T Hess_spline L P + sum_k (dL/d phi_k) Hess phi_k (theory §3.4)."""
    P = jacobian(net)
    T = curvature_term(net, grad_spline)
    if net.kind == "float":
        Hs = np.asarray(hess_spline, dtype=np.float64)
        return P.T @ Hs @ P + T
    return (P.T * sp.Matrix(hess_spline) * P + T).applyfunc(_tidy)


def network_derivatives(net: Network, data: Dataset, *, side: str | None = None,
                        ) -> tuple[object, object]:
    """(gradient, Hessian) in network coordinates computed through the spline and the chain rules.

    An independent route to the direct network closed forms of :mod:`symspline.calculus`.
    """
    from .calculus import gradient, hessian

    sp_params = phi(net)
    g = gradient(sp_params, data, side=side)
    Hs = hessian(sp_params, data, side=side)
    return chain_gradient(net, g), chain_hessian(net, g, Hs)


def _flat(v: object) -> list:
    if isinstance(v, sp.MatrixBase):
        return list(v)
    return list(np.asarray(v, dtype=object).ravel())


def _tidy(e: object) -> object:
    # Exact algebraic values (e.g. from a balanced to_network) are simplified to canonical form;
    # expressions with symbols are left to the caller (cancel() is costly on large entries).
    if isinstance(e, sp.Basic) and not e.is_Rational and not e.free_symbols:
        return sp.radsimp(sp.cancel(e))
    return e


def _need_network(net: object) -> None:
    if not isinstance(net, Network):
        raise InputError(f"the spline map needs a Network, got {type(net).__name__}")
