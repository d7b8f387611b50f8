"""Initialization schemes of the 1 -> H -> 1 network as immutable objects (docs/theory.md §4).

Two families cover every preset: :class:`Gaussian` (w, b, v, c independent centred normals) and
:class:`Uniform` (independent centred uniforms with possibly unequal half-widths). A preset is a
function of the width H returning a family member with exact scales (``sqrt(2/(H+1))`` stays a
SymPy expression, so formulas in H remain exact).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from ..errors import ParameterError, ParseError, UnknownNameError
from ..numbers import parse_number

#: Families and the order of their four scale parameters.
FAMILY_FIELDS = {"gaussian": ("sw", "sb", "sv", "sc"), "uniform": ("aw", "ab", "av", "ac")}


def as_number(value: object, what: str) -> sp.Expr:
    """A user-given number as SymPy: text parsed as a number (never sympified), ints exact,
    floats as Float; refused if not a finite real number."""
    if isinstance(value, str):
        value = parse_number(value)
    if isinstance(value, bool):
        raise ParameterError(f"{what} must be a number, got {value!r}")
    if isinstance(value, float):
        expr: sp.Expr = sp.Float(value)
    elif isinstance(value, int):
        expr = sp.Integer(value)
    elif isinstance(value, sp.Basic):
        expr = value  # type: ignore[assignment]
    else:
        try:
            expr = sp.Float(float(value))  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"{what} must be a number, got {value!r}") from exc
    if expr.is_number and (not expr.is_finite or expr.is_real is False):
        raise ParameterError(f"{what} must be a finite real number, got {expr}")
    return expr


def _scale(value: object, name: str, *, allow_zero: bool = False) -> sp.Expr:
    """A scale as a SymPy number/expression, checked positive (or zero where allowed)."""
    expr = as_number(value, name)
    if expr.is_number:
        val = float(expr)
        if val < 0 or (val == 0 and not allow_zero):
            bound = ">= 0" if allow_zero else "> 0"
            raise ParameterError(f"scale {name} must be {bound}, got {expr}")
    else:
        # Symbolic scales (e.g. in the width H) must be provably admissible.
        ok = expr.is_nonnegative if allow_zero else expr.is_positive
        if ok is not True:
            bound = "non-negative" if allow_zero else "positive"
            raise ParameterError(f"scale {name} = {expr} is not provably {bound}")
    return expr


@dataclass(frozen=True)
class Gaussian:
    r"""w ~ N(0, sw^2), b ~ N(0, sb^2), v ~ N(0, sv^2), c ~ N(0, sc^2), all independent.

    Parameters
    ----------
    sw, sb, sv : positive numbers (int, float, SymPy exact or symbolic expression)
        Standard deviations of the hidden weight, hidden bias and output weight.
    sc : non-negative number, default 0
        Standard deviation of the output bias; ``sc = 0`` means ``c = 0`` exactly.
    name : str
        Label used in reports.

    Notes
    -----
    Breakpoints beta = -b/w are Cauchy(0, sb/sw) (theory §4.1); see
    :mod:`symspline.initialization.laws` for every derived law.
    """

    sw: object
    sb: object
    sv: object
    sc: object = 0
    name: str = "gaussian"
    doc: str = ""

    def __post_init__(self) -> None:
        for f in ("sw", "sb", "sv"):
            object.__setattr__(self, f, _scale(getattr(self, f), f))
        object.__setattr__(self, "sc", _scale(self.sc, "sc", allow_zero=True))

    family = "gaussian"

    @property
    def scales(self) -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
        """(sw, sb, sv, sc) as SymPy expressions."""
        return (self.sw, self.sb, self.sv, self.sc)  # type: ignore[return-value]


@dataclass(frozen=True)
class Uniform:
    r"""w ~ U(-aw, aw), b ~ U(-ab, ab), v ~ U(-av, av), c ~ U(-ac, ac), all independent.

    Half-widths may differ (unequal ranges): breakpoints then have the flat density
    aw/(4 ab) on |beta| <= ab/aw and ab/(4 aw beta^2) beyond (theory §4.4 for aw = ab).

    Parameters
    ----------
    aw, ab, av : positive numbers
        Half-widths of the hidden weight, hidden bias and output weight ranges.
    ac : non-negative number, default 0
        Half-width of the output-bias range; ``ac = 0`` means ``c = 0`` exactly.
    name : str
        Label used in reports.
    """

    aw: object
    ab: object
    av: object
    ac: object = 0
    name: str = "uniform"
    doc: str = ""

    def __post_init__(self) -> None:
        for f in ("aw", "ab", "av"):
            object.__setattr__(self, f, _scale(getattr(self, f), f))
        object.__setattr__(self, "ac", _scale(self.ac, "ac", allow_zero=True))

    family = "uniform"

    @property
    def scales(self) -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
        """(aw, ab, av, ac) as SymPy expressions."""
        return (self.aw, self.ab, self.av, self.ac)  # type: ignore[return-value]


Scheme = Gaussian | Uniform


def as_width(H: object) -> sp.Expr:
    """The width as a SymPy integer (>= 1) or a positive symbol (for asymptotics)."""
    if isinstance(H, sp.Symbol):
        if H.is_positive is not True:
            raise ParameterError(f"symbolic width {H} must be declared positive")
        return H
    if isinstance(H, bool) or not isinstance(H, int | sp.Integer):
        raise ParameterError(f"width must be an integer >= 1, got {H!r}")
    if int(H) < 1:
        raise ParameterError(f"width must be an integer >= 1, got {H}")
    return sp.Integer(int(H))


_BIAS_NOTE = (
    "Frameworks initialise these biases to zero, which would put every breakpoint at 0 "
    "(beta = -b/w = 0, a degenerate law); this preset instead draws the hidden bias b with the "
    "same law as the hidden weight w (the bias is the weight of a constant input), so breakpoints "
    "are spread out; the output bias c is 0, as in the frameworks."
)


def pytorch(H: object) -> Uniform:
    """PyTorch ``nn.Linear`` default for ``Linear(1, H) -> ReLU -> Linear(H, 1)``.

    ``reset_parameters`` calls ``kaiming_uniform_(weight, a=sqrt(5))``: gain
    sqrt(2 / (1 + a^2)) = sqrt(1/3), bound gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in); the bias
    is U(-1/sqrt(fan_in), 1/sqrt(fan_in)). First layer: fan_in = 1, so w, b ~ U(-1, 1). Output
    layer: fan_in = H, so v, c ~ U(-1/sqrt(H), 1/sqrt(H)) (the output bias is random here).
    """
    H = as_width(H)
    a = 1 / sp.sqrt(H)
    return Uniform(1, 1, a, a, name="pytorch", doc=_first_line(pytorch))


def glorot_normal(H: object) -> Gaussian:
    """Glorot/Xavier normal as ``torch.nn.init.xavier_normal_`` (gain 1), plain (untruncated) normal.

    std = sqrt(2 / (fan_in + fan_out)); Linear(1, H): fan_in = 1, fan_out = H, so
    sw = sqrt(2/(1+H)); Linear(H, 1): fan_in = H, fan_out = 1, so sv = sqrt(2/(H+1)). Hidden bias
    b has the law of w (sb = sw), output bias c = 0. (Keras' GlorotNormal truncates at two
    standard deviations; that variant is not modelled.)
    """
    H = as_width(H)
    s = sp.sqrt(sp.Integer(2) / (H + 1))
    return Gaussian(s, s, s, 0, name="glorot_normal", doc=_first_line(glorot_normal))


def glorot_uniform(H: object) -> Uniform:
    """Glorot/Xavier uniform as ``torch.nn.init.xavier_uniform_`` / Keras ``GlorotUniform``.

    bound = sqrt(6 / (fan_in + fan_out)); aw = sqrt(6/(1+H)) for Linear(1, H) and
    av = sqrt(6/(H+1)) for Linear(H, 1). Hidden bias b has the law of w (ab = aw), output
    bias c = 0.
    """
    H = as_width(H)
    a = sp.sqrt(sp.Integer(6) / (H + 1))
    return Uniform(a, a, a, 0, name="glorot_uniform", doc=_first_line(glorot_uniform))


def he_normal(H: object) -> Gaussian:
    """He/Kaiming normal as ``torch.nn.init.kaiming_normal_`` defaults (a=0, mode='fan_in', ReLU gain).

    std = sqrt(2 / fan_in): sw = sqrt(2) (fan_in = 1), sv = sqrt(2/H) (fan_in = H). Hidden bias
    b has the law of w (sb = sw), output bias c = 0. (Keras' HeNormal truncates; not modelled.)
    """
    H = as_width(H)
    return Gaussian(sp.sqrt(2), sp.sqrt(2), sp.sqrt(2 / H), 0, name="he_normal",
                    doc=_first_line(he_normal))


def he_uniform(H: object) -> Uniform:
    """He/Kaiming uniform as ``torch.nn.init.kaiming_uniform_`` defaults / Keras ``HeUniform``.

    bound = sqrt(6 / fan_in): aw = sqrt(6), av = sqrt(6/H). Hidden bias b has the law of w
    (ab = aw), output bias c = 0.
    """
    H = as_width(H)
    return Uniform(sp.sqrt(6), sp.sqrt(6), sp.sqrt(6 / H), 0, name="he_uniform",
                   doc=_first_line(he_uniform))


def lecun_normal(H: object) -> Gaussian:
    """LeCun normal: plain normal with std = sqrt(1 / fan_in) (LeCun et al. 1998).

    sw = 1 (fan_in = 1), sv = 1/sqrt(H) (fan_in = H). Hidden bias b has the law of w (sb = 1),
    output bias c = 0. (Keras/JAX ``lecun_normal`` truncate at two standard deviations and
    rescale to the same variance; the truncation is not modelled.)
    """
    H = as_width(H)
    return Gaussian(1, 1, 1 / sp.sqrt(H), 0, name="lecun_normal", doc=_first_line(lecun_normal))


def standard_gaussian(H: object) -> Gaussian:
    """w, b, v ~ N(0, 1) whatever the width, c = 0 (no fan-in scaling: the unscaled reference)."""
    as_width(H)
    return Gaussian(1, 1, 1, 0, name="gaussian", doc=_first_line(standard_gaussian))


def standard_uniform(H: object) -> Uniform:
    """w, b, v ~ U(-1, 1) whatever the width, c = 0 (no fan-in scaling: the unscaled reference)."""
    as_width(H)
    return Uniform(1, 1, 1, 0, name="uniform", doc=_first_line(standard_uniform))


def _first_line(fn: Callable) -> str:
    return (fn.__doc__ or "").strip().splitlines()[0]


#: Named schemes: functions of the width H.
PRESETS: dict[str, Callable[[object], Gaussian | Uniform]] = {
    "pytorch": pytorch,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "lecun_normal": lecun_normal,
    "gaussian": standard_gaussian,
    "uniform": standard_uniform,
}

#: Alternative spellings accepted by :func:`get_scheme`.
ALIASES = {
    "torch": "pytorch", "pytorch_default": "pytorch", "xavier_normal": "glorot_normal",
    "xavier_uniform": "glorot_uniform", "kaiming_normal": "he_normal",
    "kaiming_uniform": "he_uniform", "lecun": "lecun_normal",
}

_CUSTOM_RE = re.compile(r"^\s*(gaussian|uniform)\s*\(([^()]*)\)\s*$", re.IGNORECASE)


def get_scheme(spec: str, H: object = 1) -> Gaussian | Uniform:
    """A scheme from a name (``PRESETS`` or ``ALIASES``) or ``gaussian(sw,sb,sv[,sc])`` /
    ``uniform(aw,ab,av[,ac])`` with numbers (integers, p/q, decimals read exactly) as arguments.

    Raises
    ------
    UnknownNameError
        For an unknown name.
    ParameterError, ParseError
        For bad widths, scales or argument lists.
    """
    if not isinstance(spec, str):
        raise UnknownNameError(f"scheme name must be text, got {type(spec).__name__}")
    m = _CUSTOM_RE.match(spec)
    if m:
        as_width(H)
        family, inner = m.group(1).lower(), m.group(2)
        parts = [p for p in (s.strip() for s in inner.split(",")) if p != ""]
        if len(parts) not in (3, 4):
            raise ParameterError(
                f"{family}(...) takes 3 or 4 scales {', '.join(FAMILY_FIELDS[family])}, "
                f"got {len(parts)}"
            )
        try:
            # decimals read exactly (0.1 = 1/10) so that every formula stays exact
            nums = [parse_number(p, exact_decimals=True) for p in parts]
        except ParseError as exc:
            raise ParameterError(f"bad scale in {spec.strip()!r}: {exc}") from exc
        cls = Gaussian if family == "gaussian" else Uniform
        return cls(*nums, name=spec.strip())  # type: ignore[arg-type]
    key = spec.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in PRESETS:
        known = ", ".join([*PRESETS, "gaussian(sw,sb,sv[,sc])", "uniform(aw,ab,av[,ac])"])
        raise UnknownNameError(f"unknown initialization scheme {spec!r}; known: {known}")
    return PRESETS[key](H)
