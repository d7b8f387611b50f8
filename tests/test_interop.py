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


class ReLU:
    def children(self) -> list:
        return []


class Tanh(ReLU):
    pass


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
    # The same parameters read from the state dict alone give the same network.
    again = from_torch(model.state_dict())
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
    net = from_torch(model)
    assert np.all(net.b == 0.0) and net.c == 0.0


def test_from_torch_custom_module_state_dict_prefixes():
    model = _sequential(2, seed=3)
    sd = {f"body.{k}": v for k, v in model.state_dict().items()}
    assert np.array_equal(from_torch(sd).vector, from_torch(model).vector)


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
        from_torch(sd)
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


def test_from_flax_matches_dense_forward_pass():
    tree, (k0, b0, k1, b1) = _flax_tree(4)
    net = from_flax(tree)
    ref = (np.maximum(X[:, None] @ k0 + b0, 0) @ k1 + b1)[:, 0]  # flax: x @ kernel + bias
    np.testing.assert_allclose(net(X), ref, rtol=1e-13, atol=1e-13)
    assert np.array_equal(from_flax(tree["params"]).vector, net.vector)


def test_from_flax_read_only_mappings_haiku_and_resorted_keys():
    tree, (k0, b0, k1, b1) = _flax_tree(3, seed=4)
    ref = from_flax(tree)
    frozen = types.MappingProxyType({k: types.MappingProxyType(v)
                                     for k, v in tree["params"].items()})
    assert np.array_equal(from_flax(frozen).vector, ref.vector)
    haiku = {"linear": {"w": k0, "b": b0}, "linear_1": {"w": k1, "b": b1}}
    assert np.array_equal(from_flax(haiku).vector, ref.vector)
    # Names that sort the output layer first: the (H, 1) kernel is recognised as the second layer.
    odd = {"a_out": {"kernel": k1, "bias": b1}, "b_hidden": {"kernel": k0, "bias": b0}}
    assert np.array_equal(from_flax(odd).vector, ref.vector)


def test_to_flax_round_trip_and_other_collections_refused():
    tree, _ = _flax_tree(3, seed=7)
    net = from_flax(tree)
    back = to_flax(net)
    assert back["params"]["Dense_0"]["kernel"].shape == (1, 3)
    assert back["params"]["Dense_1"]["kernel"].shape == (3, 1)
    assert np.array_equal(from_flax(back).vector, net.vector)
    with pytest.raises(InputError, match="batch_stats besides params"):
        from_flax({**tree, "batch_stats": {"BatchNorm_0": {"mean": np.zeros(3)}}})


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
        from_flax(tree)
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
