"""Symbolic proofs of theory §5.1 (conserved balances) and 5.2 (the induced quotient flow).

The proofs are *general*: one unit i is written against an arbitrary rest of the network. On any
pattern f(x_n) = c + chi_n v (w x_n + b) + g_n, where chi_n in {0, 1} says whether n is in A_i and
g_n collects the other units (independent of w, b, v). L = (1/2N) sum_n (f(x_n) - y_n)^2 is a sum,
so an identity between derivatives that holds summand by summand holds for every N, every pattern
and every width H (unit locality). Each function returns :class:`symspline.records.Claim` records.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..records import Claim

w, b, v, c = sp.symbols("w b v c", real=True)
W = sp.Symbol("W", positive=True)  # |w|
xn, yn, gn, chi = sp.symbols("x_n y_n g_n chi_n", real=True)
N = sp.Symbol("N", positive=True, integer=True)
S0, S1 = sp.symbols("S_0 S_1", real=True)  # sum_{A_i} r_n, sum_{A_i} r_n x_n
beta, mu, delta = sp.symbols("beta mu delta", real=True)


def summand() -> sp.Expr:
    """(f(x_n) - y_n)^2 / (2N) for one sample, unit i written out (theory §0)."""
    f = c + chi * v * (w * xn + b) + gn
    return (f - yn) ** 2 / (2 * N)


def balance_rate(expr_delta: sp.Expr | None = None) -> sp.Expr:
    """Summand of d/dt delta under theta' = -grad L: sum_p (d delta/d p) (-dL/dp)."""
    d = v**2 - w**2 - b**2 if expr_delta is None else expr_delta
    term = summand()
    return sp.expand(-sum(sp.diff(d, p) * sp.diff(term, p) for p in (w, b, v)))


def prove_balance() -> tuple[Claim, Claim]:
    """5.1: d/dt (v^2 - w^2 - b^2) = 0, summand by summand; and a false variant refuted.

    The false variant v^2 - w^2 (bias forgotten) has a non-zero rate; a numeric counterexample
    is reported.
    """
    rate = sp.simplify(balance_rate())
    ok = Claim("balance_conserved",
               "Under gradient flow d/dt (v_i^2 - w_i^2 - b_i^2) = 0 for every unit (theory §5.1)",
               "general" if rate == 0 else "refuted", 0.0 if rate == 0 else None,
               detail="the rate's summand -2(v dl/dv - w dl/dw - b dl/db) expands to 0 for every "
               "sample, pattern indicator chi_n and rest-of-network g_n; by linearity for every "
               "N and H" if rate == 0 else f"non-zero rate summand {rate}")
    bad = sp.expand(balance_rate(v**2 - w**2))
    vals = {w: 1, b: 2, v: 1, c: 0, xn: 1, yn: 0, gn: 0, chi: 1, N: 1}
    num = float(bad.subs(vals))
    false = Claim("balance_without_bias",
                  "The bias-free quantity v_i^2 - w_i^2 is conserved (false when b_i != 0)",
                  "refuted" if num != 0 else "numeric", None,
                  detail=f"rate summand {sp.factor(bad)}; at w=1, b=2, v=1, x=1, y=0, c=0, one "
                  f"sample: d/dt = {num:g}", expected_false=True)
    return ok, false


def jacobian_unit(s: int) -> sp.Matrix:
    """P_i = d(beta_i, mu_i)/d(w_i, b_i, v_i) with w_i = s W, W > 0."""
    ws = s * W
    bet = -b / ws
    m = v * W
    return sp.Matrix([bet, m]).jacobian([W, b, v]).multiply_elementwise(
        sp.Matrix([[sp.Integer(s), 1, 1], [sp.Integer(s), 1, 1]]))  # d/dw = s d/dW


def prove_quotient() -> tuple[Claim, Claim, Claim, Claim]:
    """5.2: M_i = P_i P_i^T, chain rule, explicit beta', and the closure quartic, both orientations."""
    claims = []
    ok_m = ok_chain = ok_beta = ok_close = True
    for s in (1, -1):
        ws = s * W
        P = jacobian_unit(s)
        M = sp.simplify(P * P.T)
        bet, m = -b / ws, v * W
        theory = sp.Matrix([[(1 + bet**2) / ws**2, -bet * m / ws**2],
                            [-bet * m / ws**2, m**2 / ws**2 + ws**2]])
        ok_m &= sp.simplify(M - theory) == sp.zeros(2, 2)
        g_spline = sp.Matrix([-s * m * S0 / N, s * (S1 - bet * S0) / N])
        g_net = sp.Matrix([v * S1 / N, v * S0 / N, (ws * S1 + b * S0) / N])
        ok_chain &= sp.simplify(P.T * g_spline - g_net) == sp.zeros(3, 1)
        vel = -theory * g_spline
        ok_beta &= sp.simplify(vel[0] - (v / ws) * (S0 + bet * S1) / N) == 0
        dl = v**2 - ws**2 - b**2
        ok_close &= sp.simplify((1 + bet**2) * ws**4 + dl * ws**2 - m**2) == 0
    claims.append(Claim("quotient_metric",
                        "M_i = P_i P_i^T = [[(1+beta^2)/w^2, -beta mu/w^2], [-beta mu/w^2, "
                        "mu^2/w^2 + w^2]] (theory §5.2)", "general" if ok_m else "refuted", 0.0,
                        detail="P_i computed symbolically for w = +W and w = -W, W > 0"))
    claims.append(Claim("quotient_chain_rule",
                        "grad_network L = P^T grad_spline L unit by unit, so (beta, mu)' = "
                        "-P P^T grad_spline L", "general" if ok_chain else "refuted", 0.0,
                        detail="with S_0 = sum_{A_i} r_n, S_1 = sum_{A_i} r_n x_n as symbols"))
    claims.append(Claim("breakpoint_velocity",
                        "beta_i' = (1/N)(v_i/w_i) sum_{A_i} r_n (1 + beta_i x_n)",
                        "general" if ok_beta else "refuted", 0.0))
    # uniqueness of the positive root: product of the roots in w^2 is -mu^2/(1+beta^2) <= 0
    t = sp.Symbol("t")
    q = sp.expand((1 + beta**2) * t**2 + delta * t - mu**2)
    prod = sp.simplify(sp.Poly(q, t).all_coeffs()[2] / sp.Poly(q, t).all_coeffs()[0])
    uniq = bool(sp.simplify(prod + mu**2 / (1 + beta**2)) == 0)
    claims.append(Claim("quotient_closure",
                        "w_i^2 is the positive root of (1+beta_i^2) w^4 + delta_i w^2 - mu_i^2 = 0",
                        "general" if ok_close and uniq else "refuted", 0.0,
                        detail="the quartic vanishes identically at w^2 after substituting "
                        "beta = -b/w, mu = v|w|, delta = v^2 - w^2 - b^2; the product of its two "
                        "roots in w^2 is -mu^2/(1+beta^2) <= 0, so for mu != 0 exactly one is "
                        "positive; for mu = 0 (v = 0) delta = -w^2(1+beta^2) < 0 and the roots "
                        "are 0 and -delta/(1+beta^2)"))
    return tuple(claims)  # type: ignore[return-value]


def numeric_balance_drift(result: object) -> float:
    """max_t max_i |delta_i(t) - delta_i(0)| along a network trajectory."""
    Y = result.y  # type: ignore[attr-defined]
    H = len(result.s)  # type: ignore[attr-defined]
    wv, bv, vv = Y[:, :H], Y[:, H:2 * H], Y[:, 2 * H:3 * H]
    d = vv**2 - wv**2 - bv**2
    return float(np.max(np.abs(d - d[0])))


# ---------------------------------------------------------------- leaky ReLU and weight decay
alpha = sp.Symbol("alpha", nonnegative=True)  # the leaky slope, 0 <= alpha < 1
lam = sp.Symbol("lambda", nonnegative=True)  # the weight decay
t_ = sp.Symbol("t", nonnegative=True)


def leaky_summand() -> sp.Expr:
    """(f(x_n) - y_n)^2 / (2N) with unit i's leaky gain g_n = chi_n + alpha (1 - chi_n): on a
    pattern the leaky unit contributes v (w x_n + b) on its active side, alpha times that off it."""
    gain = chi + alpha * (1 - chi)
    f = c + gain * v * (w * xn + b) + gn
    return (f - yn) ** 2 / (2 * N)


def decayed_balance_rate(expr_delta: sp.Expr | None = None) -> tuple[sp.Expr, sp.Expr]:
    """d/dt delta under theta' = -grad (L + (lambda/2) |theta|^2), in two parts: the summand
    -sum_p (d delta/dp) dl/dp of one sample's leaky loss l, and the decay part
    -lambda sum_p (d delta/dp) p (counted once, not per sample)."""
    d = v**2 - w**2 - b**2 if expr_delta is None else expr_delta
    term = leaky_summand()
    loss_part = sp.expand(-sum(sp.diff(d, p) * sp.diff(term, p) for p in (w, b, v)))
    decay_part = sp.expand(-lam * sum(sp.diff(d, p) * p for p in (w, b, v)))
    return loss_part, decay_part


def prove_models() -> tuple[Claim, ...]:
    """Balances of the leaky ReLU under weight decay, the induced quotient flow with decay, and
    a false decay rate refuted (docs/flow.md, "Weight decay and leaky ReLU").

    1. d delta_i/dt = -2 lambda delta_i for every unit, pattern, alpha and rest of the network
       (the loss part vanishes summand by summand as for the ReLU, since the leaky gain is a
       constant factor on a pattern; the decay part is -lambda theta . grad delta = -2 lambda delta
       because delta is homogeneous of degree 2), and delta(0) exp(-2 lambda t) solves it.
    2. The network field's decay part -lambda theta_i maps under P_i = d(beta_i, mu_i)/d theta_i
       to (0, -2 lambda mu_i) for both orientations, so the quotient flow with decay is
       (beta, mu)' = -M_i(delta_i(t)) grad L + (0, -2 lambda mu_i), c' = -dL/dc - lambda c.
    3. The false rate d delta/dt = -lambda delta (e^{-lambda t}) is refuted by a numeric point.
    """
    dl = v**2 - w**2 - b**2
    loss_part, decay_part = decayed_balance_rate()
    rate_ok = sp.simplify(loss_part) == 0 and sp.simplify(decay_part + 2 * lam * dl) == 0
    d0 = sp.Symbol("delta_0", real=True)
    law = d0 * sp.exp(-2 * lam * t_)
    ode_ok = sp.simplify(sp.diff(law, t_) + 2 * lam * law) == 0 and law.subs(t_, 0) == d0
    ok = rate_ok and ode_ok
    claims = [Claim(
        "balance_decay_law",
        "Under theta' = -grad L - lambda theta (leaky ReLU, any alpha) d/dt (v_i^2 - w_i^2 - b_i^2)"
        " = -2 lambda (v_i^2 - w_i^2 - b_i^2), so delta_i(t) = delta_i(0) exp(-2 lambda t)",
        "general" if ok else "refuted", 0.0 if ok else None,
        detail="the loss part's summand with leaky gain chi_n + alpha (1 - chi_n) expands to 0 "
        "for every sample, pattern, alpha and rest of the network g_n (so by linearity for every "
        "N and H); the decay part -lambda (w, b, v) . grad delta (once, not per sample) equals "
        "-2 lambda delta; delta_0 exp(-2 lambda t) solves delta' = -2 lambda delta (the unique "
        "solution of a linear ODE)"
        if ok else f"loss part {loss_part}, decay part {decay_part}")]
    ok_q = True
    for s in (1, -1):
        P = jacobian_unit(s)
        ws = s * W
        ptheta = sp.simplify(P * sp.Matrix([ws, b, v]))  # P_i theta_i with w = s W
        ok_q &= sp.simplify(ptheta - sp.Matrix([0, 2 * v * W])) == sp.zeros(2, 1)
    claims.append(Claim(
        "quotient_decay",
        "With weight decay the quotient flow is beta_i' = (as without), mu_i' = (as without) - "
        "2 lambda mu_i, c' = -dL/dc - lambda c, with M_i at delta_i(t) = delta_i(0) exp(-2 lambda t)",
        "general" if ok_q else "refuted", 0.0 if ok_q else None,
        detail="P_i theta_i = (0, 2 mu_i) for w = +W and w = -W (beta homogeneous of degree 0, mu "
        "of degree 2 in (w, b, v)); the loss part is the chain rule of quotient_chain_rule with the "
        "gained sums, and the closure quartic holds at every t with the balance delta_i(t)"))
    # a false law: delta' = -lambda delta
    bad = sp.expand(loss_part + decay_part + lam * dl)
    vals = {w: 1, b: 2, v: 1, c: 0, xn: 1, yn: 0, gn: 0, chi: 1, N: 1, alpha: sp.Rational(1, 5),
            lam: sp.Rational(1, 10)}
    num = float(bad.subs(vals))
    claims.append(Claim(
        "balance_decay_wrong_rate",
        "The balances decay at rate lambda, delta_i(t) = delta_i(0) exp(-lambda t) (false)",
        "refuted" if num != 0 else "numeric", None,
        detail=f"d/dt delta + lambda delta = -lambda delta = {num:g} at w=1, b=2, v=1, "
        "lambda=1/10, alpha=1/5, one sample (the loss part is 0 identically), not 0", expected_false=True))
    return tuple(claims)


def numeric_balance_decay(result: object) -> float:
    """max over rows and units of |delta_i(t) - delta_i(0) e^{-2 lambda t}| / max(|delta_i(0)|, 1)
    along a network trajectory (``result.weight_decay`` = lambda)."""
    Y = result.y  # type: ignore[attr-defined]
    H = len(result.s)  # type: ignore[attr-defined]
    wv, bv, vv = Y[:, :H], Y[:, H:2 * H], Y[:, 2 * H:3 * H]
    d = vv**2 - wv**2 - bv**2
    law = d[0] * np.exp(-2.0 * result.weight_decay * result.t)[:, None]  # type: ignore[attr-defined]
    return float(np.max(np.abs(d - law) / np.maximum(np.abs(d[0]), 1.0)))
