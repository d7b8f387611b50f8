"""Import of trained networks: from_arrays, from_torch (duck-typed and real torch), from_flax."""

from __future__ import annotations

import subprocess
import sys
import types
import warnings

import numpy as np
import pytest

import symspline
from symspline import InputError, Network, from_arrays, from_flax, from_torch
from symspline.interop import to_arrays, to_flax


# ------------------------------------------------------------------ fakes (no torch needed)
class FakeTensor:
    """Mimics a float32 torch tensor that requires grad: numpy() only after detach()."""

    def __init__(self, values: object) -> None:
        self._a = np.asarray(values, dtype=np.float32)
        self._detached = False

    def detach(self) -> FakeTensor:
        t = FakeTensor(self._a)
        t._detached = True
        return t

    def cpu(self) -> FakeTensor:
        return self

    def numpy(self) -> np.ndarray:
        if not self._detached:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad")
        return self._a.copy()


class Linear:  # class names are what the importer inspects
    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator, bias: bool = True) -> None:
        self.weight = FakeTensor(rng.normal(size=(n_out, n_in)))
        self.bias = FakeTensor(rng.normal(size=(n_out,))) if bias else None

    def children(self) -> list:
        return []

    def __call__(self, x: np.ndarray) -> np.ndarray:
        # like torch: computed in the parameters' dtype (float32 here)
        out = x.astype(np.float32) @ self.weight._a.T
        return out if self.bias is None else out + self.bias._a


class ReLU:
    def children(self) -> list:
        return []

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)


class Tanh(ReLU):
    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)


class Sequential:
    def __init__(self, *mods: object) -> None:
        self.mods = mods

    def children(self) -> list:
        return list(self.mods)

    def state_dict(self) -> dict:
        sd = {}
        for k, m in enumerate(self.mods):
            if isinstance(m, Linear):
                sd[f"{k}.weight"] = m.weight
                if m.bias is not None:
                    sd[f"{k}.bias"] = m.bias
        return sd

    def __call__(self, x: np.ndarray) -> np.ndarray:
        for m in self.mods:
            x = m(x)
        return x


class TwoLayers:
    """A custom module: two Linear children, the activation applied in ``forward`` (unseen by
    any inspection of module classes)."""

    def __init__(self, H: int, act: object, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.fc1, self.fc2, self.act = Linear(1, H, rng), Linear(H, 1, rng), act

    def children(self) -> list:
        return [self.fc1, self.fc2]

    def state_dict(self) -> dict:
        return {"fc1.weight": self.fc1.weight, "fc1.bias": self.fc1.bias,
                "fc2.weight": self.fc2.weight, "fc2.bias": self.fc2.bias}

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.fc2(self.act(self.fc1(x)))


def _reference(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray,
               x: np.ndarray) -> np.ndarray:
    """The torch forward pass written independently: W2 relu(W1 x + b1) + b2, row per sample."""
    h = np.maximum(x[:, None] @ W1.T + b1, 0.0)
    return (h @ W2.T + b2)[:, 0]


def _sequential(H: int, seed: int = 0, mid: type = ReLU) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(Linear(1, H, rng), mid(), Linear(H, 1, rng))


X = np.linspace(-3.0, 3.0, 41)


# ------------------------------------------------------------------ from_arrays
@pytest.mark.parametrize("shape", ["flat", "column", "row"])
def test_from_arrays_accepts_every_layout(shape):
    rng = np.random.default_rng(1)
    w, b, v = rng.normal(size=(3, 5))
    c = 0.25
    lay = {"flat": lambda a: a, "column": lambda a: a.reshape(-1, 1),
           "row": lambda a: a.reshape(1, -1)}[shape]
    net = from_arrays(lay(w), lay(b), lay(v), np.array([c]))
    assert net.kind == "float" and net.H == 5
    expected = np.maximum(np.outer(X, w) + b, 0) @ v + c
    np.testing.assert_allclose(net(X), expected, rtol=1e-14, atol=1e-14)


def test_from_arrays_is_float64_even_from_float32_and_lists():
    net = from_arrays(np.float32([0.1, 0.2]), [0.3, 0.4], (1, 2), 3)
    assert net.w.dtype == np.float64
    assert net.w[0] == np.float64(np.float32(0.1))  # widened, not re-rounded
    assert isinstance(net.c, float) and net.c == 3.0
    back = to_arrays(net)
    assert np.array_equal(back["v"], [1.0, 2.0]) and back["c"] == 3.0


@pytest.mark.parametrize("args, msg", [
    ((np.ones((2, 3)), np.ones(3), np.ones(3), 0.0), "w has shape (2, 3)"),
    ((np.ones(3), np.ones(4), np.ones(3), 0.0), "b has 4 entries but the hidden width is 3"),
    ((np.ones(3), np.ones(3), np.ones(3), np.ones(2)), "exactly one output"),
    ((np.ones(3), np.ones(3), [1.0, np.nan, 0.0], 0.0), "v has non-finite"),
    ((np.ones(3), np.ones(3), ["a", "b", "c"], 0.0), "v is not a numeric array"),
])
def test_from_arrays_rejects_with_one_line(args, msg):
    with pytest.raises(InputError) as err:
        from_arrays(*args)
    assert msg in str(err.value) and "\n" not in str(err.value)


# ------------------------------------------------------------------ from_torch (duck-typed)
def test_from_torch_fake_sequential_matches_forward_pass():
    model = _sequential(4)
    net = from_torch(model)
    W1, b1 = model.mods[0].weight._a, model.mods[0].bias._a
    W2, b2 = model.mods[2].weight._a, model.mods[2].bias._a
    ref = _reference(W1.astype(float), b1.astype(float), W2.astype(float), b2.astype(float), X)
    np.testing.assert_allclose(net(X), ref, rtol=1e-13, atol=1e-13)
    # The same parameters read from the state dict alone (unverifiable: explicit opt-out).
    again = from_torch(model.state_dict(), verify=False)
    assert np.array_equal(again.vector, net.vector)


def test_from_torch_swapped_roles_are_not_confused():
    # A false statement must be refuted: reading v as w (or vice versa) would change f.
    model = _sequential(3, seed=5)
    net = from_torch(model)
    swapped = Network(net.v, net.b, net.w, net.c)
    assert np.max(np.abs(net(X) - swapped(X))) > 1e-3


def test_from_torch_without_bias_reads_zero_bias():
    rng = np.random.default_rng(2)
    model = Sequential(Linear(1, 3, rng, bias=False), ReLU(), Linear(3, 1, rng, bias=False))
    net = from_torch(model)  # verified: the forward pass has no biases either
    assert np.all(net.b == 0.0) and net.c == 0.0


def test_from_torch_custom_module_state_dict_prefixes():
    model = _sequential(2, seed=3)
    sd = {f"body.{k}": v for k, v in model.state_dict().items()}
    assert np.array_equal(from_torch(sd, verify=False).vector, from_torch(model).vector)


@pytest.mark.parametrize("build, msg", [
    (lambda r: Sequential(Linear(2, 4, r), ReLU(), Linear(4, 1, r)), "has 2 inputs"),
    (lambda r: Sequential(Linear(1, 4, r), ReLU(), Linear(4, 3, r)), "has 3 outputs"),
    (lambda r: Sequential(Linear(1, 4, r), Tanh(), Linear(4, 1, r)), "contains a Tanh module"),
    (lambda r: Sequential(Linear(1, 4, r), ReLU(), Linear(4, 4, r), ReLU(), Linear(4, 1, r)),
     "3 Linear layers"),
    (lambda r: Sequential(Linear(1, 4, r), Linear(4, 1, r), ReLU()), "Linear -> Linear -> ReLU"),
    (lambda r: Sequential(Linear(1, 4, r), ReLU(), Linear(3, 1, r)), "takes 3 inputs"),
    (lambda r: Sequential(Sequential(Linear(1, 4, r), Linear(4, 1, r)), ReLU()),
     "Linear -> Linear"),
])
def test_from_torch_rejects_other_architectures(build, msg):
    with pytest.raises(InputError) as err:
        from_torch(build(np.random.default_rng(0)))
    assert msg in str(err.value) and "\n" not in str(err.value)


def test_from_torch_rejects_foreign_state_entries_and_objects():
    sd = dict(_sequential(2).state_dict())
    sd["1.running_mean"] = FakeTensor(np.zeros(2))
    with pytest.raises(InputError, match="running_mean"):
        from_torch(sd, verify=False)
    with pytest.raises(InputError, match="torch module or a state dict"):
        from_torch(42)


# ------------------------------------------------------------------ from_flax
def _flax_tree(H: int, seed: int = 0) -> tuple[dict, tuple]:
    rng = np.random.default_rng(seed)
    k0, b0, k1, b1 = (rng.normal(size=(1, H)), rng.normal(size=H), rng.normal(size=(H, 1)),
                      rng.normal(size=1))
    tree = {"params": {"Dense_0": {"kernel": k0, "bias": b0},
                       "Dense_1": {"kernel": k1, "bias": b1}}}
    return tree, (k0, b0, k1, b1)


def _flax_apply(act=lambda z: np.maximum(z, 0)):
    """A Flax-style ``model.apply(variables, x)`` in NumPy: x @ kernel + bias per Dense layer."""
    def apply(variables, x):
        p = variables["params"] if "params" in variables else variables
        h = act(x @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"])
        return h @ p["Dense_1"]["kernel"] + p["Dense_1"]["bias"]
    return apply


def test_from_flax_matches_dense_forward_pass():
    tree, (k0, b0, k1, b1) = _flax_tree(4)
    net = from_flax(tree, _flax_apply())
    ref = (np.maximum(X[:, None] @ k0 + b0, 0) @ k1 + b1)[:, 0]  # flax: x @ kernel + bias
    np.testing.assert_allclose(net(X), ref, rtol=1e-13, atol=1e-13)
    assert np.array_equal(from_flax(tree["params"], verify=False).vector, net.vector)


def test_from_flax_read_only_mappings_haiku_and_resorted_keys():
    tree, (k0, b0, k1, b1) = _flax_tree(3, seed=4)
    ref = from_flax(tree, _flax_apply())
    frozen = types.MappingProxyType({k: types.MappingProxyType(v)
                                     for k, v in tree["params"].items()})
    assert np.array_equal(from_flax(frozen, _flax_apply()).vector, ref.vector)
    haiku = {"linear": {"w": k0, "b": b0}, "linear_1": {"w": k1, "b": b1}}
    assert np.array_equal(from_flax(haiku, verify=False).vector, ref.vector)
    # Names that sort the output layer first: the (H, 1) kernel is recognised as the second layer.
    odd = {"a_out": {"kernel": k1, "bias": b1}, "b_hidden": {"kernel": k0, "bias": b0}}
    assert np.array_equal(from_flax(odd, verify=False).vector, ref.vector)


def test_to_flax_round_trip_and_other_collections_refused():
    tree, _ = _flax_tree(3, seed=7)
    net = from_flax(tree, _flax_apply())
    back = to_flax(net)
    assert back["params"]["Dense_0"]["kernel"].shape == (1, 3)
    assert back["params"]["Dense_1"]["kernel"].shape == (3, 1)
    assert np.array_equal(from_flax(back, _flax_apply()).vector, net.vector)
    with pytest.raises(InputError, match="batch_stats besides params"):
        from_flax({**tree, "batch_stats": {"BatchNorm_0": {"mean": np.zeros(3)}}}, verify=False)


@pytest.mark.parametrize("mutate, msg", [
    (lambda p: p.update(Dense_2={"kernel": np.ones((1, 1)), "bias": np.ones(1)}), "3 layer(s)"),
    (lambda p: p["Dense_0"].update(kernel=np.ones((2, 4))), "has 2 inputs"),
    (lambda p: p["Dense_1"].update(kernel=np.ones((4, 2)), bias=np.ones(2)), "has 2 outputs"),
    (lambda p: p["Dense_0"].update(scale=np.ones(4)), "unexpected entries scale"),
])
def test_from_flax_rejects_other_architectures(mutate, msg):
    tree, _ = _flax_tree(4)
    mutate(tree["params"])
    with pytest.raises(InputError) as err:
        from_flax(tree, verify=False)
    assert msg in str(err.value)


# ------------------------------------------------------------------ optional frameworks
def test_importing_symspline_imports_no_framework():
    code = ("import sys, symspline; symspline.from_arrays([1.0], [0.0], [1.0], 0.0); "
            "print(sorted(m for m in ('torch', 'jax', 'flax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert symspline.from_torch is from_torch


def test_real_torch_model_round_trip_and_rejection():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(1, 5), torch.nn.ReLU(), torch.nn.Linear(5, 1))
    net = from_torch(model)  # parameters require grad: the importer must detach them
    xt = torch.tensor(X, dtype=torch.float64)[:, None]
    ref = model.double()(xt).detach().numpy()[:, 0]
    np.testing.assert_allclose(net(X), ref, rtol=1e-12, atol=1e-12)
    from symspline.interop import to_torch

    assert np.array_equal(from_torch(to_torch(net)).vector, net.vector)
    with warnings.catch_warnings():  # torch.jit.script is deprecated but still used in the wild
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = torch.jit.script(model)  # TorchScript renames every module class
    assert np.array_equal(from_torch(scripted).vector, from_torch(model).vector)
    bad = torch.nn.Sequential(torch.nn.Linear(1, 5), torch.nn.GELU(), torch.nn.Linear(5, 1))
    with pytest.raises(InputError, match="GELU"):
        from_torch(bad)


def test_real_jax_arrays():
    jnp = pytest.importorskip("jax.numpy")
    net = from_arrays(jnp.array([[1.0], [-2.0]]), jnp.array([0.5, 1.0]), jnp.array([[1.0, 3.0]]),
                      jnp.array([0.25]))
    # f(1) = 1*[1 + 0.5]_+ + 3*[-2 + 1]_+ + 0.25 = 1.75
    assert net(1.0) == pytest.approx(1.75, abs=1e-7)


# ------------------------------------------------------------------ verified imports
def _true_max_difference(net: Network, model_out: object, x: np.ndarray) -> float:
    return float(np.max(np.abs(net(x) - np.asarray(model_out, dtype=float).reshape(-1))))


def test_probe_points_see_every_piece_and_both_sides_of_every_breakpoint():
    from symspline.interop import probe_points

    rng = np.random.default_rng(11)
    for _ in range(50):
        H = int(rng.integers(1, 12))
        w = rng.normal(size=H) * rng.choice([1e-3, 1.0, 1e3], size=H)
        w[rng.random(H) < 0.1] = 0.0  # constant units add no breakpoint
        b = rng.normal(size=H) * 10.0
        b[: H // 3] = b[0]  # some repeated biases, so some repeated breakpoints
        net = Network(w, b, rng.normal(size=H), 0.0)
        x = probe_points(net)
        assert np.all(np.diff(x) > 0) and np.all(np.isfinite(x))
        beta = np.unique(-b[w != 0] / w[w != 0])
        if beta.size == 0:
            continue
        edges = np.concatenate([[-np.inf], beta, [np.inf]])
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):  # every open piece is probed
            assert np.any((x > lo) & (x < hi)), (lo, hi)
        assert x[0] < beta[0] and x[-1] > beta[-1]  # beyond the extreme breakpoints


def test_tanh_forward_behind_linear_layers_is_refused_with_the_largest_difference():
    model = TwoLayers(8, np.tanh, seed=3)  # class names: Linear, Linear -- all look fine
    with pytest.raises(InputError) as err:
        from_torch(model)
    msg = str(err.value)
    assert "\n" not in msg and "differs from the imported network by" in msg
    # The difference and the place named are the largest over the probe points.
    from symspline.interop import probe_points

    net = from_torch(model, verify=False)
    x = probe_points(net)
    diffs = np.abs(net(x) - model(x[:, None]).astype(float)[:, 0])
    k = int(np.argmax(diffs))
    assert f"by {diffs[k]:.3g} at x = {x[k]:.6g}" in msg
    assert diffs[k] > 1e-2  # a real difference, far above float32 rounding


def test_relu_forward_in_a_custom_module_is_accepted_and_verify_false_skips():
    net = from_torch(TwoLayers(6, lambda z: np.maximum(z, 0), seed=4))
    assert net.H == 6
    calls = []

    class Counting(TwoLayers):
        def __call__(self, x):
            calls.append(x.shape)
            return super().__call__(x)

    from_torch(Counting(6, np.tanh, seed=4), verify=False)
    assert calls == []  # the model was never run
    from_torch(Counting(6, lambda z: np.maximum(z, 0), seed=4))
    assert len(calls) == 1 and calls[0][1] == 1  # probe points as a column (n, 1)


def test_state_dict_and_flax_tree_alone_need_the_explicit_opt_out():
    with pytest.raises(InputError, match="state dict alone cannot be verified.*verify=False"):
        from_torch(_sequential(3).state_dict())
    tree, _ = _flax_tree(3)
    with pytest.raises(InputError, match="params tree alone cannot be verified.*verify=False"):
        from_flax(tree)


def test_flax_apply_with_another_activation_is_refused():
    tree, _ = _flax_tree(5, seed=2)
    with pytest.raises(InputError, match="the Flax model differs from the imported network"):
        from_flax(tree, _flax_apply(np.tanh))
    with pytest.raises(InputError, match="the Flax model differs"):  # leaky ReLU: small, caught
        from_flax(tree, _flax_apply(lambda z: np.where(z > 0, z, 0.01 * z)))


def test_from_arrays_with_a_model_is_verified():
    rng = np.random.default_rng(8)
    w, b, v = rng.normal(size=(3, 7))
    good = lambda x: np.maximum(x @ w[None, :] + b, 0) @ v + 0.5  # noqa: E731
    net = from_arrays(w, b, v, 0.5, model=good)
    assert np.max(np.abs(net(X) - good(X[:, None]))) < 1e-12
    shifted = lambda x: good(x) + 1e-6  # noqa: E731 - a constant offset a float64 check sees
    with pytest.raises(InputError, match=r"differs from the imported network by 1e-06"):
        from_arrays(w, b, v, 0.5, model=shifted)
    assert from_arrays(w, b, v, 0.5, model=shifted, verify=False).H == 7
    with pytest.raises(InputError, match="returned 1 outputs"):
        from_arrays(w, b, v, 0.5, model=lambda x: np.zeros(1))
    with pytest.raises(InputError, match="could not run the model.*ZeroDivisionError"):
        from_arrays(w, b, v, 0.5, model=lambda x: 1 / 0)
    with pytest.raises(InputError, match="has non-finite entries"):
        from_arrays(w, b, v, 0.5, model=lambda x: np.full(len(x), np.nan))


def test_the_checker_can_fail_a_misread_unit_seen_on_one_side_of_its_breakpoint_only():
    # The model is the network with unit 2's output weight off by 1e-3: the two differ only
    # right of beta_2 = 0 (w_2 > 0), and by 1e-3 |w_2 x + b_2| there.
    w, b, v = np.array([1.0, 1.0, 1.0]), np.array([3.0, 0.0, -3.0]), np.array([1.0, -2.0, 1.0])
    assert from_arrays(w, b, v, 0.0).H == 3  # the arrays alone need no model
    v2 = v + np.array([0.0, 1e-3, 0.0])
    model = lambda x: np.maximum(x @ w[None, :] + b, 0) @ v2  # noqa: E731
    with pytest.raises(InputError, match="differs") as err:
        from_arrays(w, b, v, 0.0, model=model)
    where = float(str(err.value).split("at x = ")[1].split(" ")[0])
    assert where > 0  # named on the side where they differ


# ------------------------------------------------------------------ real torch (skips only
# when torch is not installed: the default test run has no torch)
def test_real_torch_custom_module_with_tanh_forward_is_refused():
    torch = pytest.importorskip("torch")

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc2 = torch.nn.Linear(1, 8), torch.nn.Linear(8, 1)

        def forward(self, x):
            return self.fc2(torch.tanh(self.fc1(x)))

    torch.manual_seed(0)
    bad = Net()
    with pytest.raises(InputError) as err:
        from_torch(bad)
    assert "differs from the imported network by" in str(err.value)
    assert bad.fc1.weight.dtype == torch.float32  # the check ran on a float64 copy
    with pytest.raises(InputError, match="state dict alone"):
        from_torch(bad.state_dict())
    net = from_torch(bad.state_dict(), verify=False)
    xt = torch.tensor(X, dtype=torch.float64)[:, None]
    relu_ref = Net().double()
    relu_ref.load_state_dict(bad.double().state_dict())
    relu_ref.forward = lambda x: relu_ref.fc2(torch.relu(relu_ref.fc1(x)))
    np.testing.assert_allclose(net(X), relu_ref(xt).detach().numpy()[:, 0], rtol=1e-12,
                               atol=1e-12)


# ------------------------------------------------------------------ the leaky ReLU in and out
class LeakyReLU(ReLU):
    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = negative_slope

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, self.negative_slope * x)


class PReLU(LeakyReLU):  # a learned slope: not the fixed leaky ReLU symspline reads
    pass


def _leaky_reference(W1, b1, W2, b2, alpha, x):
    """W2 leaky(W1 x + b1) + b2 with leaky(z) = z for z > 0 and alpha z otherwise."""
    z = x[:, None] @ W1.T + b1
    return (np.where(z > 0, z, alpha * z) @ W2.T + b2)[:, 0]


def test_from_torch_reads_a_leaky_relu_module_and_verifies_it():
    rng = np.random.default_rng(21)
    model = Sequential(Linear(1, 5, rng), LeakyReLU(0.2), Linear(5, 1, rng))
    net = from_torch(model)
    assert net.negative_slope == 0.2 and net.kind == "float"
    W1, b1 = model.mods[0].weight._a.astype(float), model.mods[0].bias._a.astype(float)
    W2, b2 = model.mods[2].weight._a.astype(float), model.mods[2].bias._a.astype(float)
    np.testing.assert_allclose(net(X), _leaky_reference(W1, b1, W2, b2, 0.2, X), rtol=1e-13,
                               atol=1e-13)
    # the slope changes f: the same weights with the ReLU differ (the reference can fail)
    relu = from_torch(model.state_dict(), verify=False)
    assert relu.negative_slope == 0 and np.max(np.abs(relu(X) - net(X))) > 1e-3
    assert from_torch(model.state_dict(), negative_slope=0.2, verify=False).negative_slope == 0.2


@pytest.mark.parametrize("build, msg", [
    (lambda r: Sequential(Linear(1, 4, r), LeakyReLU(1.5), Linear(4, 1, r)), "in [0, 1)"),
    (lambda r: Sequential(Linear(1, 4, r), LeakyReLU(-0.1), Linear(4, 1, r)), "in [0, 1)"),
    (lambda r: Sequential(Linear(1, 4, r), PReLU(0.25), Linear(4, 1, r)), "contains a PReLU"),
    (lambda r: Sequential(Linear(1, 4, r), Linear(4, 1, r), LeakyReLU()),
     "Linear -> Linear -> LeakyReLU"),
])
def test_leaky_architectures_symspline_does_not_read_are_refused(build, msg):
    with pytest.raises(InputError) as err:
        from_torch(build(np.random.default_rng(0)))
    assert msg in str(err.value) and "\n" not in str(err.value)


def test_a_slope_contradicting_the_module_is_refused():
    rng = np.random.default_rng(2)
    with pytest.raises(InputError, match="negative_slope=0.1 contradicts the model's "
                                         r"LeakyReLU\(0.2\)"):
        from_torch(Sequential(Linear(1, 3, rng), LeakyReLU(0.2), Linear(3, 1, rng)),
                   negative_slope=0.1)
    with pytest.raises(InputError, match="contradicts the model's ReLU"):
        from_torch(_sequential(3), negative_slope=0.1)
    for bad in (1.0, -0.5, "0.1", [0.1, 0.2], np.nan, True):
        with pytest.raises(InputError, match="negative_slope"):
            from_torch(_sequential(3), negative_slope=bad)


def test_a_functional_leaky_relu_needs_its_slope_and_the_refusal_names_it():
    leaky = TwoLayers(6, LeakyReLU(0.05), seed=9)  # F.leaky_relu in forward: not inspectable
    with pytest.raises(InputError) as err:
        from_torch(leaky)
    msg = str(err.value)
    assert "differs from the imported network" in msg and "\n" not in msg
    assert "its outputs fit the leaky ReLU with negative_slope=0.05" in msg
    net = from_torch(leaky, negative_slope=0.05)
    assert net.negative_slope == 0.05
    # a wrong slope is caught by the forward pass and the right one named
    with pytest.raises(InputError, match="Linear\\(1,H\\) -> LeakyReLU\\(0.1\\).*negative_slope=0.05"):
        from_torch(leaky, negative_slope=0.1)
    # a ReLU model read with a slope: the hint names the ReLU
    with pytest.raises(InputError, match="fit the ReLU, negative_slope=0"):
        from_torch(TwoLayers(6, lambda z: np.maximum(z, 0), seed=9), negative_slope=0.3)
    # tanh fits no leaky ReLU: no hint
    with pytest.raises(InputError) as err:
        from_torch(TwoLayers(6, np.tanh, seed=9), negative_slope=0.3)
    assert "fit" not in str(err.value)


def test_arrays_and_flax_carry_the_slope():
    rng = np.random.default_rng(5)
    w, b, v = rng.normal(size=(3, 4))
    net = from_arrays(w, b, v, 0.5, negative_slope=0.3)
    arrays = to_arrays(net)
    assert arrays["negative_slope"] == 0.3
    assert np.array_equal(from_arrays(**arrays).vector, net.vector)
    assert from_arrays(**arrays).negative_slope == 0.3
    tree, _ = _flax_tree(4, seed=6)
    leaky = lambda z: np.where(z > 0, z, 0.01 * z)  # noqa: E731 - jax.nn.leaky_relu's default
    got = from_flax(tree, _flax_apply(leaky), negative_slope=0.01)
    assert got.negative_slope == 0.01
    with pytest.raises(InputError, match="negative_slope=0.01"):
        from_flax(tree, _flax_apply(leaky))  # read as the ReLU: refused, the slope named
    with pytest.raises(InputError, match="the network is leaky"):
        to_flax(got)  # a params tree has no place for the slope: not lost silently
    back = to_flax(got, weights_only=True)
    assert np.array_equal(from_flax(back, _flax_apply(leaky), negative_slope=0.01).vector,
                          got.vector)


def test_real_torch_leaky_round_trip_scripted_and_functional():
    torch = pytest.importorskip("torch")
    from symspline.interop import to_torch

    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(1, 6), torch.nn.LeakyReLU(0.125),
                                torch.nn.Linear(6, 1))
    net = from_torch(model)
    assert net.negative_slope == 0.125
    xt = torch.tensor(X, dtype=torch.float64)[:, None]
    ref = model.double()(xt).detach().numpy()[:, 0]
    np.testing.assert_allclose(net(X), ref, rtol=1e-12, atol=1e-12)
    out = to_torch(net)
    assert isinstance(out[1], torch.nn.LeakyReLU) and out[1].negative_slope == 0.125
    again = from_torch(out)
    assert np.array_equal(again.vector, net.vector) and again.negative_slope == 0.125
    assert isinstance(to_torch(Network([1.0], [0.0], [1.0], 0.0))[1], torch.nn.ReLU)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = torch.jit.script(model)
    assert from_torch(scripted).negative_slope == 0.125

    class Functional(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc2 = torch.nn.Linear(1, 5), torch.nn.Linear(5, 1)

        def forward(self, x):
            return self.fc2(torch.nn.functional.leaky_relu(self.fc1(x), 0.02))

    fmodel = Functional()
    with pytest.raises(InputError, match="negative_slope=0.02"):
        from_torch(fmodel)
    assert from_torch(fmodel, negative_slope=0.02).negative_slope == 0.02
    with pytest.raises(InputError, match="PReLU"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(1, 3), torch.nn.PReLU(),
                                       torch.nn.Linear(3, 1)))


def test_a_spline_is_exported_as_its_balanced_network_with_its_slope():
    from symspline import Spline

    spl = Spline([0.5, -1.0, 2.0], [1.0, -2.0, 0.5], (1, -1, 1), 0.3, negative_slope=0.1)
    arrays = to_arrays(spl)
    assert arrays["negative_slope"] == 0.1
    net = from_arrays(**arrays)
    # the same function (written independently: c + sum mu_i leaky(s_i (x - beta_i))) ...
    z = np.array([1, -1, 1]) * (X[:, None] - np.array([0.5, -1.0, 2.0]))
    ref = 0.3 + np.where(z > 0, z, 0.1 * z) @ np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(net(X), ref, rtol=1e-13, atol=1e-13)
    # ... at the balanced representative v^2 = w^2 + b^2
    np.testing.assert_allclose(net.v ** 2, net.w ** 2 + net.b ** 2, rtol=1e-13)
    with pytest.raises(InputError, match="expected a Network or a Spline"):
        to_arrays(3)
    with pytest.raises(InputError, match="no float values"):
        to_arrays(Network.symbols(2))
