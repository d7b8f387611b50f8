"""theory §4: derived laws of beta and mu, theory §4.5 moments, presets, Monte-Carlo, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, special

from symspline.cli import main
from symspline.errors import ParameterError, SymsplineError, UnknownNameError
from symspline.initialization import laws as L
from symspline.initialization import roughness as R
from symspline.initialization.sampling import (
    bin_average,
    density_estimates,
    function_stats,
    sample_parameters,
    sample_units,
)
from symspline.initialization.schemes import PRESETS, Gaussian, Uniform, get_scheme
from symspline.initialization.validation import evaluate, to_payload

Z = 4.0  # tolerance in standard errors
N_MC = 200_000


# ----------------------------------------------------------------- symbolic: theory §4.1-4.4
def test_gaussian_beta_is_cauchy_and_orientation_independent():
    g = L.gaussian_laws()
    gam = L.SB / L.SW
    assert sp.simplify(g.beta_density.inner - gam / (sp.pi * (gam**2 + L.T**2))) == 0
    assert g.splus_given_beta == sp.Rational(1, 2)
    assert g.beta_density.integral(-sp.oo, sp.oo) == 1


def test_gaussian_mu_density_is_bessel_k0():
    g = L.gaussian_laws()
    k0 = sp.besselk(0, L.M / (L.SV * L.SW)) / (sp.pi * L.SV * L.SW)
    assert L.mellin_equal(g.mu_density_raw, k0, L.M)
    # independent numeric check of the raw (Meijer G) integral against scipy's K_0
    raw = sp.lambdify(L.M, g.mu_density_raw.subs({L.SV: 0.7, L.SW: 1.3}), "mpmath")
    for m in (0.05, 0.4, 2.5):
        assert abs(float(raw(m)) - special.k0(m / 0.91) / (np.pi * 0.91)) < 1e-12


def test_mellin_identification_rejects_a_wrong_closed_form():
    g = L.gaussian_laws()
    wrong = sp.besselk(1, L.M / (L.SV * L.SW)) / (sp.pi * L.SV * L.SW)
    assert not L.mellin_equal(g.mu_density_raw, wrong, L.M)


def test_gaussian_moments_and_conditional_law():
    g = L.gaussian_laws()
    assert sp.simplify(g.mean_mu2 - L.SV**2 * L.SW**2) == 0
    assert sp.simplify(g.mean_abs_mu - 2 * L.SV * L.SW / sp.pi) == 0
    gam = L.SB / L.SW
    assert sp.simplify(g.mu2_given_beta.inner
                       - 2 * L.SV**2 * L.SW**2 * gam**2 / (gam**2 + L.T**2)) == 0
    # joint density integrates (numerically) to p(beta) and E[mu^2 | beta]
    vals = {L.SW: 1.3, L.SB: 0.6, L.SV: 0.8}
    j = sp.lambdify((L.BETA, L.M), g.joint_density.subs(vals), "math")
    for beta in (-1.7, 0.2):
        mass = 2 * integrate.quad(lambda m, bt=beta: j(bt, m), 0, np.inf)[0]
        m2 = 2 * integrate.quad(lambda m, bt=beta: m * m * j(bt, m), 0, np.inf)[0]
        p = float(g.beta_density.at(beta).subs(vals))
        assert abs(mass - p) < 1e-10
        assert abs(m2 / p - float(g.mu2_given_beta.at(beta).subs(vals))) < 1e-9


def test_uniform_beta_density_theory_4_4_and_unequal_ranges():
    u = L.uniform_laws()
    a = sp.Symbol("a", positive=True)
    eq = u.beta_density.subs({L.AW: a, L.AB: a})
    assert eq.r == 1 and eq.inner == sp.Rational(1, 4)
    assert sp.simplify(eq.outer - 1 / (4 * L.T**2)) == 0
    # unequal ranges, independently: P(-b/w <= t) = E_w P_b(b >= -t w) for w > 0 and
    # P_b(b <= -t w) for w < 0, with the uniform CDF of b in closed form, integrated over w.
    aw, ab = 0.7, 2.0
    law = u.beta_density.subs({L.AW: aw, L.AB: ab})

    def cond(w: float, t: float) -> float:
        c = -t * w
        above = min(max((ab - c) / (2 * ab), 0.0), 1.0)
        return above if w > 0 else 1.0 - above

    for t in (-5.0, -1.0, 0.5, 2.9, 4.0):
        kink = [min(max(ab / abs(t), -aw), aw) * sgn for sgn in (-1, 1)]
        cdf = integrate.quad(lambda w, tt=t: cond(w, tt) / (2 * aw), -aw, aw, points=kink + [0.0],
                             epsabs=1e-13)[0]
        assert abs(float(law.antiderivative(t)) - cdf) < 1e-10
    assert u.splus_given_beta == sp.Rational(1, 2)
    assert u.beta_density.integral(-sp.oo, sp.oo) == 1


def test_uniform_mu_density_and_moments():
    u = L.uniform_laws()
    vals = {L.AW: 1.5, L.AV: 0.4}
    p = sp.lambdify(L.M, u.mu_density.subs(vals), "math")
    total = 2 * integrate.quad(p, 0, 0.6, points=[0.0])[0]
    m2 = 2 * integrate.quad(lambda m: m * m * p(m), 0, 0.6)[0]
    assert abs(total - 1) < 1e-9
    assert abs(m2 - float(u.mean_mu2.subs(vals))) < 1e-9
    assert p(0.61) == 0


def test_uniform_joint_density_marginalises_to_derived_laws():
    u = L.uniform_laws()
    vals = {L.AW: 0.8, L.AB: 1.7, L.AV: 1.3}
    j = sp.lambdify((L.BETA, L.M), u.joint_density.subs(vals), "math")
    for beta in (-4.0, 0.3, 2.5):
        top = 1.3 * 0.8
        mass = 2 * integrate.quad(lambda m, bt=beta: j(bt, m), 0, top, limit=200)[0]
        m2 = 2 * integrate.quad(lambda m, bt=beta: m * m * j(bt, m), 0, top, limit=200)[0]
        p = float(u.beta_density.at(beta).subs(vals))
        assert abs(mass - p) < 1e-9
        assert abs(m2 / p - float(u.mu2_given_beta.at(beta).subs(vals))) < 1e-9


def test_conditional_law_integrates_to_unconditional_moment():
    for fam in (L.gaussian_laws(), L.uniform_laws()):
        total = fam.beta_density.times(fam.w2_given_beta).integral(-sp.oo, sp.oo)
        assert sp.simplify(total - 2 * fam.w2_active) == 0


# ----------------------------------------------------------------- theory §4.5 exact values
def test_theory_4_5_exact_values_by_hand():
    # PyTorch default: p = 1/4 on [-1, 1], 1/(4 b^2) beyond; E[mu^2 | beta] = 1/(6H) inside.
    s = PRESETS["pytorch"](16)
    assert R.expected_breakpoints(s, 16, -2, 2) == 12          # 16 * (1/2 + 2 * 1/8)
    assert R.expected_roughness(s, 16, -1, 1) == sp.Rational(1, 12)
    assert R.var_f(s, 16, sp.Rational(1, 2)) == sp.Rational(13, 144)
    assert R.var_fprime(s, 16, 5) == sp.Rational(1, 18)
    g = Gaussian(1, 2, sp.Rational(1, 2), sp.Rational(1, 3))
    assert sp.simplify(R.expected_breakpoints(g, 4, -2, 2) - 4 * (2 * sp.atan(1) / sp.pi)) == 0
    assert R.var_f(g, 3, 1) == sp.Rational(3, 4) * sp.Rational(5, 2) + sp.Rational(1, 9)


def test_flatness_growth_under_presets():
    t = R.flatness_table(("pytorch", "he_normal", "glorot_uniform"), -2, 2, 0)
    assert t["pytorch"]["var_fprime"].limit == sp.Rational(1, 18)
    assert t["pytorch"]["expected_breakpoints"].exponent == 1
    assert t["he_normal"]["var_f"].limit == 2
    for q in ("expected_roughness", "var_f", "var_fprime"):
        assert t["glorot_uniform"][q].exponent == -1
    # the literal "flattens under 1/fan-in output scaling" is false for the PyTorch default
    assert sp.limit(R.var_fprime(PRESETS["pytorch"](R.H_SYM), R.H_SYM, 0), R.H_SYM, sp.oo) != 0


# ----------------------------------------------------------------- presets vs frameworks
def test_preset_conventions_formulas():
    H = 7
    gain = np.sqrt(2 / (1 + 5))  # kaiming_uniform_ with a = sqrt(5)
    pt = PRESETS["pytorch"](H)
    assert float(pt.aw) == pytest.approx(gain * np.sqrt(3 / 1), rel=1e-15)
    assert float(pt.av) == pytest.approx(gain * np.sqrt(3 / H), rel=1e-15)
    assert float(pt.ac) == pytest.approx(1 / np.sqrt(H), rel=1e-15)
    assert float(PRESETS["glorot_uniform"](H).av) == pytest.approx(np.sqrt(6 / (H + 1)))
    assert float(PRESETS["he_normal"](H).sv) == pytest.approx(np.sqrt(2 / H))
    assert float(PRESETS["lecun_normal"](H).sv) == pytest.approx(1 / np.sqrt(H))


def test_presets_match_torch_empirically():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    H, reps = 32, 400
    cases = {
        "pytorch": None,
        "glorot_normal": torch.nn.init.xavier_normal_,
        "glorot_uniform": torch.nn.init.xavier_uniform_,
        "he_normal": torch.nn.init.kaiming_normal_,
        "he_uniform": torch.nn.init.kaiming_uniform_,
    }
    for name, init in cases.items():
        ws, vs = [], []
        for _ in range(reps):
            l1, l2 = torch.nn.Linear(1, H), torch.nn.Linear(H, 1)
            if init is not None:
                init(l1.weight)
                init(l2.weight)
            ws.append(l1.weight.detach().numpy().ravel())
            vs.append(l2.weight.detach().numpy().ravel())
        s = PRESETS[name](H)
        var_w = float(s.scales[0] ** 2) if s.family == "gaussian" else float(s.aw**2 / 3)
        var_v = float(s.scales[2] ** 2) if s.family == "gaussian" else float(s.av**2 / 3)
        for sample, var in ((np.concatenate(ws), var_w), (np.concatenate(vs), var_v)):
            sq = sample.astype(np.float64) ** 2
            assert abs(sq.mean() - var) < Z * sq.std() / np.sqrt(sq.size), name


def test_lecun_normal_variance_matches_jax():
    # JAX's lecun_normal is a truncated normal rescaled to variance 1/fan_in (fan_in = shape[0]
    # of a Dense kernel): the preset's variances must match. A kernel of shape (fan_in, many
    # outputs) gives many draws with the layer's fan_in.
    jax = pytest.importorskip("jax")
    init = jax.nn.initializers.lecun_normal()
    H = 16
    s = PRESETS["lecun_normal"](H)
    for fan_in, var in ((1, float(s.sw**2)), (H, float(s.sv**2))):
        draws = np.asarray(init(jax.random.PRNGKey(fan_in), (fan_in, 100_000 // fan_in)))
        sq = draws.astype(np.float64).ravel() ** 2
        assert abs(sq.mean() - var) < Z * sq.std() / np.sqrt(sq.size)


# ----------------------------------------------------------------- Monte-Carlo
@pytest.mark.parametrize("spec,H", [("gaussian(1,2,1/2,1/3)", 5), ("uniform(1,3,2,1)", 4),
                                    ("pytorch", 16), ("glorot_normal", 8)])
def test_every_formula_agrees_with_monte_carlo(spec, H):
    pts = [sp.Rational(-3, 2), sp.Rational(1, 3), sp.Integer(2)]
    rep = evaluate(spec, H, -2, 2, pts, N_MC, np.random.default_rng(20220801))
    assert len(rep.rows) == 14
    bad = [(r.quantity, r.x, r.z) for r in rep.rows if abs(r.z) > Z]
    assert not bad


def test_monte_carlo_refutes_a_false_law():
    # beta under sw = 1, sb = 2 against the inverted Cauchy(0, 1/2): the sampler must reject it.
    beta, _, _ = sample_units(Gaussian(1, 2, 1), N_MC, np.random.default_rng(3))
    wrong = sp.Rational(1, 2) / (sp.pi * (sp.Rational(1, 4) + L.BETA**2))
    right = R.breakpoint_density(Gaussian(1, 2, 1)).at(L.BETA)
    est = density_estimates(beta, [0.0], 0.05)[0]
    assert abs(est.z(bin_average(wrong, L.BETA, 0.0, 0.05))) > 10 * Z
    assert abs(est.z(bin_average(right, L.BETA, 0.0, 0.05))) < Z
    # and a wrong Var f' (missing the factor 1/2) is rejected too
    st = function_stats(Gaussian(1, 1, 1), 3, N_MC // 4, np.random.default_rng(4), -1, 1, [0.0])
    assert abs(st.var_fprime[0].z(3.0)) > 10 * Z
    assert abs(st.var_fprime[0].z(1.5)) < Z


def test_sampler_shapes_and_reproducibility():
    s = PRESETS["pytorch"](4)
    a = sample_parameters(s, 4, 10, np.random.default_rng(1))
    b = sample_parameters(s, 4, 10, np.random.default_rng(1))
    assert a[0].shape == (10, 4) and a[3].shape == (10,)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert np.all(np.abs(a[0]) <= 1) and np.all(np.abs(a[2]) <= 0.5)


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize("make", [
    lambda: Gaussian(0, 1, 1), lambda: Gaussian(1, -1, 1), lambda: Uniform(1, 1, 1, -1),
    lambda: get_scheme("gaussian(1,-2,1)"), lambda: get_scheme("uniform(1,1)"),
    lambda: get_scheme("pytorch", 0), lambda: get_scheme("glorot_uniform", 2.5),
    lambda: R.expected_breakpoints(Gaussian(1, 1, 1), 3, 1, 1),
    lambda: R.expected_roughness(Gaussian(1, 1, 1), 3, 2, -1),
])
def test_bad_parameters_raise_parameter_error(make):
    with pytest.raises(ParameterError):
        make()


def test_unknown_scheme_name():
    with pytest.raises(UnknownNameError, match="unknown initialization scheme 'kaiming'"):
        get_scheme("kaiming")
    assert get_scheme("Xavier-Uniform", 3).name == "glorot_uniform"


# ----------------------------------------------------------------- CLI
def test_cli_json_layout(capsys):
    code = main(["init", "--scheme", "pytorch", "--width", "8", "--interval", "-1", "1.5",
                 "--at", "-1,1/4", "--samples", "4000", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["ok"] is True and out["command"] == "init"
    assert out["H"] == 8 and out["interval"] == [-1.0, 1.5]
    assert out["interval_exact"] == ["-1", "3/2"]
    qs = out["quantities"]
    for q in R.QUANTITIES:
        assert isinstance(qs[q]["latex"], str) and qs[q]["latex"]
    for q in ("breakpoint_density", "delta_slope_density", "var_f", "var_fprime"):
        assert [row["x"] for row in qs[q]["points"]] == [-1.0, 0.25]
        assert [row["x_exact"] for row in qs[q]["points"]] == ["-1", "1/4"]
        assert all(set(row["monte_carlo"]) == {"estimate", "se"} for row in qs[q]["points"])
    assert qs["breakpoint_density"]["points"][1]["value"] == 0.25
    # 8 * (P(|beta| <= 1) + int_1^{3/2} d beta / (4 beta^2)) = 8 * (1/2 + 1/12)
    assert qs["expected_breakpoints"]["value"] == pytest.approx(14 / 3, rel=1e-15)
    assert qs["expected_breakpoints"]["value_exact"] == "14/3"
    mc = qs["expected_breakpoints"]["monte_carlo"]
    assert abs(mc["estimate"] - 14 / 3) < Z * mc["se"]
    assert qs["var_fprime"]["points"][0]["value"] == pytest.approx(1 / 18)


def test_cli_payload_marks_infinite_density_as_null():
    rep = evaluate("gaussian", 2, -1, 1, [0], 2000, np.random.default_rng(0))
    assert to_payload(rep)["delta_slope_density"]["at"] == [[0.0, None]]


@pytest.mark.parametrize("argv,msg", [
    (["--scheme", "nope"], "unknown initialization scheme"),
    (["--scheme", "gaussian(1,0,1)"], "scale sb must be > 0"),
    (["--scheme", "pytorch", "--width", "0"], "width must be an integer >= 1"),
    (["--scheme", "pytorch", "--interval", "2", "1"], "empty interval"),
    (["--scheme", "pytorch", "--samples", "1"], "samples must be an integer >= 2"),
    (["--scheme", "pytorch", "--at", "x"], "bad point"),
])
def test_cli_bad_input_exit_2_one_line(capsys, argv, msg):
    code = main(["init", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert msg in err and err.count("\n") == 1 and "Traceback" not in err


def test_errors_are_symspline_errors():
    assert issubclass(ParameterError, SymsplineError)
