"""Read networks trained elsewhere (PyTorch, JAX/Flax/Haiku, NumPy) as float64 ``Network`` objects.

The only architecture symspline describes is f(x) = sum_i v_i sigma(w_i x + b_i) + c, i.e.
``Linear(1, H) -> ReLU -> Linear(H, 1)``, or with ``nn.LeakyReLU(negative_slope)`` the leaky ReLU
sigma(z) = max(z, alpha z) = alpha z + (1 - alpha)[z]_+ with alpha = ``negative_slope`` in [0, 1)
(the network's ``negative_slope``). The slope travels both ways: :func:`from_torch` reads it from
the ``LeakyReLU`` module, :func:`to_torch` writes ``nn.LeakyReLU(alpha)``, :func:`to_arrays`
returns it beside the weights, and where a framework keeps the activation in code only (a
``forward`` calling ``F.leaky_relu``, a Flax ``apply`` calling ``nn.leaky_relu``) it is given as
``negative_slope=`` and verified against the forward pass; a mismatch is refused with the slope
the model's outputs fit, when some slope in [0, 1) fits them. Framework objects are read by duck
typing (``state_dict()``, ``detach()``, ``numpy()``, ``__array__``), so importing symspline never
imports torch or jax; only :func:`to_torch` imports torch, when it is called.

Every import that comes with a model (a torch module, a Flax ``apply`` function, a callable
given to :func:`from_arrays`) is *verified*: the imported network's forward pass is compared in
float64 with the model's on probe points on both sides of every breakpoint and beyond the
extreme ones (:func:`probe_points`), and a mismatch is refused in one line naming the largest
difference and where it occurs (a model whose ``forward`` applies tanh between its two Linear
layers is caught this way; its class names alone look fine). Weights without a model (a torch
state dict, a Flax params tree without ``apply_fn``) cannot be verified and need the explicit
``verify=False``; :func:`from_arrays` without a model needs nothing, since the four arrays
*define* the network.

Layouts: a PyTorch ``Linear(in, out)`` stores ``weight`` as (out, in) and ``bias`` as (out,); a Flax
``Dense`` stores ``kernel`` as (in, out). So for width H the first layer's weight is (H, 1) in torch
and (1, H) in Flax, the second layer's (1, H) and (H, 1) respectively.
"""

from __future__ import annotations

import copy
import re
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .errors import InputError
from .params import Network, Spline

#: Module class names allowed inside an imported model, in the only order accepted for a Sequential
#: (a LeakyReLU takes the place of the ReLU).
_SEQUENCE = ("Linear", "ReLU", "Linear")
_ACTIVATIONS = ("ReLU", "LeakyReLU")
_WEIGHT_KEYS = ("kernel", "w")  # (in, out) layout: Flax, Haiku
_TORCH_WEIGHT_KEYS = ("weight",)  # (out, in) layout: PyTorch
_BIAS_KEYS = ("bias", "b")


# ------------------------------------------------------------------ arrays
def _as_array(value: object, name: str) -> np.ndarray:
    """A float64 copy of a NumPy/JAX/torch array or a nested list, without importing any framework."""
    obj: Any = value
    # torch: detach from autograd, move to host, widen (bfloat16 has no NumPy dtype) before .numpy().
    if hasattr(obj, "detach") and callable(obj.detach):
        obj = obj.detach()
    if hasattr(obj, "cpu") and callable(obj.cpu) and hasattr(obj, "numpy"):
        obj = obj.cpu()
    if hasattr(obj, "double") and callable(obj.double) and hasattr(obj, "numpy"):
        obj = obj.double()
    if hasattr(obj, "numpy") and callable(obj.numpy) and not isinstance(obj, np.ndarray):
        obj = obj.numpy()
    try:
        arr = np.array(obj, dtype=np.float64)  # jax arrays and others go through __array__
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} is not a numeric array ({type(value).__name__})") from exc
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} has non-finite entries")
    return arr


def _unit_vector(arr: np.ndarray, name: str, H: int | None = None) -> np.ndarray:
    """Flatten (H,), (H, 1) or (1, H) to (H,); anything else is a different architecture."""
    if arr.ndim == 1 or (arr.ndim == 2 and 1 in arr.shape):
        out = arr.reshape(-1)
    else:
        raise InputError(f"{name} has shape {arr.shape}; expected (H,), (H, 1) or (1, H) for a "
                         "network with one input and one output")
    if H is not None and out.shape[0] != H:
        raise InputError(f"{name} has {out.shape[0]} entries but the hidden width is {H}")
    return out


def _slope(alpha: object, source: str) -> float:
    """The leaky-ReLU slope alpha as a float in [0, 1), or a one-line InputError."""
    bad = InputError(f"{source}: negative_slope must be one number in [0, 1), got "
                     f"{_one_line(repr(alpha))[:40]}")
    if isinstance(alpha, bool) or isinstance(alpha, str | bytes) or alpha is None:
        raise bad
    try:
        arr = _as_array(alpha, "negative_slope")
    except InputError:
        raise bad from None
    if arr.size != 1:
        raise bad
    value = float(arr.reshape(-1)[0])
    if not 0.0 <= value < 1.0:
        raise InputError(f"{source}: negative_slope must be in [0, 1) (0 is the ReLU), got "
                         f"{value:g}; symspline reads the leaky ReLU max(z, alpha z) for "
                         "0 <= alpha < 1 only")
    return value


def _one_line(text: str) -> str:
    return " ".join(text.split())


def from_arrays(w: object, b: object, v: object, c: object = 0.0, *,
                negative_slope: object = 0.0,
                model: Callable[[np.ndarray], object] | None = None,
                verify: bool = True) -> Network:
    """The float64 network f(x) = sum_i v_i sigma(w_i x + b_i) + c from four arrays.

    sigma is the ReLU, or the leaky ReLU max(z, alpha z) with alpha = ``negative_slope``.

    Parameters
    ----------
    w, b, v : array_like
        Input weights, hidden biases and output weights, each of shape (H,), (H, 1) or (1, H);
        NumPy, JAX, PyTorch arrays (any float dtype, on any device) or lists.
    c : array_like
        Output bias: a scalar or an array of shape (1,) or (1, 1).
    negative_slope : float
        alpha in [0, 1) of the leaky ReLU (torch's ``nn.LeakyReLU(negative_slope)``, JAX's
        ``nn.leaky_relu(x, negative_slope)``); 0 (default) is the ReLU.
    model : callable, optional
        The model the arrays were taken from: called with a float64 array of shape (n, 1) of
        probe points, it returns n outputs (any array-like). The import is then verified
        against it (see :func:`verify_forward`).
    verify : bool
        ``False`` skips the comparison with ``model``.

    Raises
    ------
    InputError
        If a shape does not fit a width-H network with one input and one output, a value is
        not finite, ``negative_slope`` is outside [0, 1), or the network differs from ``model``.
    """
    alpha = _slope(negative_slope, "from_arrays")
    wa = _unit_vector(_as_array(w, "w"), "w")
    H = wa.shape[0]
    ba = _unit_vector(_as_array(b, "b"), "b", H)
    va = _unit_vector(_as_array(v, "v"), "v", H)
    ca = _as_array(c, "c")
    if ca.size != 1:
        raise InputError(f"c has shape {ca.shape}; the network must have exactly one output")
    if H == 0:
        raise InputError("w is empty: a network needs at least one hidden unit")
    net = Network(wa, ba, va, float(ca.reshape(-1)[0]), negative_slope=alpha)
    if model is not None and verify:
        if not callable(model):
            raise InputError(f"model must be callable, got {type(model).__name__}")
        verify_forward(net, model, "the model")
    return net


# ------------------------------------------------------------------ verification
def probe_points(net: Network) -> np.ndarray:
    """Sorted float64 points that see every linear piece of ``net``.

    Both sides of every breakpoint beta_i = -b_i/w_i (at a distance of a quarter of the gap to
    the neighbouring breakpoints, at most 1e-3 of the scale), the midpoints between neighbours,
    and two points beyond the extreme breakpoints; units with w_i = 0 are constant and add none.
    """
    f = net.as_float()
    w, b = np.asarray(f.w, dtype=np.float64), np.asarray(f.b, dtype=np.float64)
    beta = np.unique(-b[w != 0] / w[w != 0])
    beta = beta[np.isfinite(beta)]
    if beta.size == 0:
        return np.array([-1.0, 0.0, 1.0])
    scale = max(1.0, float(np.max(np.abs(beta))))
    span = float(beta[-1] - beta[0])
    gaps = np.diff(beta)
    left = np.concatenate([[np.inf], gaps])
    right = np.concatenate([gaps, [np.inf]])
    delta = np.minimum(np.minimum(left, right) / 4.0, 1e-3 * scale)
    pts = [beta - delta, beta + delta, beta[:-1] + gaps / 2.0,
           [beta[0] - 1.0 - span, beta[-1] + 1.0 + span, 0.0]]
    return np.unique(np.concatenate([np.asarray(p, dtype=np.float64) for p in pts]))


def verify_forward(net: Network, forward: Callable[[np.ndarray], object], source: str) -> None:
    """Compare ``net`` with a model's forward pass on :func:`probe_points`; refuse a mismatch.

    ``forward`` receives float64 arrays of shape (n, 1) (in chunks) and returns n outputs.
    The probes see every linear piece of ``net``, so a wrong activation, a misread weight or
    bias, or swapped layers are caught; a model that bends only between probe points (kinks
    the imported network does not have, confined to one piece) is not. The tolerance
    is rounding-level: 16 (H + 2) eps max_x sum_i |v_i| |w_i x + b_i| + |c|, with eps that of the
    output's dtype (float64, or float32 for a model that computes in float32), so a float64
    model agrees far inside it and a different activation is far outside.

    Raises
    ------
    InputError
        ``"<source> differs from the imported network by 0.296 at x = 1.5 ..."``, or when the
        model cannot be run on the probe points or returns the wrong number of outputs.
    """
    x = probe_points(net)
    f = net.as_float()
    w, b, v = (np.asarray(a, dtype=np.float64) for a in (f.w, f.b, f.v))
    # Chunks of points keep every (points x H) array near 2^22 entries, also inside the model.
    step = max(1, (1 << 22) // max(w.shape[0], 1))
    outs, dtype = [], None
    for lo in range(0, x.shape[0], step):
        xc = x[lo:lo + step]
        try:
            raw = forward(xc.reshape(-1, 1))
        except Exception as exc:  # any framework error: the model cannot be checked this way
            msg = " ".join(str(exc).split())[:160]
            raise InputError(f"could not run {source} on probe points to verify the import "
                             f"({type(exc).__name__}: {msg}); pass verify=False to import the "
                             "weights unchecked") from None
        dtype = getattr(raw, "dtype", dtype)
        out = _as_array(raw, f"the output of {source}").reshape(-1)
        if out.shape[0] != xc.shape[0]:
            raise InputError(f"{source} returned {out.shape[0]} outputs for {xc.shape[0]} probe "
                             "points; symspline reads one output per input")
        outs.append(out)
    out = np.concatenate(outs)
    mine = np.concatenate([f(x[lo:lo + step]) for lo in range(0, x.shape[0], step)])
    terms = max(float(np.max(np.abs(np.outer(x[lo:lo + step], w) + b) @ np.abs(v)))
                for lo in range(0, x.shape[0], step)) + abs(float(f.c))
    tol = 16.0 * (w.shape[0] + 2) * _eps_of(dtype) * terms
    diff = np.abs(np.asarray(mine, dtype=np.float64) - out)
    k = int(np.argmax(diff))
    if not diff[k] <= tol:  # also catches NaN
        act = "ReLU" if f.negative_slope == 0 else f"LeakyReLU({f.negative_slope:g})"
        raise InputError(f"{source} differs from the imported network by {diff[k]:.3g} at "
                         f"x = {x[k]:.6g} (model {out[k]:.6g}, imported {mine[k]:.6g}; "
                         f"tolerance {tol:.2g}): it is not Linear(1,H) -> {act} -> Linear(H,1) "
                         f"as read{_slope_hint(f, x, out, tol)}; pass verify=False to import "
                         "the weights anyway")


def _slope_hint(net: Network, x: np.ndarray, out: np.ndarray, tol: float) -> str:
    """``" (its outputs fit the leaky ReLU with negative_slope=0.01)"`` when one explains them.

    The network with slope alpha is f_0 + alpha g, g(x) = sum_i v_i min(w_i x + b_i, 0), affine in
    alpha; the answer is the shortest decimal in [0, 1) near the least-squares alpha with which
    the network agrees with every output within the verification tolerance ``tol``, if any.
    """
    w, b, v = (np.asarray(a, dtype=np.float64) for a in (net.w, net.b, net.v))
    if x.shape[0] * w.shape[0] > (1 << 24):
        return ""
    z = np.outer(x, w) + b
    g = np.minimum(z, 0.0) @ v
    f0 = np.maximum(z, 0.0) @ v + float(net.c)
    gg = float(g @ g)
    if not gg > 0:
        return ""
    alpha = float(g @ (out - f0)) / gg
    if not np.isfinite(alpha):
        return ""
    # the shortest decimal that explains the outputs (a float32 model's 0.05 fits as 0.0499999;
    # a ReLU model's slope as -1e-9, i.e. 0)
    for a in [0.0] + [float(f"{alpha:.{k}g}") for k in range(1, 18)] + [alpha]:
        if 0.0 <= a < 1.0 and np.max(np.abs(f0 + a * g - out)) <= tol:
            if a == net.negative_slope:
                return ""
            return (f" (its outputs fit the leaky ReLU with negative_slope={a!r})" if a else
                    " (its outputs fit the ReLU, negative_slope=0)")
    return ""


def _eps_of(dtype: object) -> float:
    # The output's dtype tells the precision the model computed in (torch, JAX and NumPy
    # dtypes all print their names).
    name = str(dtype)
    for key, eps in (("bfloat16", 2.0**-7), ("float16", 2.0**-10), ("float32", 2.0**-23)):
        if key in name:
            return eps
    return 2.0**-52


def _torch_forward(module: Any) -> Callable[[np.ndarray], object]:
    """The module's forward pass on NumPy probe points, in float64 when the module allows."""
    torch = sys.modules.get("torch")  # never imported here: a torch module means torch is loaded
    if torch is None or not isinstance(module, torch.nn.Module):
        return module  # duck-typed modules take NumPy arrays

    try:  # a float64 copy on the CPU, so the comparison is at float64 rounding
        with warnings.catch_warnings():  # torch's notes on .grad of copied parameters
            warnings.simplefilter("ignore", UserWarning)
            model, dtype = copy.deepcopy(module).double().cpu(), torch.float64
    except Exception:  # noqa: BLE001 - e.g. a module that cannot be copied: its own dtype
        model = module
        dtype = next(iter(module.parameters())).dtype

    def forward(x: np.ndarray) -> object:
        with torch.no_grad():
            return model(torch.from_numpy(x.copy()).to(dtype)).cpu()
    return forward


def to_arrays(net: Network | Spline) -> dict[str, np.ndarray]:
    """``{"w", "b", "v", "c", "negative_slope"}`` as float64 arrays of shapes (H,), (H,), (H,),
    (), () (the inverse of from_arrays: ``from_arrays(**to_arrays(net))`` is ``net``).

    A :class:`Spline` is exported as its balanced network (v_i^2 = w_i^2 + b_i^2,
    ``Spline.balanced()``), the representative of its scale orbit with the smallest
    ||theta||^2; the function, and the slope, are the same.

    Raises
    ------
    InputError
        For anything but a Network or a Spline, or symbolic parameters.
    """
    if isinstance(net, Spline):
        net = net.balanced()
    if not isinstance(net, Network):
        raise InputError(f"expected a Network or a Spline, got {type(net).__name__}")
    f = net.as_float()
    return {"w": f.w.copy(), "b": f.b.copy(), "v": f.v.copy(), "c": np.float64(f.c),
            "negative_slope": np.float64(f.negative_slope)}


# ------------------------------------------------------------------ layers
def _layers_from_mapping(params: Mapping, source: str) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    """(name, matrix in (in, out) layout, bias or None) per layer of a nested params dict."""
    layers = []
    for name, layer in params.items():
        if not isinstance(layer, Mapping) and not hasattr(layer, "items"):
            raise InputError(f"{source}: entry {name!r} is not a layer (a dict with a kernel and a "
                             "bias)")
        keys = set(layer.keys())
        wkey = next((k for k in (*_WEIGHT_KEYS, *_TORCH_WEIGHT_KEYS) if k in keys), None)
        if wkey is None:
            raise InputError(f"{source}: layer {name!r} has no kernel/weight (keys: "
                             f"{', '.join(sorted(map(str, keys)))})")
        bkey = next((k for k in _BIAS_KEYS if k in keys), None)
        extra = keys - {wkey, bkey}
        if extra:
            raise InputError(f"{source}: layer {name!r} has unexpected entries "
                             f"{', '.join(sorted(map(str, extra)))}; only a Dense/Linear layer is "
                             "supported")
        mat = _as_array(layer[wkey], f"{name}.{wkey}")
        if mat.ndim != 2:
            raise InputError(f"{source}: {name}.{wkey} has shape {mat.shape}; a dense layer's "
                             "weight is a matrix")
        if wkey in _TORCH_WEIGHT_KEYS:
            mat = mat.T
        bias = None if bkey is None else _as_array(layer[bkey], f"{name}.{bkey}").reshape(-1)
        layers.append((str(name), mat, bias))
    return layers


def _network_from_layers(layers: list[tuple[str, np.ndarray, np.ndarray | None]],
                         source: str, negative_slope: float = 0.0) -> Network:
    """Check two dense layers 1 -> H -> 1 (matrices in (in, out) layout) and build the network."""
    if len(layers) != 2:
        names = ", ".join(n for n, _, _ in layers) or "none"
        raise InputError(f"{source}: found {len(layers)} layer(s) ({names}); symspline reads "
                         "exactly two (Linear(1,H) -> ReLU -> Linear(H,1))")
    (n1, m1, b1), (n2, m2, b2) = layers
    if m1.shape[0] != 1:
        raise InputError(f"{source}: the first layer {n1!r} has {m1.shape[0]} inputs; symspline "
                         "needs exactly 1 (a univariate network)")
    H = m1.shape[1]
    if m2.shape[1] != 1:
        raise InputError(f"{source}: the last layer {n2!r} has {m2.shape[1]} outputs; symspline "
                         "needs exactly 1")
    if m2.shape[0] != H:
        raise InputError(f"{source}: the last layer {n2!r} takes {m2.shape[0]} inputs but the "
                         f"first layer has {H} outputs")
    for nm, bias, size in ((n1, b1, H), (n2, b2, 1)):
        if bias is not None and bias.shape[0] != size:
            raise InputError(f"{source}: bias of layer {nm!r} has {bias.shape[0]} entries, "
                             f"expected {size}")
    # A layer without bias (bias=False / use_bias=False) is the same network with zero bias.
    b = np.zeros(H) if b1 is None else b1
    c = 0.0 if b2 is None else float(b2[0])
    return from_arrays(m1[0], b, m2[:, 0], c, negative_slope=negative_slope)


def _natural_key(name: str) -> tuple:
    # "Dense_10" after "Dense_2": compare digit runs as numbers.
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def from_flax(params: Mapping, apply_fn: Callable[..., object] | None = None, *,
              negative_slope: object = 0.0, verify: bool = True) -> Network:
    """The network of a Flax/Haiku params tree ``Dense(H) -> relu -> Dense(1)`` with one input.

    A params tree holds no activation: for ``nn.leaky_relu(x, negative_slope=alpha)`` between
    the layers pass ``negative_slope=alpha`` (JAX's default slope is 0.01, not 0); the forward
    pass of ``apply_fn`` is then verified against the leaky network.

    With ``apply_fn`` (e.g. ``model.apply``, called as ``apply_fn(params, x)`` with x of shape
    (n, 1)) the import is verified against the model's forward pass (:func:`verify_forward`).
    A params tree alone cannot be verified: pass ``verify=False`` to import it unchecked.

    Accepts ``{"params": {"Dense_0": {"kernel": (1, H), "bias": (H,)}, "Dense_1": {"kernel": (H, 1),
    "bias": (1,)}}}``, the inner dict alone, FrozenDicts, Haiku-style ``{"linear": {"w", "b"}, ...}``
    and plain nested dicts of NumPy/JAX arrays (a ``weight`` key is read in PyTorch's (out, in)
    layout). Layers are taken in natural name order (Dense_0 before Dense_1); when that order puts
    the (H, 1) layer first it is swapped, since pytree utilities may re-sort keys.

    Raises
    ------
    InputError
        For any other structure: not two layers, input or output size other than 1, unknown
        entries in a layer; when the network differs from ``apply_fn``; and without
        ``apply_fn`` unless ``verify=False``.
    """
    net = _from_flax_tree(params, _slope(negative_slope, "from_flax"))
    if verify:
        if apply_fn is None:
            raise InputError("a Flax params tree alone cannot be verified against its model: "
                             "pass apply_fn=model.apply, or verify=False to import the weights "
                             "unchecked")
        if not callable(apply_fn):
            raise InputError(f"apply_fn must be callable, got {type(apply_fn).__name__}")
        verify_forward(net, lambda x: apply_fn(params, x), "the Flax model")
    return net


def _from_flax_tree(params: Mapping, negative_slope: float = 0.0) -> Network:
    if not isinstance(params, Mapping) and not hasattr(params, "items"):
        raise InputError(f"flax params must be a dict, got {type(params).__name__}")
    tree = params
    if "params" in tree.keys():
        extra = sorted(str(k) for k in tree.keys() if k != "params")
        if extra:  # e.g. batch_stats: a normalisation layer, not this architecture
            raise InputError(f"flax variables hold {', '.join(extra)} besides params; symspline "
                             "reads only Dense(H) -> relu -> Dense(1)")
        tree = tree["params"]
    if set(tree.keys()) <= {"w", "b", "v", "c"} and {"w", "b", "v"} <= set(tree.keys()):
        return from_arrays(tree["w"], tree["b"], tree["v"], tree.get("c", 0.0),
                           negative_slope=negative_slope)
    ordered = {k: tree[k] for k in sorted(tree.keys(), key=lambda k: _natural_key(str(k)))}
    layers = _layers_from_mapping(ordered, "flax params")
    if len(layers) == 2:
        (_, m1, _), (_, m2, _) = layers
        if m1.shape[0] != 1 and m2.shape[0] == 1 and m1.shape[1] == 1:
            layers = layers[::-1]
    return _network_from_layers(layers, "flax params", negative_slope)


def to_flax(net: Network | Spline, *, weights_only: bool = False) -> dict:
    """``{"params": {"Dense_0": {"kernel": (1, H), "bias": (H,)}, "Dense_1": ...}}`` of NumPy arrays.

    The inverse of :func:`from_flax`; ``flax.linen`` accepts the plain dict as variables.
    A params tree has no place for the activation: for a leaky network (``negative_slope``
    alpha > 0) the export is refused unless ``weights_only=True`` says the model applies
    ``nn.leaky_relu(x, negative_slope=alpha)`` itself (read back with
    ``from_flax(tree, apply_fn, negative_slope=alpha)``).

    Raises
    ------
    InputError
        For a leaky network without ``weights_only=True``: the slope would be lost silently.
    """
    a = to_arrays(net)
    if float(a["negative_slope"]) != 0.0 and not weights_only:
        raise InputError(f"to_flax: the network is leaky (negative_slope = "
                         f"{float(a['negative_slope']):g}) and a Flax params tree "
                         "holds weights only; apply nn.leaky_relu(x, negative_slope) in the model "
                         "and pass weights_only=True (or use to_arrays, which keeps the slope)")
    H = a["w"].shape[0]
    return {"params": {"Dense_0": {"kernel": a["w"].reshape(1, H), "bias": a["b"]},
                       "Dense_1": {"kernel": a["v"].reshape(H, 1),
                                   "bias": np.array([a["c"]], dtype=np.float64)}}}


# ------------------------------------------------------------------ torch
def _children(module: Any) -> list[Any]:
    return list(module.children()) if hasattr(module, "children") else []


def _leaf_modules(module: Any) -> list[Any]:
    children = _children(module)
    if not children:
        return [module]
    return [leaf for child in children for leaf in _leaf_modules(child)]


def _module_name(module: Any) -> str:
    # TorchScript wraps every module in RecursiveScriptModule and keeps the class in original_name.
    return str(getattr(module, "original_name", None) or type(module).__name__)


def _check_torch_modules(module: Any) -> float | None:
    """Reject activations other than ReLU / LeakyReLU and extra layers, by the modules' class names.

    Every Sequential in the tree must run its layers in an order compatible with
    Linear -> ReLU -> Linear (a contiguous part of it; a LeakyReLU in the ReLU's place); other
    containers are trusted for order, since their ``forward`` cannot be inspected.

    Returns
    -------
    float or None
        The activation's slope alpha: 0 for a ``ReLU`` module, ``negative_slope`` of a
        ``LeakyReLU`` module; None when the tree holds no activation module (it is applied
        functionally in ``forward``, e.g. ``F.leaky_relu``, and cannot be read).
    """
    leaves = _leaf_modules(module)
    if leaves == [module]:
        return None  # a bare module with no sub-modules: only its state_dict can be checked
    names = [_module_name(m) for m in leaves]
    for nm in names:
        if nm not in ("Linear", *_ACTIVATIONS):
            raise InputError(f"torch model contains a {nm} module; symspline reads only "
                             "Linear(1,H) -> ReLU or LeakyReLU -> Linear(H,1)")
    if names.count("Linear") != 2:
        raise InputError(f"torch model has {names.count('Linear')} Linear layers; symspline reads "
                         "exactly two (Linear(1,H) -> ReLU -> Linear(H,1))")
    stack = [module]
    while stack:
        m = stack.pop()
        stack.extend(_children(m))
        if "Sequential" not in _module_name(m):
            continue
        shown = tuple(_module_name(leaf) for leaf in _leaf_modules(m))
        seq = tuple("ReLU" if nm in _ACTIVATIONS else nm for nm in shown)
        fits = any(_SEQUENCE[i:i + len(seq)] == seq for i in range(len(_SEQUENCE) - len(seq) + 1))
        if not fits:
            raise InputError(f"torch Sequential is {' -> '.join(shown)}; symspline reads "
                             "Linear -> ReLU (or LeakyReLU) -> Linear")
    slopes = []
    for leaf, nm in zip(leaves, names, strict=True):
        if nm == "ReLU":
            slopes.append(0.0)
        elif nm == "LeakyReLU":
            raw = getattr(leaf, "negative_slope", None)
            if raw is None:
                raise InputError("torch LeakyReLU module without a negative_slope attribute")
            slopes.append(_slope(raw, "torch LeakyReLU"))
    if len(set(slopes)) > 1:
        raise InputError("torch model holds activations with different slopes ("
                         + ", ".join(f"{a:g}" for a in slopes) + "); symspline reads one "
                         "activation between the two Linear layers")
    return slopes[0] if slopes else None


def from_torch(module_or_state_dict: object, *, negative_slope: object = None,
               verify: bool = True) -> Network:
    """The float64 network of a PyTorch ``Linear(1, H) -> ReLU -> Linear(H, 1)`` model.

    With ``nn.LeakyReLU(alpha)`` in place of the ReLU the network has ``negative_slope`` = alpha:
    f(x) = sum_i v_i max(z_i, alpha z_i) + c, z_i = w_i x + b_i.

    Parameters
    ----------
    module_or_state_dict
        An ``nn.Sequential(nn.Linear(1, H), nn.ReLU(), nn.Linear(H, 1))`` (or with
        ``nn.LeakyReLU(alpha)``), any module whose state dict holds exactly two Linear layers
        (the activation may be applied functionally in ``forward``, ``F.relu`` or
        ``F.leaky_relu``; that cannot be inspected), or such a state dict itself. Read by duck
        typing: torch is not imported.

    negative_slope : float, optional
        alpha of a leaky ReLU applied functionally (``F.leaky_relu(z, alpha)``) or of the model
        a state dict came from. None (default): the slope of the model's ``LeakyReLU`` module,
        0 for a ``ReLU`` module or when there is no activation module. A value that contradicts
        the model's activation module is refused; a functional slope is verified like the rest.

    verify : bool
        ``True`` (default): run the module on probe points around every breakpoint (float64)
        and refuse the import if its output differs from the network's (:func:`verify_forward`);
        this is what catches a ``forward`` that applies another activation functionally. A
        state dict has no forward pass, so it needs ``verify=False``.

    Returns
    -------
    Network
        w = W1[:, 0], b = b1, v = W2[0, :], c = b2[0], so that f(x) = W2 relu(W1 x + b1) + b2.

    Raises
    ------
    InputError
        For another architecture: input or output size not 1, an activation other than ReLU or
        LeakyReLU between the layers (PReLU, whose slope is learned per model, included), a
        slope outside [0, 1), extra layers or parameters, a forward pass that differs from the
        network read (with the slope its outputs fit, if one does); a state dict unless
        ``verify=False``.
    """
    obj: Any = module_or_state_dict
    module = None
    given = None if negative_slope is None else _slope(negative_slope, "from_torch")
    found = None
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        found = _check_torch_modules(obj)
        sd = obj.state_dict()
        module = obj
    elif isinstance(obj, Mapping) or hasattr(obj, "items"):
        sd = obj
    else:
        raise InputError(f"from_torch needs a torch module or a state dict, got {type(obj).__name__}")
    if given is not None and found is not None and given != found:
        act = "ReLU" if found == 0 else f"LeakyReLU({found:g})"
        raise InputError(f"from_torch: negative_slope={given:g} contradicts the model's {act} "
                         "module")
    alpha = found if found is not None else (given or 0.0)
    net = _network_from_state_dict(sd, alpha)
    if verify:
        if module is None:
            raise InputError("a state dict alone cannot be verified against its model: pass the "
                             "module, or verify=False to import the weights unchecked")
        if not callable(module):
            raise InputError(f"the torch module {_module_name(module)} cannot be called to "
                             "verify the import; pass verify=False to import it unchecked")
        verify_forward(net, _torch_forward(module), "the torch model")
    return net


def _network_from_state_dict(sd: Any, negative_slope: float = 0.0) -> Network:
    groups: dict[str, dict[str, object]] = {}
    for key, value in sd.items():
        prefix, _, leaf = str(key).rpartition(".")
        if leaf not in ("weight", "bias"):
            raise InputError(f"torch state dict entry {key!r} is not a Linear weight or bias; "
                             "symspline reads only Linear(1,H) -> ReLU -> Linear(H,1)")
        groups.setdefault(prefix, {})[leaf] = value
    for prefix, g in groups.items():
        if "weight" not in g:
            raise InputError(f"torch state dict has a bias {prefix}.bias without a weight")
    # State dicts keep registration order, which for Sequential and ordinary modules is layer order.
    layers = []
    for prefix, g in groups.items():
        mat = _as_array(g["weight"], f"{prefix}.weight")
        if mat.ndim != 2:
            raise InputError(f"torch layer {prefix!r} has a weight of shape {mat.shape}; only "
                             "Linear layers (2-D weights) are supported")
        bias = None if "bias" not in g else _as_array(g["bias"], f"{prefix}.bias").reshape(-1)
        layers.append((prefix or "<root>", mat.T, bias))
    return _network_from_layers(layers, "torch model", negative_slope)


def to_torch(net: Network | Spline, *, dtype: object = None) -> Any:
    """An ``nn.Sequential(Linear(1, H), ReLU(), Linear(H, 1))`` computing ``net`` (imports torch).

    A leaky network (``negative_slope`` alpha > 0) gets ``nn.LeakyReLU(alpha)`` in the middle.
    ``dtype`` defaults to ``torch.float64`` so that the round trip from_torch(to_torch(net)) is
    exact, the slope included.
    """
    try:
        import torch
    except ImportError as exc:  # torch is an optional extra
        raise InputError("to_torch needs PyTorch (pip install torch)") from exc
    a = to_arrays(net)
    H = a["w"].shape[0]
    dt = torch.float64 if dtype is None else dtype
    alpha = float(a["negative_slope"])
    act = torch.nn.LeakyReLU(alpha) if alpha != 0.0 else torch.nn.ReLU()
    model = torch.nn.Sequential(torch.nn.Linear(1, H), act, torch.nn.Linear(H, 1)).to(dt)
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(a["w"].reshape(H, 1)))
        model[0].bias.copy_(torch.from_numpy(a["b"]))
        model[2].weight.copy_(torch.from_numpy(a["v"].reshape(1, H)))
        model[2].bias.copy_(torch.tensor([float(a["c"])], dtype=torch.float64))
    return model


__all__ = ["from_arrays", "from_flax", "from_torch", "probe_points", "to_arrays", "to_flax",
           "to_torch", "verify_forward"]
