"""General proofs: the loss as an indexed sum over n = 1..N with symbolic N (SymPy ``Sum``/``Indexed``).

Unit-locality. Inside a pattern, f(x_n) = c + sum_i u_i(n) chi_i[n] where u_i is unit i's linear
piece and chi_i[n] in {0, 1} the indicator of its active set. Every gradient entry involves one
unit and every Hessian entry at most two, so the template

    f_n = c + u_i(n) chi_i[n] + u_j(n) chi_j[n] + g[n]

with an arbitrary ``g[n]`` (all other units, independent of units i and j) covers every width H.
The indicators are arbitrary 0/1 sequences (only chi^2 = chi is used), so the proofs hold for every
active set, not only the prefixes and suffixes of theory §0. An identity between linear combinations
of sums over n = 1..N is proved by reducing it to a single summand and showing that summand is 0
(constants c are read as sum_n c / N).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

n = sp.Symbol("n", integer=True, positive=True)
N = sp.Symbol("N", integer=True, positive=True)
X = sp.IndexedBase("x")
Y = sp.IndexedBase("y")
G = sp.IndexedBase("g")
CHI = (sp.IndexedBase("chi_i"), sp.IndexedBase("chi_j"))


def S(expr: sp.Expr) -> sp.Sum:
    """sum_{n=1}^{N} expr."""
    return sp.Sum(expr, (n, 1, N))


@dataclass(frozen=True, eq=False)
class Template:
    """Two units (i, j) with orientations ``s`` in one parameterization, plus the rest g[n]."""

    param: str
    s: tuple[int, int]
    sym: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        sym: dict = {"c": sp.Symbol("c", real=True)}
        for u, tag in enumerate("ij"):
            if self.param == "spline":
                sym[f"beta_{tag}"] = sp.Symbol(f"beta_{tag}", real=True)
                sym[f"mu_{tag}"] = sp.Symbol(f"mu_{tag}", real=True)
            else:
                sym[f"w_{tag}"] = sp.Symbol(f"w_{tag}", positive=self.s[u] > 0,
                                            negative=self.s[u] < 0)
                sym[f"b_{tag}"] = sp.Symbol(f"b_{tag}", real=True)
                sym[f"v_{tag}"] = sp.Symbol(f"v_{tag}", real=True)
        object.__setattr__(self, "sym", sym)

    def __getitem__(self, key: str) -> sp.Symbol:
        return self.sym[key]

    @property
    def theta(self) -> list[sp.Symbol]:
        """Parameters in the theory §0 order restricted to the two units."""
        names = (["beta", "mu"] if self.param == "spline" else ["w", "b", "v"])
        return [self.sym[f"{p}_{t}"] for p in names for t in "ij"] + [self.sym["c"]]

    def piece(self, u: int) -> sp.Expr:
        """Unit u's linear piece u(n) on its active set."""
        t = "ij"[u]
        if self.param == "spline":
            return self.s[u] * self.sym[f"mu_{t}"] * (X[n] - self.sym[f"beta_{t}"])
        return self.sym[f"v_{t}"] * (self.sym[f"w_{t}"] * X[n] + self.sym[f"b_{t}"])

    @cached_property
    def f(self) -> sp.Expr:
        return self.sym["c"] + self.piece(0) * CHI[0][n] + self.piece(1) * CHI[1][n] + G[n]

    @cached_property
    def r(self) -> sp.Expr:
        return self.f - Y[n]

    @cached_property
    def loss(self) -> sp.Expr:
        return S(self.r**2) / (2 * N)

    def d(self, *params: sp.Symbol) -> sp.Expr:
        """Derivative of the loss (SymPy differentiates under the sum)."""
        return sp.diff(self.loss, *params)

    def column(self, p: sp.Symbol) -> sp.Expr:
        """J_{n,p} = d f_n / d p."""
        return sp.diff(self.f, p)


def summand(expr: sp.Expr) -> sp.Expr:
    """The single summand s_n with expr = sum_{n=1}^N s_n, indicators reduced (chi^2 = chi)."""
    total = []
    for term in sp.Add.make_args(sp.expand(expr)):
        factors = sp.Mul.make_args(term)
        sums = [f for f in factors if isinstance(f, sp.Sum)]
        if not sums:
            if term.has(n):
                raise ValueError(f"free index outside a sum: {term}")
            total.append(term / N)
            continue
        if len(sums) > 1 or sums[0].limits != ((n, 1, N),):
            raise ValueError(f"not a single sum over n = 1..N: {term}")
        coeff = sp.Mul(*[f for f in factors if f is not sums[0]])
        total.append(coeff * sums[0].function)
    out = sp.expand(sp.Add(*total))
    return _idempotent(out)


def _idempotent(e: sp.Expr) -> sp.Expr:
    def is_chi_power(a: sp.Basic) -> bool:
        return (a.is_Pow and isinstance(a.base, sp.Indexed) and a.base.base in CHI
                and a.exp.is_Integer and a.exp > 1)

    return sp.expand(e.replace(is_chi_power, lambda a: a.base))


def identity(lhs: sp.Expr, rhs: sp.Expr) -> bool:
    """True when lhs - rhs reduces to a zero summand (a proof for all N and all active sets)."""
    s = summand(lhs - rhs)
    if s == 0:
        return True
    return sp.cancel(sp.together(s)) == 0


def orientations() -> list[tuple[int, int]]:
    """All orientation pairs of the two template units."""
    return [(a, b) for a in (1, -1) for b in (1, -1)]


def spline_closed_gradient(t: Template) -> dict[sp.Symbol, sp.Expr]:
    """theory §2.2 closed forms (spline) as sums: dL/dc, dL/dmu_u, dL/dbeta_u."""
    out = {t["c"]: S(t.r) / N}
    for u, tag in enumerate("ij"):
        chi, s = CHI[u][n], t.s[u]
        out[t[f"mu_{tag}"]] = S(t.r * s * (X[n] - t[f"beta_{tag}"]) * chi) / N
        out[t[f"beta_{tag}"]] = -s * t[f"mu_{tag}"] * S(t.r * chi) / N
    return out


def network_closed_gradient(t: Template) -> dict[sp.Symbol, sp.Expr]:
    """theory §2.2 closed forms (network) as sums: dL/dc, dL/dv_u, dL/dw_u, dL/db_u."""
    out = {t["c"]: S(t.r) / N}
    for u, tag in enumerate("ij"):
        chi = CHI[u][n]
        w, b, v = t[f"w_{tag}"], t[f"b_{tag}"], t[f"v_{tag}"]
        out[v] = S(t.r * (w * X[n] + b) * chi) / N
        out[w] = v * S(t.r * X[n] * chi) / N
        out[b] = v * S(t.r * chi) / N
    return out


def rho(t: Template, u: int) -> sp.Expr:
    """rho_u = -s_u sum_{A_u} r_n (spline)."""
    return -t.s[u] * S(t.r * CHI[u][n])


def closed_hessian(t: Template) -> tuple[dict, dict]:
    """(J^T J / N, R / N) entries as sums over the template, keyed by parameter pairs."""
    th = t.theta
    cols = {p: t.column(p) for p in th}
    gn = {(a, b): S(cols[a] * cols[b]) / N for a in th for b in th}
    res = {(a, b): sp.Integer(0) for a in th for b in th}
    for u, tag in enumerate("ij"):
        chi = CHI[u][n]
        if t.param == "spline":
            mu, beta = t[f"mu_{tag}"], t[f"beta_{tag}"]
            res[(mu, beta)] = res[(beta, mu)] = rho(t, u) / N
        else:
            w, b, v = t[f"w_{tag}"], t[f"b_{tag}"], t[f"v_{tag}"]
            res[(w, v)] = res[(v, w)] = S(t.r * X[n] * chi) / N
            res[(b, v)] = res[(v, b)] = S(t.r * chi) / N
    return gn, res


def spline_at_phi(t_net: Template) -> tuple[Template, dict]:
    """The spline template with the same orientations and the substitution beta = -b/w,
    mu = s v w (= v |w|), which maps its f_n onto the network template's f_n."""
    ts = Template("spline", t_net.s)
    sub = {}
    for u, tag in enumerate("ij"):
        w, b, v = t_net[f"w_{tag}"], t_net[f"b_{tag}"], t_net[f"v_{tag}"]
        sub[ts[f"beta_{tag}"]] = -b / w
        sub[ts[f"mu_{tag}"]] = t_net.s[u] * v * w
    sub[ts["c"]] = t_net["c"]
    return ts, sub


M = sp.Symbol("m", integer=True, positive=True)


def at_sample(expr: sp.Expr, chi_at_m: dict) -> sp.Expr:
    """Reduce a summand with the sample indicator delta_n = KroneckerDelta(n, m).

    A term delta_n F(n) becomes delta_n F(m) (only n = m contributes), and the active-set
    indicators at m take their known values ``chi_at_m`` (e.g. chi_i[m] = 0 or 1).
    """
    d = sp.KroneckerDelta(n, M)
    out = []
    for term in sp.Add.make_args(sp.expand(expr)):
        if term.has(d):
            rest = term.subs(d, 1).subs(n, M)
            rest = rest.subs({c[M]: v for c, v in chi_at_m.items()})
            out.append(d * rest)
        else:
            out.append(term)
    return _idempotent(sp.expand(sp.Add(*out)))


def kink_jump(s: int, sign: int = 1) -> tuple[bool, bool]:
    """theory §2.3 for a unit of orientation s whose breakpoint crosses sample m.

    The right-hand pattern (beta_i just above x_m) has indicator chi_i; the left-hand one differs
    only at m: chi_i + delta (s = +1: x_m is active when beta_i < x_m) or chi_i - delta (s = -1).
    Returns (jump of dL/dbeta_i at beta_i = x_m equals sign * mu_i r_m / N,
    L and dL/dmu_i are continuous there), for symbolic N and any other units (g[n]).
    """
    t = Template("spline", (s, 1))
    beta, mu = t["beta_i"], t["mu_i"]
    d = sp.KroneckerDelta(n, M)
    chi = CHI[0]
    chi_left = chi[n] + s * d
    f_right = t.f
    f_left = t.f.subs(chi[n], chi_left)
    L_right = S((f_right - Y[n]) ** 2) / (2 * N)
    L_left = S((f_left - Y[n]) ** 2) / (2 * N)
    at = {beta: X[M]}
    chi_m = {chi: 0 if s > 0 else 1}  # chi_i[m] on the right-hand pattern
    r_m = S(d * (f_right - Y[n]))
    jump = (sp.diff(L_right, beta) - sp.diff(L_left, beta) - sign * mu * r_m / N).subs(at)
    jump_ok = at_sample(summand(jump), chi_m) == 0
    cont = (L_right - L_left).subs(at)
    dmu = (sp.diff(L_right, mu) - sp.diff(L_left, mu)).subs(at)
    cont_ok = at_sample(summand(cont), chi_m) == 0 and at_sample(summand(dmu), chi_m) == 0
    return jump_ok, cont_ok


# ---------------------------------------------------------------- per-sample gains (leaky ReLU)
#: The leaky-ReLU slope alpha (theory §7.4) as a symbol: alpha in [0, 1).
ALPHA = sp.Symbol("alpha", nonnegative=True)
#: Arbitrary per-sample gains of the two template units. Most identities of theory §1-3 hold for
#: any gains that are constant on a pattern (unit u contributes gamma_u[n] times its line), so a
#: proof with these covers the leaky gains alpha + (1 - alpha) chi_u[n] and the ReLU's chi_u[n].
GAINS = (sp.IndexedBase("gamma_i"), sp.IndexedBase("gamma_j"))


def leaky_gain(u: int, alpha: sp.Expr = ALPHA) -> sp.Expr:
    """g_u(n) = alpha + (1 - alpha) chi_u[n]: 1 on the active set, alpha off it."""
    return alpha + (1 - alpha) * CHI[u][n]


class GainTemplate(Template):
    """The two-unit template with per-sample gains: f_n = c + gamma_i[n] u_i(n) + gamma_j[n] u_j(n)
    + g[n], gamma_u arbitrary sequences fixed on the pattern (theory §7.4)."""

    specific = False

    def gain(self, u: int) -> sp.Expr:
        """Unit u's gain at sample n: gamma_u[n], or alpha + (1 - alpha) chi_u[n] (leaky)."""
        return leaky_gain(u) if self.specific else GAINS[u][n]

    @cached_property
    def f(self) -> sp.Expr:
        return self.sym["c"] + self.piece(0) * self.gain(0) + self.piece(1) * self.gain(1) + G[n]


class LeakyTemplate(GainTemplate):
    """The template with the leaky gains alpha + (1 - alpha) chi_u[n] themselves (alpha symbolic)."""

    specific = True


def gain_rho(t: GainTemplate, u: int) -> sp.Expr:
    """rho_u = -s_u sum_n g_u(n) r_n (spline; theory §7.4, row 3.1)."""
    return -t.s[u] * S(t.r * t.gain(u))


def leaky_kink_jump(s: int, factor: sp.Expr | None = None) -> tuple[bool, bool]:
    """theory §2.3 for the leaky ReLU (§7.4): a unit of orientation s whose breakpoint crosses
    sample m. Returns (right minus left dL/dbeta_i at beta_i = x_m equals
    ``factor`` mu_i r_m / N, L and dL/dmu_i are continuous there), for symbolic N and alpha and
    any other units. ``factor`` defaults to 1 - alpha; 1 gives the ReLU statement, false for
    alpha != 0."""
    factor = (1 - ALPHA) if factor is None else factor
    t = LeakyTemplate("spline", (s, 1))
    beta, mu = t["beta_i"], t["mu_i"]
    d = sp.KroneckerDelta(n, M)
    chi = CHI[0]
    f_right = t.f
    f_left = t.f.subs(chi[n], chi[n] + s * d)  # sample m changes sides: its gain alpha <-> 1
    L_right = S((f_right - Y[n]) ** 2) / (2 * N)
    L_left = S((f_left - Y[n]) ** 2) / (2 * N)
    at = {beta: X[M]}
    chi_m = {chi: 0 if s > 0 else 1}
    r_m = S(d * (f_right - Y[n]))
    jump = (sp.diff(L_right, beta) - sp.diff(L_left, beta) - factor * mu * r_m / N).subs(at)
    jump_ok = at_sample(summand(jump), chi_m) == 0
    cont = (L_right - L_left).subs(at)
    dmu = (sp.diff(L_right, mu) - sp.diff(L_left, mu)).subs(at)
    cont_ok = at_sample(summand(cont), chi_m) == 0 and at_sample(summand(dmu), chi_m) == 0
    return jump_ok, cont_ok
