"""The theorems of theory sections 1-3 (and deliberately false variants) with their proof strategies."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sympy as sp

from ..calculus import pattern_gradient, pattern_hessian
from ..params import Network, Spline
from ..piecewise import pattern_outputs
from ..regions import Pattern
from ..reparam import (
    chain_gradient,
    chain_hessian,
    curvature_term,
    jacobian,
    kernel_generators,
)
from . import general as g
from .core import Instance, Obligation, Theorem, is_zero

# ====================================================================== helpers on instances
_TWINS: dict = {}


def twin(inst: Instance, param: str) -> Instance:
    """The same pattern and data in the other parameterization (symbols with declared signs)."""
    if param == ("spline" if isinstance(inst.params, Spline) else "network"):
        return inst
    key = (param, inst.pattern, id(inst.data), _is_symbolic(inst))
    if key not in _TWINS:
        H = inst.H
        if _is_symbolic(inst):
            p = Spline.symbols(H, inst.pattern.s) if param == "spline" else Network.symbols(
                H, inst.pattern.s)
        elif param == "spline":
            p = inst.params.to_spline()
        else:
            p = inst.params.to_network(balance=-1)
        _TWINS[key] = (inst.data, Instance(inst.pattern, p, inst.data))
    return _TWINS[key][1]


def _is_symbolic(inst: Instance) -> bool:
    return inst.params.kind == "symbolic"


def sibling(inst: Instance, pattern: Pattern) -> Instance:
    """Another pattern with the same parameter symbols and data (cached per instance family)."""
    key = ("sib", pattern, id(inst.params), id(inst.data))
    if key not in _TWINS:
        _TWINS[key] = (inst, Instance(pattern, inst.params, inst.data))
    return _TWINS[key][1]


def _Z(label: str, expr: sp.Expr, fixed: tuple = ()) -> Obligation:
    return Obligation(label, expr, "zero", fixed)


def _flag(label: str, ok: bool) -> Obligation:
    return Obligation(label, sp.Integer(0 if ok else 1), "zero")


def _mat_zero(label: str, M: sp.Matrix) -> list[Obligation]:
    return [_Z(f"{label}[{a},{b}]", M[a, b]) for a in range(M.rows) for b in range(M.cols)
            if M[a, b] != 0]


def _jac_f(inst: Instance) -> sp.Matrix:
    """J_{n,a} = d f(x_n) / d theta_a by SymPy differentiation of the pattern outputs."""
    f = pattern_outputs(inst.pattern, inst.params, inst.data)
    return sp.Matrix(len(f), len(inst.theta), lambda r, a: sp.diff(f[r], inst.theta[a]))


def _spline_at_phi(net_inst: Instance) -> Spline:
    net = net_inst.params
    s = net.orientations()
    return Spline([-b / w for w, b in zip(net.w, net.b, strict=True)],
                  [si * v * w for si, v, w in zip(s, net.v, net.w, strict=True)], s, net.c)


def _check_from(obligations: Callable[[Instance], list[Obligation]], param: str,
                ) -> Callable[[Instance], str | None]:
    """A concrete-point check: the obligations re-derived with symbolic parameters on the concrete
    data, then evaluated exactly at the concrete parameters."""

    def check(point: Instance) -> str | None:
        H = point.H
        sym = Spline.symbols(H, point.pattern.s) if param == "spline" else Network.symbols(
            H, point.pattern.s)
        values = point.params if param == ("spline" if isinstance(point.params, Spline)
                                           else "network") else twin(point, param).params
        inst = Instance(point.pattern, sym, point.data)
        sub = dict(zip(sym.vector, values.vector, strict=True))
        for ob in obligations(inst):
            # Hypotheses (e.g. mu_i = 0) are already substituted in ob.expr; any remaining
            # parameter takes the concrete value.
            val = sp.expand(ob.expr.subs({**sub, **dict(ob.fixed)}))
            if ob.kind == "zero" and not is_zero(val):
                return f"{ob.label} = {val} (should be 0)"
            if ob.kind == "nonneg" and bool(val < 0):
                return f"{ob.label} = {val} (should be >= 0)"
        return None

    return check


# ====================================================================== shared symbolic work
# The general proofs of several theorems build the same two-unit templates, differentiate the
# same losses and reduce the same sums (2.2, 2.4, 3.1, 3.3 and 3.4 all need dL/dbeta_i, the
# Hessian entries, ...). These are pure functions of exact SymPy inputs: each is derived once per
# process. Caching only: every call computes exactly what the uncached call computed.
@cache
def _template(param: str, s: tuple[int, int]) -> g.Template:
    return g.Template(param, s)


@cache
def _diff(expr: sp.Expr, params: tuple[sp.Symbol, ...]) -> sp.Expr:
    return sp.diff(expr, *params)


def _d(t: g.Template, *params: sp.Symbol) -> sp.Expr:
    """``t.d(*params)``, cached by the loss expression (equal for equal templates)."""
    return _diff(t.loss, params)


@cache
def _summand(expr: sp.Expr) -> sp.Expr:
    return g.summand(expr)


@cache
def _zero_sum(expr: sp.Expr) -> bool:
    return g.identity(expr, 0)


def _identity(lhs: sp.Expr, rhs: sp.Expr) -> bool:
    """``g.identity(lhs, rhs)`` (which decides lhs - rhs = 0), cached by lhs - rhs."""
    return _zero_sum(lhs - rhs)


@cache
def _kink_jump(s: int, sign: int = 1) -> tuple[bool, bool]:
    return g.kink_jump(s, sign)


@cache
def _closed_hessian(t: g.Template) -> tuple[dict, dict]:
    return g.closed_hessian(t)


# ====================================================================== 1.1
def _general_1_1() -> tuple[bool, str]:
    x, beta, v, b = sp.symbols("x beta v b", real=True)
    a, t, mu = sp.Symbol("a", positive=True), sp.Symbol("t", positive=True), sp.Symbol("mu")
    for s in (1, -1):
        w = s * a
        bb = -w * beta  # b = -w beta
        mu_v = v * a  # mu = v |w|
        for sign in (1, -1):  # z = s (x - beta) = sign * t
            xv = beta + s * sign * t
            lhs = v * sp.Max(0, w * xv + bb)
            rhs = mu_v * sp.Max(0, s * (xv - beta))
            if not is_zero(lhs - rhs):
                return False, f"unit identity fails for s={s}, sign={sign}"
        # Slope jump: right slope minus left slope of mu [s (x - beta)]_+ at beta is mu.
        right = sp.diff((mu * sp.Max(0, s * (x - beta))).subs(x, beta + t), t)
        left = -sp.diff((mu * sp.Max(0, s * (x - beta))).subs(x, beta - t), t)
        if not is_zero(right - left - mu):
            return False, f"slope jump is not mu for s={s}"
        far_left = -sp.diff((mu * sp.Max(0, s * (x - beta))).subs(x, beta - t), t)
        if not is_zero(far_left - (-mu if s < 0 else 0)):
            return False, "left-most slope contribution"
    return True, ("per unit with w = s a (a > 0) on both sides of beta, for s = +-1; f is a sum of "
                  "units, so the identity, the jump mu_i at beta_i and the left-most slope "
                  "-sum_{s_i=-1} mu_i hold for every H")


def _ob_1_1(inst: Instance) -> list[Obligation]:
    net = inst.params
    spl = _spline_at_phi(inst)
    fn = pattern_outputs(inst.pattern, net, inst.data)
    fs = pattern_outputs(inst.pattern, spl, inst.data)
    out = [_Z(f"f_net(x{m + 1}) - f_spline(x{m + 1})", fn[m] - fs[m]) for m in range(inst.N)]
    left, right = spl.slopes()
    total = sum(spl.mu)
    out.append(_Z("right slope - left slope - sum mu", right - left - total))
    return out


# ====================================================================== 1.2
def _general_1_2() -> tuple[bool, str]:
    a = sp.Symbol("a", positive=True)
    b, v = sp.symbols("b v", real=True)
    for s in (1, -1):
        w = sp.Symbol("w", positive=s > 0, negative=s < 0)
        net = Network([w], [b], [v], 0)
        sc = net.rescale(a)
        s0, s1 = net.to_spline(), sc.to_spline()
        if not (is_zero(s0.beta[0] - s1.beta[0]) and is_zero(s0.mu[0] - s1.mu[0])):
            return False, "phi is not invariant under the scale action"
        P, K = jacobian(net), kernel_generators(net)
        if not all(is_zero(e) for e in P * K):
            return False, "P (w, b, -v) != 0"
        minor = P.extract([0, 1], [1, 2]).det()  # columns b, v of the unit block
        if not is_zero(minor + s):
            return False, f"minor det = {minor}, expected {-s}"
    return True, ("per unit: phi(a w, a b, v/a) = phi(w, b, v); the unit block of P has the "
                  "non-zero minor -s_i on (b_i, v_i) and annihilates (w_i, b_i, -v_i); P is block "
                  "diagonal over units plus the identity on c, so rank P = 2H+1 and its kernel is "
                  "spanned by the H generators, for every H")


def _ob_1_2(inst: Instance) -> list[Obligation]:
    net = inst.params
    H = net.H
    P, K = jacobian(net), kernel_generators(net)
    out = _mat_zero("P K", P * K)
    cols = list(range(H, 3 * H + 1))  # b, v, c
    det = sp.cancel(P.extract(list(range(2 * H + 1)), cols).det())
    expected = sp.Mul(*[-si for si in net.orientations()])
    out.append(_Z("det P[:, (b, v, c)] - prod(-s_i)", det - expected))
    a = sp.Symbol("a", positive=True)
    sc = net.rescale(a).to_spline()
    s0 = net.to_spline()
    out += [_Z("phi(a.theta) - phi(theta)", e) for e in
            list(sc.beta - s0.beta) + list(sc.mu - s0.mu)]
    return out


# ====================================================================== 1.3
def _general_1_3() -> tuple[bool, str]:
    for s in g.orientations():
        t = _template("network", s)
        for tag in "ij":
            w, b, v = t[f"w_{tag}"], t[f"b_{tag}"], t[f"v_{tag}"]
            if not _identity(w * _d(t, w) + b * _d(t, b) - v * _d(t, v), 0):
                return False, f"<grad, (w, b, -v)> != 0 for s={s}"
    return True, ("d/dw, d/db, d/dv of (1/2N) sum_n r_n^2 under the sum over n = 1..N, arbitrary "
                  "active sets and other units: w dL/dw + b dL/db - v dL/dv = 0 for every N, H")


def _ob_1_3(inst: Instance) -> list[Obligation]:
    K = kernel_generators(inst.params)
    return _mat_zero("K^T grad", (K.T * inst.grad_diff).applyfunc(sp.expand))


# ====================================================================== 2.1
def _general_2_1() -> tuple[bool, str]:
    for s in g.orientations():
        t = _template("spline", s)
        for tag in "ij":
            piece = t.piece("ij".index(tag))
            if sp.Poly(piece, t[f"mu_{tag}"], t[f"beta_{tag}"]).degree_list() != (1, 1):
                return False, "a unit piece is not linear in its own mu and beta"
        summ = _summand(t.loss)
        if sp.Poly(summ, t["mu_i"], t["mu_j"], t["c"]).total_degree() != 2:
            return False, "L is not quadratic in (mu, c)"
        if any(sp.Poly(summ, t[f"beta_{tag}"]).degree() != 2 for tag in "ij"):
            return False, "L is not quadratic in each beta"
        if not all(_kink_jump(si, 1)[1] for si in (1, -1)):
            return False, "L is not continuous across a data point"
    return True, ("on a pattern f(x_n) = c + sum_i chi_i[n] s_i mu_i (x_n - beta_i) with each unit "
                  "piece of degree 1 in its own mu_i and beta_i, so the summand of L = (1/2N) "
                  "sum_n r_n^2 has degree 2 in (mu, c) and in each beta_i (symbolic N, any H); "
                  "continuity across every boundary beta_i = x_m is part of the general proof of "
                  "2.3")


def _ob_2_1(inst: Instance) -> list[Obligation]:
    spl = inst.params
    H = spl.H
    L = inst.loss
    out = [_flag("L quadratic in (mu, c)",
                 sp.Poly(L, *spl.mu, spl.c).total_degree() <= 2)]
    for i in range(H):
        out.append(_flag(f"L quadratic in beta{i + 1}", sp.Poly(L, spl.beta[i]).degree() <= 2))
        k = inst.pattern.k[i]
        if k < inst.N:
            nxt = list(inst.pattern.k)
            nxt[i] = k + 1
            other = sibling(inst, Pattern(inst.pattern.s, tuple(nxt), inst.N))
            xm = inst.data.x[k]
            out.append(_Z(f"L continuous at beta{i + 1} = x{k + 1}",
                          L.subs(spl.beta[i], xm) - other.loss.subs(spl.beta[i], xm)))
    return out


# ====================================================================== 2.2
def _general_2_2() -> tuple[bool, str]:
    for s in g.orientations():
        ts = _template("spline", s)
        for p, closed in g.spline_closed_gradient(ts).items():
            if not _identity(_d(ts, p), closed):
                return False, f"spline dL/d{p} differs from the closed form (s={s})"
        tn = _template("network", s)
        net_closed = g.network_closed_gradient(tn)
        for p, closed in net_closed.items():
            if not _identity(_d(tn, p), closed):
                return False, f"network dL/d{p} differs from the closed form (s={s})"
        # grad_network = P^T grad_spline, with the spline sums taken at phi(network).
        ts2, sub = g.spline_at_phi(tn)
        gs = g.spline_closed_gradient(ts2)
        net = Network([tn["w_i"], tn["w_j"]], [tn["b_i"], tn["b_j"]], [tn["v_i"], tn["v_j"]],
                      tn["c"])
        gvec = [gs[p].subs(sub) for p in ts2.theta]
        chained = chain_gradient(net, gvec)
        for a, p in enumerate(tn.theta):
            if not _identity(chained[a], net_closed[p]):
                return False, f"P^T grad_spline differs in {p} (s={s})"
    return True, ("dL/dtheta computed by SymPy under sum_{n=1}^N for symbolic N, two units with "
                  "arbitrary active sets and orientations plus an arbitrary rest term (covers every "
                  "H), equals the closed forms in both parameterizations, and P^T grad_spline = "
                  "grad_network")


def _ob_2_2(inst: Instance) -> list[Obligation]:
    out = _mat_zero("spline closed - diff", (inst.grad - inst.grad_diff).applyfunc(sp.expand))
    net = twin(inst, "network")
    out += _mat_zero("network closed - diff", (net.grad - net.grad_diff).applyfunc(sp.expand))
    gs = pattern_gradient(inst.pattern, _spline_at_phi(net), inst.data)
    out += _mat_zero("P^T grad_spline - grad_network",
                     chain_gradient(net.params, gs) - net.grad_diff)
    return out


# ====================================================================== 2.3 and its false twin
def _kink(inst: Instance, sign: int) -> list[Obligation]:
    """Right minus left derivative in beta_i at beta_i = x_m equals sign * mu_i r_m / N."""
    return _kink_jumps(inst, sign, f"{sign:+d}", "", check_mu=sign > 0)


def _kink_jumps(inst: Instance, factor: object, shown: str, where: str, *,
                check_mu: bool) -> list[Obligation]:
    """At beta_i = x_m: right - left of dL/dbeta_i minus factor * mu_i r_m / N (and of dL/dmu_i)."""
    spl = inst.params
    out = []
    for i in range(spl.H):
        k = inst.pattern.k[i]
        if k >= inst.N:
            continue
        nxt = list(inst.pattern.k)
        nxt[i] = k + 1
        right = sibling(inst, Pattern(inst.pattern.s, tuple(nxt), inst.N))
        at = {spl.beta[i]: inst.data.x[k]}
        r_m = inst.residuals[k].subs(at)
        jump = (right.grad_diff[i] - inst.grad_diff[i]).subs(at)
        out.append(_Z(f"jump of dL/dbeta{i + 1} at x{k + 1} - ({shown}) mu{i + 1} r{k + 1}/N"
                      + where, jump - factor * spl.mu[i] * r_m / inst.N))
        if check_mu:
            dmu = (right.grad_diff[spl.H + i] - inst.grad_diff[spl.H + i]).subs(at)
            out.append(_Z(f"jump of dL/dmu{i + 1} at x{k + 1}", dmu))
    return out


def _general_2_3() -> tuple[bool, str]:
    for s in (1, -1):
        jump_ok, cont_ok = _kink_jump(s, +1)
        if not (jump_ok and cont_ok):
            return False, f"jump or continuity fails for s = {s}"
    return True, ("the patterns on the two sides of beta_i = x_m differ only in whether m is in "
                  "A_i (indicator chi_i +- delta_m); differentiating (1/2N) sum_n r_n^2 on both "
                  "sides for symbolic N and arbitrary other units and substituting beta_i = x_m "
                  "gives right - left = mu_i r_m / N for s_i = +1 and -1, with L and dL/dmu_i "
                  "continuous")


def _general_false_kink() -> tuple[bool, str]:
    for s in (1, -1):
        jump_ok, _ = _kink_jump(s, -1)
        if not jump_ok:
            return False, f"the jump is not -mu r_m / N for s = {s}"
    return True, "identity holds"


def _ob_2_3(inst: Instance) -> list[Obligation]:
    return _kink(inst, +1)


def _ob_false_kink(inst: Instance) -> list[Obligation]:
    return _kink(inst, -1)


# ====================================================================== 2.4
def _general_2_4() -> tuple[bool, str]:
    for s in g.orientations():
        t = _template("spline", s)
        for u, tag in enumerate("ij"):
            su, mu, beta = s[u], t[f"mu_{tag}"], t[f"beta_{tag}"]
            chi = g.CHI[u][g.n]
            d_mu, d_beta = _d(t, mu), _d(t, beta)
            sum_r = g.S(t.r * chi)
            sum_rx = g.S(t.r * g.X[g.n] * chi)
            checks = [
                (mu * sum_r, -su * g.N * d_beta),
                (mu * sum_rx, su * g.N * (mu * d_mu - beta * d_beta)),
                (g.N * d_mu, su * g.S(t.r * (g.X[g.n] - beta) * chi)),
                (g.N * _d(t, t["c"]), g.S(t.r)),
            ]
            for lhs, rhs in checks:
                if not _identity(lhs, rhs):
                    return False, f"critical-point identity fails for unit {tag}, s={s}"
            # (c) dead unit: chi = 0 makes L independent of (beta, mu).
            dead = {g.CHI[u]: sp.IndexedBase("zero")}
            for p in (mu, beta):
                e = _summand(_d(t, p)).subs(g.CHI[u][g.n], 0)
                e2 = _summand(_d(t, p, mu)).subs(g.CHI[u][g.n], 0)
                e3 = _summand(_d(t, p, beta)).subs(g.CHI[u][g.n], 0)
                if not (is_zero(e) and is_zero(e2) and is_zero(e3)):
                    return False, f"dead unit {tag} is not flat ({dead})"
            # Active everywhere: d f/d beta parallel to d f/d c.
            col = (t.column(beta) + su * mu * t.column(t["c"])).subs(g.CHI[u][g.n], 1)
            if not is_zero(col):
                return False, "all-active unit: d f/d beta not parallel to d f/d c"
    return True, ("identities mu_i sum_{A_i} r = -s_i N dL/dbeta_i, mu_i sum_{A_i} r x = s_i N "
                  "(mu_i dL/dmu_i - beta_i dL/dbeta_i), N dL/dmu_i = s_i sum_{A_i} r (x - beta_i) "
                  "for symbolic N; dead units (chi = 0) give zero first and second derivatives in "
                  "(beta_i, mu_i); all-active units (chi = 1) give d f/d beta_i = -s_i mu_i d f/d c")


def _ob_2_4(inst: Instance) -> list[Obligation]:
    spl = inst.params
    H, N = spl.H, inst.N
    gd = inst.grad_diff
    x = inst.data.x
    out = [_Z("N dL/dc - sum r", N * gd[2 * H] - sp.Add(*inst.residuals))]
    J = None
    for i in range(H):
        s, mu, beta = spl.s[i], spl.mu[i], spl.beta[i]
        d_beta, d_mu = gd[i], gd[H + i]
        sum_r = inst.active_sum(i)
        sum_rx = inst.active_sum(i, lambda m: x[m])
        out.append(_Z(f"mu{i + 1} sum_A r + s N dL/dbeta", mu * sum_r + s * N * d_beta))
        out.append(_Z(f"mu{i + 1} sum_A r x - s N (mu dL/dmu - beta dL/dbeta)",
                      mu * sum_rx - s * N * (mu * d_mu - beta * d_beta)))
        out.append(_Z(f"N dL/dmu{i + 1} - s sum_A r (x - beta)",
                      N * d_mu - s * inst.active_sum(i, lambda m, b=beta: x[m] - b)))
        if inst.pattern.is_dead(i):
            out += [_Z(f"dead unit {i + 1}: dL/d{p}", gd[j]) for p, j in
                    ((f"beta{i + 1}", i), (f"mu{i + 1}", H + i))]
            out += [_Z(f"dead unit {i + 1}: Hessian row", inst.hess_diff[j, col])
                    for j in (i, H + i) for col in range(2 * H + 1)]
        if len(inst.pattern.active(i)) == N:
            J = _jac_f(inst) if J is None else J
            out += [_Z(f"all-active unit {i + 1}: J_beta + s mu J_c", J[m, i] + s * mu * J[m, 2 * H])
                    for m in range(N)]
    return out


# ====================================================================== 3.1
def _general_3_1() -> tuple[bool, str]:
    for s in g.orientations():
        for param in ("spline", "network"):
            t = _template(param, s)
            gn, res = _closed_hessian(t)
            th = t.theta
            # Both sides are symmetric (Schwarz; closed forms by construction): a <= b suffices.
            for ia, a in enumerate(th):
                for b in th[ia:]:
                    if not _identity(_d(t, a, b), gn[(a, b)] + res[(a, b)]):
                        return False, f"{param} Hessian entry ({a}, {b}) differs (s={s})"
            if param == "spline":
                for u, tag in enumerate("ij"):
                    if not _identity(_d(t, t[f"beta_{tag}"]), t[f"mu_{tag}"] * g.rho(t, u) / g.N):
                        return False, "dL/dbeta != mu rho / N"
    lam, r0 = sp.symbols("lambda rho", real=True)
    block = sp.Matrix([[0, r0], [r0, 0]])
    if sp.expand((block - lam * sp.eye(2)).det() - (lam**2 - r0**2)) != 0:
        return False, "R block spectrum"
    return True, ("every second derivative of (1/2N) sum_n r_n^2, for symbolic N and two units "
                  "with arbitrary active sets plus a rest term (every entry couples at most two "
                  "units: all H), equals (1/N) sum_n (J_na J_nb + r_n d^2 f_n) with R only at "
                  "(mu_i, beta_i) = rho_i / N in spline and (w_i, v_i), (b_i, v_i) in network "
                  "coordinates; each R block [[0, rho], [rho, 0]] has eigenvalues +-|rho| "
                  "(trace 0); dL/dbeta_i = mu_i rho_i / N")


def _R_blocks(inst: Instance) -> sp.Matrix:
    H = inst.H
    R = sp.zeros(2 * H + 1, 2 * H + 1)
    for i in range(H):
        rho = -inst.params.s[i] * inst.active_sum(i)
        R[H + i, i] = R[i, H + i] = rho / inst.N
    return R


def _gn_independent(inst: Instance) -> sp.Matrix:
    J = _jac_f(inst)
    return J.T * J / inst.N


def _ob_3_1(inst: Instance) -> list[Obligation]:
    H = inst.H
    hess, gn, res = inst.parts
    gd = inst.grad_diff
    out = _mat_zero("closed Hessian - diff", (hess - inst.hess_diff).applyfunc(sp.expand))
    out += _mat_zero("closed GN - J^T J/N", (gn - _gn_independent(inst)).applyfunc(sp.expand))
    out += _mat_zero("R - blocks(rho)", (inst.hess_diff - _gn_independent(inst)
                                         - _R_blocks(inst)).applyfunc(sp.expand))
    out.append(_Z("trace R", res.trace()))
    out += [_Z(f"dL/dbeta{i + 1} - mu rho / N",
               gd[i] + inst.params.s[i] * inst.params.mu[i] * inst.active_sum(i) / inst.N)
            for i in range(H)]
    return out


# ====================================================================== 3.2
def _general_3_2() -> tuple[bool, str]:
    for s in g.orientations():
        t = _template("spline", s)
        for u, tag in enumerate("ij"):
            mu, beta = t[f"mu_{tag}"], t[f"beta_{tag}"]
            chi = g.CHI[u][g.n]
            at0 = {mu: 0}
            hbb = _summand(_d(t, beta, beta)).subs(at0)
            hmb = _summand(_d(t, mu, beta) - g.rho(t, u) / g.N).subs(at0)
            hmm = _summand(_d(t, mu, mu) - g.S(chi * (g.X[g.n] - beta) ** 2) / g.N).subs(at0)
            if not (is_zero(hbb) and is_zero(hmb) and is_zero(hmm)):
                return False, f"2x2 block at mu = 0 has another form (unit {tag}, s={s})"
    return True, ("at mu_i = 0 the (mu_i, beta_i) block of Hess L is [[a, rho_i/N], [rho_i/N, 0]] "
                  "with a = (1/N) sum_{A_i} (x_n - beta_i)^2 >= 0, for symbolic N and every H; its "
                  "determinant -rho_i^2/N^2 < 0 when rho_i != 0, so (interlacing) Hess L has a "
                  "negative eigenvalue: a critical point there is a strict saddle")


def _ob_3_2(inst: Instance) -> list[Obligation]:
    spl = inst.params
    H, N = spl.H, inst.N
    Hd = inst.hess_diff
    out = []
    for i in range(H):
        at0 = {spl.mu[i]: 0}
        fixed = ((spl.mu[i], sp.Integer(0)),)
        rho = (-spl.s[i] * inst.active_sum(i)).subs(at0)
        a = sp.Add(*[(inst.data.x[m] - spl.beta[i]) ** 2 for m in inst.pattern.active(i)]) / N
        out.append(_Z(f"H[beta{i + 1},beta{i + 1}] at mu{i + 1}=0", Hd[i, i].subs(at0), fixed))
        out.append(_Z(f"H[mu{i + 1},beta{i + 1}] - rho/N at mu{i + 1}=0",
                      Hd[H + i, i].subs(at0) - rho / N, fixed))
        out.append(_Z(f"H[mu{i + 1},mu{i + 1}] - sum_A (x-beta)^2/N",
                      Hd[H + i, H + i].subs(at0) - a, fixed))
        # The inequalities themselves, decided exactly on the pattern (certificates in .decide):
        # a >= 0 and det of the (mu_i, beta_i) block <= 0.
        det = Hd[H + i, H + i] * Hd[i, i] - Hd[H + i, i] ** 2
        out.append(Obligation(f"H[mu{i + 1},mu{i + 1}] at mu{i + 1}=0 (a >= 0)",
                              Hd[H + i, H + i].subs(at0), "nonneg", fixed))
        out.append(Obligation(f"-det of the (mu{i + 1}, beta{i + 1}) block at mu{i + 1}=0",
                              -det.subs(at0), "nonneg", fixed))
    return out


# ====================================================================== 3.3
def _general_3_3() -> tuple[bool, str]:
    for s in g.orientations():
        t = _template("spline", s)
        gn, res = _closed_hessian(t)
        for u, tag in enumerate("ij"):
            if not _identity(_d(t, t[f"beta_{tag}"]), t[f"mu_{tag}"] * g.rho(t, u) / g.N):
                return False, "dL/dbeta != mu rho / N"
        th = t.theta
        for ia, a in enumerate(th):
            for b in th[ia:]:
                if not _identity(_d(t, a, b) - gn[(a, b)], res[(a, b)]):
                    return False, "Hess - J^T J/N is not the rho blocks"
                if not _identity(gn[(a, b)], g.S(t.column(a) * t.column(b)) / g.N):
                    return False, "Gauss-Newton part is not a Gram matrix"
    return True, ("dL/dbeta_i = mu_i rho_i / N and Hess L - J^T J/N = blocks(rho_i / N) for symbolic "
                  "N and every H; at a critical point with all mu_i != 0, every rho_i = 0, so "
                  "Hess L = J^T J / N, a Gram matrix: positive semidefinite")


def _ob_3_3(inst: Instance) -> list[Obligation]:
    H = inst.H
    gd = inst.grad_diff
    out = [_Z(f"dL/dbeta{i + 1} - mu rho / N",
              gd[i] + inst.params.s[i] * inst.params.mu[i] * inst.active_sum(i) / inst.N)
           for i in range(H)]
    out += _mat_zero("Hess - J^T J/N - blocks(rho)", (inst.hess_diff - _gn_independent(inst)
                                                      - _R_blocks(inst)).applyfunc(sp.expand))
    return out


# ====================================================================== 3.4
def _general_3_4() -> tuple[bool, str]:
    for s in g.orientations():
        tn = _template("network", s)
        ts, sub = g.spline_at_phi(tn)
        gs = [_d(ts, p).subs(sub) for p in ts.theta]
        Hs = sp.Matrix([[_d(ts, pa, pb).subs(sub) for pb in ts.theta] for pa in ts.theta])
        net = Network([tn["w_i"], tn["w_j"]], [tn["b_i"], tn["b_j"]], [tn["v_i"], tn["v_j"]],
                      tn["c"])
        P = jacobian(net)
        T = curvature_term(net, gs)
        # Reorder spline template (beta_i, beta_j, mu_i, mu_j, c) and network (w.., b.., v.., c):
        # both templates already use the theory §0 order.
        chained = P.T * Hs * P + T
        for a, pa in enumerate(tn.theta):
            for b in range(a, len(tn.theta)):
                pb = tn.theta[b]
                if not _identity(_d(tn, pa, pb), chained[a, b]):
                    return False, f"chain rule fails at ({pa}, {pb}), s={s}"
    return True, ("Hess_network = P^T Hess_spline P + sum_k dL/dphi_k Hess phi_k, derived under "
                  "sum_{n=1}^N for symbolic N with two units (every entry couples at most two "
                  "units: all H). At a critical point grad_spline = 0, so Hess_network = P^T "
                  "Hess_spline P with P surjective: by Sylvester's law the inertias agree up to H "
                  "extra zeros (the kernel of P)")


def _ob_3_4(inst: Instance) -> list[Obligation]:
    net = inst.params
    spl = _spline_at_phi(inst)
    gs = pattern_gradient(inst.pattern, spl, inst.data)
    Hs = pattern_hessian(inst.pattern, spl, inst.data)
    chained = chain_hessian(net, gs, Hs)
    return _mat_zero("Hess_net - chain rule", inst.hess_diff - chained)


# ====================================================================== false statements
def _ob_false_R_psd(inst: Instance) -> list[Obligation]:
    _, _, res = inst.parts
    H = inst.H
    out = []
    for i in range(H):
        minor = res[H + i, H + i] * res[i, i] - res[H + i, i] ** 2
        out.append(Obligation(f"principal minor of R on (mu{i + 1}, beta{i + 1})", minor,
                              "nonneg"))
    return out


def _general_false_dbeta() -> tuple[bool, str]:
    for s in g.orientations():
        t = _template("spline", s)
        for u, tag in enumerate("ij"):
            claimed = -t[f"mu_{tag}"] * g.S(t.r * g.CHI[u][g.n]) / g.N
            if not _identity(_d(t, t[f"beta_{tag}"]), claimed):
                return False, f"dL/dbeta_{tag} differs from the claim for s = {s}"
    return True, "identity holds"


def _ob_false_dbeta(inst: Instance) -> list[Obligation]:
    gd = inst.grad_diff
    return [_Z(f"dL/dbeta{i + 1} + mu sum_A r / N",
               gd[i] + inst.params.mu[i] * inst.active_sum(i) / inst.N) for i in range(inst.H)]


# ====================================================================== leaky ReLU and weight decay
# theory §7.4 and §7.5: variants of 1.3, 2.3 and 3.1. The general proofs use the gain templates
# of :mod:`.general` (arbitrary per-sample gains, or the leaky gains with alpha symbolic); the
# exhaustive obligations re-derive each pattern with alpha symbolic (or 1/2 for the false variant).
LAM = sp.Symbol("lambda", nonnegative=True)


@cache
def _gain_template(param: str, s: tuple[int, int]) -> g.GainTemplate:
    return g.GainTemplate(param, s)


def _leaky(inst: Instance, alpha: object = g.ALPHA) -> Instance:
    """The same pattern and data with leaky symbolic parameters (slope ``alpha``)."""
    key = ("leaky", inst.pattern, id(inst.data), str(alpha), isinstance(inst.params, Spline))
    if key not in _TWINS:
        H, s = inst.H, inst.pattern.s
        p = (Spline.symbols(H, s, negative_slope=alpha) if isinstance(inst.params, Spline)
             else Network.symbols(H, s, negative_slope=alpha))
        _TWINS[key] = (inst.data, Instance(inst.pattern, p, inst.data))
    return _TWINS[key][1]


def _gain_sum(inst: Instance, i: int, weight: Callable[[int], object] = lambda n: 1) -> sp.Expr:
    """sum_n g_i(n) r_n weight(n) with g_i = 1 on A_i and alpha off it, term by term."""
    alpha = inst.params.negative_slope
    active = set(inst.pattern.active(i))
    return sp.Add(*[(1 if n in active else alpha) * inst.residuals[n] * weight(n)
                    for n in range(inst.N)])


def general_leaky_2_3() -> tuple[bool, str]:
    for s in (1, -1):
        jump_ok, cont_ok = g.leaky_kink_jump(s)
        if not (jump_ok and cont_ok):
            return False, f"jump or continuity fails for s={s}"
    return True, ("the two patterns at beta_i = x_m differ only in the gain of sample m "
                  "(alpha on one side, 1 on the other); differentiating on both sides for "
                  "symbolic N and alpha gives right - left = (1 - alpha) mu_i r_m / N for "
                  "s_i = +1 and -1, with L and dL/dmu_i continuous")


def _general_false_leaky_kink() -> tuple[bool, str]:
    for s in (1, -1):
        if not g.leaky_kink_jump(s, sp.Integer(1))[0]:
            return False, f"the jump is not mu_i r_m / N for symbolic alpha (s = {s})"
    return True, "identity holds"


def _leaky_kink(inst: Instance, factor: object, alpha: object) -> list[Obligation]:
    where = "" if isinstance(alpha, sp.Symbol) else f" at alpha = {alpha}"
    return _kink_jumps(_leaky(inst, alpha), factor, str(factor), where, check_mu=True)


def _ob_leaky_2_3(inst: Instance) -> list[Obligation]:
    return _leaky_kink(inst, 1 - g.ALPHA, g.ALPHA)


def _ob_false_leaky_kink(inst: Instance) -> list[Obligation]:
    return _leaky_kink(inst, sp.Integer(1), sp.Rational(1, 2))


def general_leaky_3_1() -> tuple[bool, str]:
    for s in g.orientations():
        for param in ("spline", "network"):
            if param == "network" and s != (1, 1):
                continue  # the network pieces v (w x + b) do not involve s
            t = _gain_template(param, s)
            th = t.theta
            cols = {p: t.column(p) for p in th}
            for ia, a in enumerate(th):
                for b in th[ia:]:
                    res = 0
                    for u, tag in enumerate("ij"):
                        if param == "spline":
                            if {a, b} == {t[f"mu_{tag}"], t[f"beta_{tag}"]}:
                                res = g.gain_rho(t, u) / g.N
                        else:
                            w, bb, v = t[f"w_{tag}"], t[f"b_{tag}"], t[f"v_{tag}"]
                            if {a, b} == {w, v}:
                                res = g.S(t.gain(u) * t.r * g.X[g.n]) / g.N
                            elif {a, b} == {bb, v}:
                                res = g.S(t.gain(u) * t.r) / g.N
                    if not _identity(_d(t, a, b), g.S(cols[a] * cols[b]) / g.N + res):
                        return False, f"{param} Hessian entry ({a}, {b}) differs (s={s})"
            if param == "spline":
                for u, tag in enumerate("ij"):
                    if not _identity(_d(t, t[f"beta_{tag}"]),
                                     t[f"mu_{tag}"] * g.gain_rho(t, u) / g.N):
                        return False, "dL/dbeta != mu rho / N"
    lam, r0 = sp.symbols("l rho", real=True)
    block = sp.Matrix([[0, r0], [r0, 0]])
    if sp.expand((block - lam * sp.eye(2)).det() - (lam**2 - r0**2)) != 0:
        return False, "R block spectrum"
    return True, ("every second derivative of (1/2N) sum_n r_n^2 with arbitrary per-sample "
                  "gains g_i(n) fixed on the pattern (symbolic N, two units plus a rest term: "
                  "every H) equals (1/N) sum_n (J_na J_nb + r_n d^2 f_n), with R only at "
                  "(mu_i, beta_i) = rho_i/N, rho_i = -s_i sum_n g_i(n) r_n (spline) and at "
                  "(w_i, v_i), (b_i, v_i) = sum_n g_i r_n x_n / N, sum_n g_i r_n / N (network); "
                  "each block [[0, rho], [rho, 0]] has eigenvalues +-|rho| (trace 0); "
                  "dL/dbeta_i = mu_i rho_i / N; the network pieces do not involve the "
                  "orientations, so one orientation pair covers them")


def _ob_leaky_3_1(inst: Instance) -> list[Obligation]:
    li = _leaky(inst)
    H, N = li.H, li.N
    hess, gn, res = li.parts
    R = sp.zeros(2 * H + 1, 2 * H + 1)
    for i in range(H):
        R[H + i, i] = R[i, H + i] = -li.params.s[i] * _gain_sum(li, i) / N
    out = _mat_zero("closed Hessian - diff", (hess - li.hess_diff).applyfunc(sp.expand))
    out += _mat_zero("closed GN - J^T J/N", (gn - _gn_independent(li)).applyfunc(sp.expand))
    out += _mat_zero("Hess - J^T J/N - blocks(rho)",
                     (li.hess_diff - _gn_independent(li) - R).applyfunc(sp.expand))
    out += _mat_zero("closed R - blocks(rho)", (res - R).applyfunc(sp.expand))
    return out


def general_decay_1_3(weight_decay: bool = True) -> tuple[bool, str]:
    """<grad(L + (lambda/2)||theta||^2), (w_i, b_i, -v_i)> = -lambda delta_i (0 without decay)."""
    for s in ((1, 1),):  # the network pieces do not involve s
        t = _gain_template("network", s)
        obj = t.loss + (LAM / 2 * sum(p**2 for p in t.theta) if weight_decay else 0)
        for tag in "ij":
            w, b, v = t[f"w_{tag}"], t[f"b_{tag}"], t[f"v_{tag}"]
            lhs = w * sp.diff(obj, w) + b * sp.diff(obj, b) - v * sp.diff(obj, v)
            rhs = -LAM * (v**2 - w**2 - b**2) if weight_decay else 0
            if not _identity(lhs, rhs):
                return False, f"the orbit derivative is not {rhs}"
    what = "= -lambda delta_i" if weight_decay else "= 0"
    return True, (f"w dE/dw + b dE/db - v dE/dv {what} for E = (1/2N) sum_n r_n^2"
                  + (" + (lambda/2)||theta||^2" if weight_decay else "")
                  + ", arbitrary per-sample gains gamma_i[n] fixed on the pattern (the ReLU's "
                  "chi and the leaky alpha + (1-alpha) chi among them), symbolic N, two units "
                  "plus a rest term (every H; the network pieces do not involve the "
                  "orientations)")


def _ob_decay_1_3(inst: Instance) -> list[Obligation]:
    li = _leaky(inst)
    net, H = li.params, li.H
    theta = sp.Matrix(li.theta)
    grad = li.grad_diff + LAM * theta
    out = []
    for i in range(H):
        lhs = net.w[i] * grad[i] + net.b[i] * grad[H + i] - net.v[i] * grad[2 * H + i]
        delta = net.v[i] ** 2 - net.w[i] ** 2 - net.b[i] ** 2
        out.append(_Z(f"<grad E, (w{i + 1}, b{i + 1}, -v{i + 1})> + lambda delta{i + 1}",
                      lhs + LAM * delta))
    return out


# ====================================================================== theory §2-3 inequalities
#: Every inequality of theory §2-3, as a user claim decided on every pattern at (H, N), or with
#: the reason it is not a per-pattern claim. Each entry: (theory reference, statement, claim text
#: or "", hypotheses, H, N, how it is established).
THEORY_INEQUALITIES: tuple[tuple[str, str, str, tuple[str, ...], int, int, str], ...] = (
    ("2.1", "L is convex (quadratic, PSD) in (mu, c) on each pattern",
     "L convex in (mu, c)", (), 2, 3, "claim"),
    ("2.1", "L >= 0", "L >= 0", (), 2, 3, "claim"),
    ("2.3", "the kink is convex when mu_i r_m > 0 (right minus left dL/dbeta_i = mu_i r_m / N > 0)",
     "", (), 0, 0, "follows from the identity of 2.3 (proved general) since N > 0; the kink "
     "compares two patterns, so it is not a single-pattern claim"),
    ("3.1", "R has the symmetric spectrum +-|rho_i| (tr R = 0; block determinant -rho_i^2)",
     "R[mu1,beta1]*R[beta1,mu1] - rho1**2/N**2 = 0", (), 2, 3, "claim"),
    ("3.2", "a = H[mu_i, mu_i] >= 0 at mu_i = 0", "hess[mu1,mu1] >= 0", ("mu1 = 0",), 2, 3,
     "claim"),
    ("3.2", "the (mu_i, beta_i) block has determinant -rho_i^2/N^2 <= 0 at mu_i = 0",
     "hess[mu1,mu1]*hess[beta1,beta1] - hess[mu1,beta1]**2 <= 0", ("mu1 = 0",), 2, 3, "claim"),
    ("3.3", "the Gauss-Newton part J^T J / N is positive semidefinite", "GN is PSD", (), 2, 3,
     "claim"),
    ("3.3", "Hess L is PSD at a critical point with every mu_i != 0",
     "", (), 0, 0, "proved (general) in theorem 3.3: there every rho_i = 0, so Hess L = J^T J/N "
     "(the Gram identity of the previous line); a critical-point hypothesis is not in the claim "
     "language"),
    ("3.4", "inertia(Hess_network) = inertia(Hess_spline) + H zeros at critical points",
     "", (), 0, 0, "proved (general) in theorem 3.4 from the chain-rule identity and "
     "Sylvester's law of inertia; inertia is not a per-pattern inequality"),
)


# ====================================================================== the catalogue
def _T(name: str, statement: str, latex: str, param: str, general: object, ob: Callable,
       hypotheses: tuple[str, ...] = (), expected_false: bool = False) -> Theorem:
    return Theorem(name, statement, latex, hypotheses, param, general, ob, _check_from(ob, param),
                   expected_false)


@cache
def catalogue() -> dict[str, Theorem]:
    """Theorems 1.1-1.3, 2.1-2.4, 3.1-3.4, their leaky-ReLU and weight-decay variants
    (theory §7.4, §7.5: leaky.2.3, leaky.3.1, decay.1.3) and deliberately false variants
    (``expected_false``)."""
    items = [
        _T("1.1", "v_i [w_i x + b_i]_+ = mu_i [s_i (x - beta_i)]_+; the slope of f jumps by mu_i "
           "at beta_i whatever s_i; left-most slope = -sum_{s_i=-1} mu_i",
           r"v_i[w_i x+b_i]_+=\mu_i[s_i(x-\beta_i)]_+,\quad f'(\beta_i^+)-f'(\beta_i^-)=\mu_i",
           "network", _general_1_1, _ob_1_1, ("w_i != 0",)),
        _T("1.2", "phi is invariant under (w_i, b_i, v_i) -> (a w_i, a b_i, v_i/a), a > 0; P has "
           "full row rank 2H+1 and kernel spanned by (w_i, b_i, -v_i)",
           r"P\,(w_i,b_i,-v_i)^\top=0,\quad \operatorname{rank}P=2H+1",
           "network", _general_1_2, _ob_1_2, ("w_i != 0",)),
        _T("1.3", "<grad_network L, (w_i, b_i, -v_i)> = 0 for every unit",
           r"w_i\,\partial_{w_i}L+b_i\,\partial_{b_i}L-v_i\,\partial_{v_i}L=0",
           "network", _general_1_3, _ob_1_3, ("no breakpoint on a data point",)),
        _T("2.1", "on each pattern L is a polynomial, quadratic in (mu, c) and in each beta_i, and "
           "continuous across pattern boundaries",
           r"L|_{\text{pattern}}\in\mathbb{Q}[\beta,\mu,c],\ \deg_{(\mu,c)}L\le2,\ "
           r"\deg_{\beta_i}L\le2", "spline", _general_2_1, _ob_2_1),
        _T("2.2", "dL/dc = (1/N) sum r_n, dL/dmu_i = (1/N) s_i sum_{A_i} r_n (x_n - beta_i), "
           "dL/dbeta_i = -(1/N) s_i mu_i sum_{A_i} r_n; network forms; grad_net = P^T grad_spline",
           r"\frac{\partial L}{\partial\beta_i}=-\frac{s_i\mu_i}{N}\sum_{n\in A_i}r_n,\quad "
           r"\frac{\partial L}{\partial\mu_i}=\frac{s_i}{N}\sum_{n\in A_i}r_n(x_n-\beta_i)",
           "spline", _general_2_2, _ob_2_2, ("inside a pattern",)),
        _T("2.3", "at beta_i = x_m the one-sided derivatives in beta_i differ by mu_i r_m / N "
           "(right minus left), for either orientation; dL/dmu_i is continuous there",
           r"\partial_{\beta_i}L\big|_{x_m^+}-\partial_{\beta_i}L\big|_{x_m^-}=\frac{\mu_i r_m}{N}",
           "spline", _general_2_3, _ob_2_3, ("beta_i = x_m",)),
        _T("2.4", "critical points: sum r = 0, sum_{A_i} r (x - beta_i) = 0, mu_i sum_{A_i} r = 0; "
           "mu_i != 0 gives sum_{A_i} r = sum_{A_i} r x = 0; dead units are flat; all-active "
           "units make d f/d beta_i parallel to d f/d c",
           r"\mu_i\ne0\Rightarrow\sum_{n\in A_i}r_n=\sum_{n\in A_i}r_nx_n=0",
           "spline", _general_2_4, _ob_2_4, ("inside a pattern",)),
        _T("3.1", "Hess L = (J^T J + R)/N; in spline coordinates R is non-zero only at "
           "(mu_i, beta_i) = rho_i = -s_i sum_{A_i} r_n, spectrum +-|rho_i|, tr R = 0",
           r"\nabla^2L=\tfrac1N(J^\top J+R),\quad R=\bigoplus_i\begin{pmatrix}0&\rho_i\\"
           r"\rho_i&0\end{pmatrix},\ \rho_i=-s_i\sum_{n\in A_i}r_n",
           "spline", _general_3_1, _ob_3_1, ("inside a pattern",)),
        _T("3.2", "at mu_i = 0 the (mu_i, beta_i) block is [[a, rho_i/N], [rho_i/N, 0]] with "
           "a >= 0: a critical point with mu_i = 0 and rho_i != 0 is a strict saddle",
           r"\mu_i=0,\ \rho_i\ne0\Rightarrow\det\begin{pmatrix}a&\rho_i/N\\\rho_i/N&0"
           r"\end{pmatrix}<0", "spline", _general_3_2, _ob_3_2, ("mu_i = 0",)),
        _T("3.3", "at a critical point with every mu_i != 0 all rho_i vanish and Hess L = J^T J/N "
           "is positive semidefinite",
           r"\nabla L=0,\ \mu_i\ne0\ \forall i\Rightarrow\nabla^2L=\tfrac1NJ^\top J\succeq0",
           "spline", _general_3_3, _ob_3_3, ("critical point", "all mu_i != 0")),
        _T("3.4", "Hess_network = P^T Hess_spline P + sum_k dL/dphi_k Hess phi_k; at critical "
           "points the inertias agree up to H extra zeros",
           r"\nabla^2_{\theta}L=P^\top\nabla^2_{\phi}L\,P+\sum_k\partial_{\phi_k}L\,\nabla^2\phi_k",
           "network", _general_3_4, _ob_3_4, ("w_i != 0",)),
        Theorem("leaky.2.3", "leaky ReLU (alpha in [0, 1)): at beta_i = x_m the one-sided "
                "derivatives in beta_i differ by (1 - alpha) mu_i r_m / N; dL/dmu_i is continuous",
                r"\partial_{\beta_i}L\big|_{x_m^+}-\partial_{\beta_i}L\big|_{x_m^-}"
                r"=\frac{(1-\alpha)\mu_i r_m}{N}", ("beta_i = x_m", "leaky ReLU"), "spline",
                general_leaky_2_3, _ob_leaky_2_3),
        Theorem("leaky.3.1", "leaky ReLU: Hess L = (J^T J + R)/N with R only at (mu_i, beta_i) = "
                "rho_i = -s_i sum_n g_i(n) r_n, g_i = 1 on A_i and alpha off it",
                r"R=\bigoplus_i\begin{pmatrix}0&\rho_i\\\rho_i&0\end{pmatrix},\ "
                r"\rho_i=-s_i\sum_n g_i(n)r_n", ("inside a pattern", "leaky ReLU"), "spline",
                general_leaky_3_1, _ob_leaky_3_1),
        Theorem("decay.1.3", "weight decay: <grad(L + (lambda/2)||theta||^2), (w_i, b_i, -v_i)> = "
                "-lambda delta_i, delta_i = v_i^2 - w_i^2 - b_i^2 (ReLU and leaky ReLU)",
                r"\langle\nabla_\theta(L+\tfrac\lambda2\lVert\theta\rVert^2),"
                r"(w_i,b_i,-v_i)\rangle=-\lambda\delta_i", ("weight decay lambda",), "network",
                general_decay_1_3, _ob_decay_1_3),
        Theorem("false.leaky-kink", "leaky ReLU with alpha = 1/2: the beta_i kink jump is the "
                "ReLU's mu_i r_m / N",
                r"\alpha=\tfrac12:\ \partial_{\beta_i}L\big|_{x_m^+}-\partial_{\beta_i}L"
                r"\big|_{x_m^-}=\frac{\mu_i r_m}{N}", ("leaky ReLU, alpha = 1/2",), "spline",
                _general_false_leaky_kink, _ob_false_leaky_kink, expected_false=True),
        _T("false.kink-sign", "the beta_i kink jump is -mu_i r_m / N",
           r"\partial_{\beta_i}L\big|_{x_m^+}-\partial_{\beta_i}L\big|_{x_m^-}=-\frac{\mu_i r_m}{N}",
           "spline", _general_false_kink, _ob_false_kink, expected_false=True),
        _T("false.R-psd", "the residual part R is positive semidefinite",
           r"R\succeq0", "spline", None, _ob_false_R_psd, expected_false=True),
        _T("false.dbeta-factor", "dL/dbeta_i = -(1/N) mu_i sum_{A_i} r_n "
           "(orientation factor s_i dropped)",
           r"\frac{\partial L}{\partial\beta_i}=-\frac{\mu_i}{N}\sum_{n\in A_i}r_n",
           "spline", _general_false_dbeta, _ob_false_dbeta, expected_false=True),
    ]
    return {t.name: t for t in items}
