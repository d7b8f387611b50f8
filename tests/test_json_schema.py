"""Every subcommand's --json output follows one contract (docs/json.md): validated against its
JSON Schema (docs/schemas/, draft 2020-12) with `jsonschema`, and by an independent walk over the
document; documents that break the contract are rejected by both (the checkers can fail)."""

from __future__ import annotations

import copy
import json
import math
from fractions import Fraction
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schemas"

EXACT_CSV = "x,y\n-1,1\n0,0\n1/2,1/4\n2,1\n"
FLOAT_CSV = "x,y\n-1.0,1\n0,0\n0.5,0.25\n2,1\n"
# breakpoints -1/3 and 3/4: no data point is a kink
EXACT_NET = '{"w": [1, -2], "b": ["1/3", "3/2"], "v": [2, -1], "c": "1/10"}'
FLOAT_NET = '{"w": [1.0, -2.0], "b": [0.3, 1.5], "v": [2.0, -1.0], "c": 0.1}'
EXACT_SPLINE = '{"beta": ["-1/3", "3/4"], "mu": [2, -2], "s": [1, -1], "c": "1/10"}'
# f near 10^4000, the loss near 10^8000: past Python's 4300-digit int-to-str guard
HUGE_NET = json.dumps({"w": ["1e1000", -2], "b": ["1e1000", 1], "v": ["1" + "0" * 3000, -1],
                       "c": 0})
POP = "uniform:-1,1; target: x**2 on [-1,0], 1 - x on [0,1]"


def _load_schemas() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(SCHEMAS.glob("*.json"))}


ALL = _load_schemas()
REGISTRY = Registry().with_resources(
    (doc["$id"], Resource.from_contents(doc)) for doc in ALL.values())


def validator(command: str) -> Draft202012Validator:
    return Draft202012Validator(ALL[command], registry=REGISTRY)


def contract_violations(doc: object, command: str, exact_input: bool | None) -> list[str]:
    """The rules of docs/json.md checked directly, independently of the schema files."""
    bad: list[str] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("ok"), bool):
        return ["top level: no boolean 'ok'"]
    if doc.get("command") != command:
        bad.append(f"command is {doc.get('command')!r}, expected {command!r}")

    def walk(v: object, path: str) -> None:
        if isinstance(v, dict):
            for k, u in v.items():
                if u is None and f"{k}_reason" not in v:
                    bad.append(f"{path}.{k} is null without {k}_reason")
                if k.endswith("_exact") and k[:-6] not in v:
                    bad.append(f"{path}.{k} has no float twin {k[:-6]}")
                if k.endswith("_exact") and exact_input is False:
                    bad.append(f"{path}.{k}: an exact twin for float input")
                if k in ("unit", "point") and not (isinstance(u, int) and u >= 1):
                    bad.append(f"{path}.{k} = {u!r}: units and samples count from 1")
                walk(u, f"{path}.{k}")
        elif isinstance(v, list):
            for i, u in enumerate(v):
                walk(u, f"{path}[{i}]")
        elif isinstance(v, float) and not math.isfinite(v):
            bad.append(f"{path} is {v}")
        elif isinstance(v, str) and v.strip() in ("oo", "-oo", "zoo", "nan", "inf", "-inf"):
            bad.append(f"{path} is the string {v!r}")

    walk(doc, "")
    return bad


def check_document(doc: dict, command: str, exact_input: bool | None = None) -> None:
    errors = sorted(validator(command).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}"[:300] for e in errors[:5]]
    assert not contract_violations(doc, command, exact_input)


@pytest.fixture
def files(tmp_path, monkeypatch):
    texts = {"e.csv": EXACT_CSV, "f.csv": FLOAT_CSV, "e.json": EXACT_NET, "f.json": FLOAT_NET,
             "s.json": EXACT_SPLINE, "huge.json": HUGE_NET,
             "dir.json": json.dumps(["1", "-1/2", "0", "1/3", "1", "0", "-1"])}
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_json(cli, *argv, code=0):
    res = cli(*argv, "--json")
    assert res.returncode == code, res.stderr
    return json.loads(res.stdout)


# ------------------------------------------------------------------ the schema files
def test_every_schema_file_is_a_valid_draft_2020_12_schema():
    assert {"common", "loss", "convert", "grad", "hessian", "check", "init", "flow",
            "landscape", "spectra", "list", "latex", "derive"} <= set(ALL)
    for name, doc in ALL.items():
        Draft202012Validator.check_schema(doc)
        assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
        assert doc["$id"].endswith(f"/{name}.json"), name


# ------------------------------------------------------------------ each subcommand
def test_loss_exact_float_population_and_beyond_float_range(cli, files):
    doc = run_json(cli, "loss", "--data", "e.csv", "--params", "e.json")
    check_document(doc, "loss", exact_input=True)
    # the float twin is the exact value rounded (independent arithmetic with Fractions)
    assert abs(doc["loss"] - float(Fraction(doc["loss_exact"]))) <= 1e-16 * abs(doc["loss"])
    doc_f = run_json(cli, "loss", "--data", "f.csv", "--params", "f.json")
    check_document(doc_f, "loss", exact_input=False)
    pop = run_json(cli, "loss", "--population", POP, "--params", "e.json")
    check_document(pop, "loss", exact_input=True)
    assert pop["population"]["support_exact"] == ["-1", "1"] and "N" not in pop
    huge = run_json(cli, "loss", "--data", "e.csv", "--params", "huge.json")
    check_document(huge, "loss", exact_input=True)
    assert huge["loss"] is None and "float64 range" in huge["loss_reason"]
    assert len(huge["loss_exact"]) > 8000  # printed in full


def test_convert_both_ways(cli, files):
    doc = run_json(cli, "convert", "--params", "e.json", "--to", "spline")
    check_document(doc, "convert", exact_input=True)
    assert doc["params"]["beta_exact"] == ["-1/3", "3/4"] and doc["order"][0] == "beta1"
    doc = run_json(cli, "convert", "--params", "s.json", "--to", "network", "--balance", "-1")
    check_document(doc, "convert")
    doc = run_json(cli, "convert", "--params", "f.json", "--to", "spline")
    check_document(doc, "convert", exact_input=False)


def test_grad_hessian_check(cli, files):
    g = run_json(cli, "grad", "--data", "e.csv", "--params", "e.json")
    check_document(g, "grad", exact_input=True)
    assert len(g["gradient"]) == len(g["gradient_exact"]) == len(g["order"]) == 7
    assert all(abs(a - float(Fraction(b))) <= 1e-15 * max(1.0, abs(a))
               for a, b in zip(g["gradient"], g["gradient_exact"], strict=True))
    check_document(run_json(cli, "grad", "--data", "f.csv", "--params", "f.json",
                            "--param", "spline"), "grad", exact_input=False)
    check_document(run_json(cli, "grad", "--population", POP, "--params", "e.json"), "grad",
                   exact_input=True)
    h = run_json(cli, "hessian", "--data", "e.csv", "--params", "e.json", "--parts", "--eig")
    check_document(h, "hessian", exact_input=True)
    assert len(h["hessian_exact"]) == 7 and len(h["residual_exact"][0]) == 7
    h = run_json(cli, "hessian", "--data", "f.csv", "--params", "f.json", "--parts", "--out",
                 "H.npy")
    check_document(h, "hessian", exact_input=False)
    assert h["residual_file"] == "H_residual.npy" and (files / "H_residual.npy").is_file()
    c = run_json(cli, "check", "--data", "e.csv", "--params", "e.json")
    check_document(c, "check", exact_input=True)
    assert c["ok"] is True and len(c["checks"]) == 4
    # a failed check: exit 1, the whole document, ok false (rule 2)
    c = run_json(cli, "check", "--data", "f.csv", "--params", "f.json", "--rtol", "1e-300",
                 code=1)
    check_document(c, "check", exact_input=False)
    assert c["ok"] is False


def test_the_two_models_fields(cli, files):
    # leaky ReLU and weight decay: the fields of docs/json.md "The model", exact and float
    (files / "le.json").write_text(EXACT_NET[:-1] + ', "negative_slope": "1/4"}')
    (files / "lf.json").write_text(FLOAT_NET[:-1] + ', "negative_slope": 0.25}')
    for data, params, exact in (("e.csv", "le.json", True), ("f.csv", "lf.json", False)):
        decay = ("--weight-decay", "1/8")
        doc = run_json(cli, "loss", "--data", data, "--params", params, *decay)
        check_document(doc, "loss", exact_input=exact)
        assert doc["negative_slope"] == 0.25 and doc["weight_decay"] == 0.125
        assert ("negative_slope_exact" in doc) is exact and ("weight_decay_exact" in doc) is exact
        h = run_json(cli, "hessian", "--data", data, "--params", params, "--parts", *decay)
        check_document(h, "hessian", exact_input=exact)
        assert len(h["penalty"]) == 7 and ("penalty_exact" in h) is exact
        g = run_json(cli, "grad", "--data", data, "--params", params, "--param", "spline", *decay)
        check_document(g, "grad", exact_input=exact)
        c = run_json(cli, "check", "--data", data, "--params", params, *decay)
        check_document(c, "check", exact_input=exact)
        assert {r["what"] for r in c["checks"]} >= {"penalty_gradient", "penalty_hessian"}
        conv = run_json(cli, "convert", "--params", params, "--to", "spline")
        check_document(conv, "convert", exact_input=exact)
        assert conv["params"]["negative_slope"] == 0.25
    check_document(run_json(cli, "spectra", "--data", "f.csv", "--params", "lf.json"), "spectra")
    # the schema refuses a slope of 1 and a negative decay (the checker can fail)
    bad = copy.deepcopy(doc)
    bad["negative_slope"] = 1.0
    assert list(validator("loss").iter_errors(bad))
    bad = copy.deepcopy(doc)
    bad["weight_decay"] = -0.5
    assert list(validator("loss").iter_errors(bad))


def test_init_null_only_with_a_reason(cli, files):
    doc = run_json(cli, "init", "--scheme", "gaussian", "--width", "3", "--at", "0,1/2",
                   "--samples", "2000")
    check_document(doc, "init")
    first = doc["quantities"]["delta_slope_density"]["points"][0]
    assert first["x_exact"] == "0" and first["value"] is None  # K0 density: unbounded at 0
    assert "unbounded" in first["value_reason"]


def test_flow_and_its_failure_document(cli, files, monkeypatch):
    doc = run_json(cli, "flow", "--data", "e.csv", "--params", "e.json", "--time", "3")
    check_document(doc, "flow", exact_input=False)
    assert doc["loss_final"] < doc["loss_initial"]
    import symspline.flow as flow_pkg
    from symspline.errors import IntegrationError

    def failing(*args, **kwargs):
        raise IntegrationError("integration failed at t = 1.5: step size underflow")

    monkeypatch.setattr(flow_pkg, "flow", failing)
    res = cli("flow", "--data", "e.csv", "--params", "e.json", "--time", "3", "--json")
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1
    doc = json.loads(res.stdout)
    check_document(doc, "flow")
    assert doc == {"ok": False, "command": "flow",
                   "failure": "integration failed at t = 1.5: step size underflow"}


def test_landscape_exact_float_and_compare(cli, files):
    doc = run_json(cli, "landscape", "--data", "e.csv", "--params", "e.json", "--direction",
                   "dir.json", "--range", "5")
    check_document(doc, "landscape", exact_input=True)
    assert doc["kind"] == "exact" and doc["pieces"][0]["from"] is None
    assert doc["pieces"][-1]["to"] is None
    check_document(run_json(cli, "landscape", "--data", "f.csv", "--params", "f.json"),
                   "landscape", exact_input=False)
    check_document(run_json(cli, "landscape", "--data", "e.csv", "--params", "e.json",
                            "--compare"), "landscape")


def test_spectra_plain_and_along_a_flow(cli, files):
    check_document(run_json(cli, "spectra", "--data", "e.csv", "--params", "e.json"), "spectra")
    doc = run_json(cli, "spectra", "--data", "f.csv", "--params", "f.json", "--edges", "0",
                   "--flow", "1", "--steps", "3")
    check_document(doc, "spectra", exact_input=False)
    assert len(doc["times"]) == len(doc["losses"]) == 3


def test_list_latex_derive(cli, files):
    check_document(run_json(cli, "list"), "list")
    check_document(run_json(cli, "latex", "2.2"), "latex")
    doc = run_json(cli, "derive", "reparameterization", "--quick", "--no-pdf", "--out", "gen")
    check_document(doc, "derive")


# ------------------------------------------------------------------ the checkers can fail
@pytest.fixture(scope="module")
def good_loss_doc():
    return {"ok": True, "command": "loss", "param": "network", "H": 2, "N": 4,
            "negative_slope": 0.0, "negative_slope_exact": "0", "weight_decay": 0.0,
            "weight_decay_exact": "0", "loss": 3.9453125, "loss_exact": "505/128"}


@pytest.mark.parametrize("mutate, why", [
    (lambda d: d.pop("ok"), "no ok"),
    (lambda d: d.update(command="grad"), "wrong command"),
    (lambda d: d.update(loss="3.9453125"), "a float written as a string"),
    (lambda d: d.update(loss=None), "null without a reason"),
    (lambda d: d.update(loss_exact="oo"), "an infinity as an exact string"),
    (lambda d: d.update(loss_exact=3.9453125), "an exact value as a number"),
    (lambda d: d.update(H=0), "a width counted from 0"),
    (lambda d: d.update(extra=1), "an undocumented field"),
])
def test_documents_breaking_the_contract_are_rejected(good_loss_doc, mutate, why):
    check_document(good_loss_doc, "loss", exact_input=True)  # the original passes
    doc = copy.deepcopy(good_loss_doc)
    mutate(doc)
    assert list(validator("loss").iter_errors(doc)), why


@pytest.mark.parametrize("doc, exact_input, fragment", [
    ({"ok": True, "command": "grad", "near_kinks": [{"unit": 0, "point": 1, "distance": 0.1}]},
     None, "count from 1"),
    ({"ok": True, "command": "grad", "gradient_exact": ["1"]}, None, "no float twin"),
    ({"ok": True, "command": "grad", "gradient": [1.0], "gradient_exact": ["1"]}, False,
     "exact twin for float input"),
    ({"ok": True, "command": "grad", "x": None}, None, "null without x_reason"),
    ({"ok": True, "command": "grad", "value": "oo"}, None, "the string 'oo'"),
    ({"command": "grad"}, None, "no boolean 'ok'"),
    # NaN cannot reach strict JSON text (emit_json refuses it) and JSON Schema has no test for
    # it; the walk checks Python documents for it
    ({"ok": True, "command": "grad", "loss": float("nan")}, None, "is nan"),
])
def test_the_independent_contract_walk_can_fail(doc, exact_input, fragment):
    assert any(fragment in v for v in contract_violations(doc, "grad", exact_input))


def test_flow_event_counted_from_zero_is_rejected_by_the_schema(cli, files):
    doc = run_json(cli, "flow", "--data", "e.csv", "--params", "e.json", "--time", "1")
    doc["events"] = [{"kind": "cross", "t": 0.5, "unit": 0, "point": 2, "x": 0.0,
                      "direction": "right"}]
    assert list(validator("flow").iter_errors(doc))
    doc["events"][0]["unit"] = 1
    assert not list(validator("flow").iter_errors(doc))
