"""The msgspec mirrors in ``qtargets.ibm._wire`` agree with the pydantic models they mirror.

``qtargets.ibm.models`` defines what a valid ``/configuration`` and ``/properties`` payload is;
``qtargets.ibm._wire`` decodes the same payloads with msgspec Structs for speed. These tests
hold the two definitions to each other:

* structurally: same field names, same required/optional split, same defaults, and the same
  field types once nested models are mapped to their mirrors (constraints included);
* behaviourally: payloads made by mutating real snapshots are accepted by msgspec exactly when
  they are accepted by pydantic, both as Python dicts and as JSON bytes (where msgspec's
  strict JSON parser meets a NaN/Infinity literal, the decision of ``decode_*`` counts);
* through the fallback: whatever msgspec rejects, ``to_calibration`` reports as a
  ``CalibrationError`` located under ``configuration`` or ``properties``;
* on data: for every real snapshot both paths decode the same values.
"""

from __future__ import annotations

import collections
import copy
import json
import math
import types
import typing
import warnings
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
import msgspec
import numpy
import pydantic
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from qtargets import CalibrationError
from qtargets.ibm import models, to_calibration
from qtargets.ibm._wire import (
    WireConfiguration,
    WireGateConfig,
    WireGateProperties,
    WireGeneralQubitList,
    WireInstructionSignature,
    WireNduv,
    WireProcessorType,
    WireProperties,
    WireTargetProperties,
    decode_configuration,
    decode_properties,
    decode_target_properties,
)
from qtargets.ibm.convert import parse_configuration, parse_properties

from reference import Snapshot, snapshots

_MAX = 1.7976931348623157e308

# Each pydantic model / TypedDict and its msgspec mirror.
MIRRORS: dict[type, type[msgspec.Struct]] = {
    models.BackendConfiguration: WireConfiguration,
    models.GateConfig: WireGateConfig,
    models.InstructionSignature: WireInstructionSignature,
    models.ProcessorType: WireProcessorType,
    models.BackendProperties: WireProperties,
    models.TargetProperties: WireTargetProperties,
    models.GateProperties: WireGateProperties,
    models.GeneralQubitList: WireGeneralQubitList,
    models.Nduv: WireNduv,
}
PAIRS = list(MIRRORS.items())
PAIR_IDS = [model.__name__ for model in MIRRORS]

SNAPSHOTS = snapshots()


def _snap(name: str) -> Snapshot:
    return next(s for s in SNAPSHOTS if s.id == name)


def _is_typeddict(tp: type) -> bool:
    return typing.is_typeddict(tp) or hasattr(tp, "__required_keys__")


# -- 1a. structure ------------------------------------------------------------------------------


def _model_fields(model: type) -> dict[str, tuple[Any, bool, Any]]:
    """name -> (type with its constraints, required, default) of a pydantic model/TypedDict."""
    hints = typing.get_type_hints(model, include_extras=True)
    if _is_typeddict(model):
        return {
            name: (hints[name], name in model.__required_keys__, None)
            for name in model.__required_keys__ | model.__optional_keys__
        }
    assert issubclass(model, pydantic.BaseModel)
    out = {}
    for name, info in model.model_fields.items():
        required = info.is_required()
        default = None if required else info.get_default(call_default_factory=True)
        out[name] = (hints[name], required, default)
    return out


def _struct_fields(struct: type[msgspec.Struct]) -> dict[str, tuple[Any, bool, Any]]:
    out = {}
    for f in msgspec.structs.fields(struct):
        if f.required:
            default = None
        elif f.default_factory is not msgspec.NODEFAULT:
            default = f.default_factory()
        else:
            default = f.default
        out[f.name] = (f.type, f.required, default)
    return out


def _constraints(metadata: typing.Iterable[Any]) -> frozenset[Any]:
    """The value constraints in ``Annotated`` metadata, in one vocabulary for both libraries.

    ``Strict`` is dropped (the pydantic models are strict throughout and msgspec always is; a
    separate test checks the model configs); a finite float is ``"finite"`` whether pydantic
    says ``allow_inf_nan=False`` or msgspec says ``-MAX <= x <= MAX``.
    """
    out: set[Any] = set()
    for meta in metadata:
        if isinstance(meta, pydantic.Strict):
            assert meta.strict
        elif isinstance(meta, pydantic.fields.FieldInfo):
            out |= _constraints(meta.metadata)
        elif isinstance(meta, (annotated_types.Ge, annotated_types.Le, annotated_types.Gt,
                               annotated_types.Lt)):
            attr = type(meta).__name__.lower()
            out.add((attr, getattr(meta, attr)))
        elif isinstance(meta, (annotated_types.MinLen, annotated_types.MaxLen)):
            out.add((type(meta).__name__.lower().replace("len", "_length"),
                     getattr(meta, type(meta).__name__.lower().replace("len", "_length"))))
        elif type(meta).__name__ == "AllowInfNan":  # pydantic's marker for allow_inf_nan
            if not meta.allow_inf_nan:
                out.add("finite")
        elif isinstance(meta, msgspec.Meta):
            ge, le = meta.ge, meta.le
            if le == _MAX and ge is not None:
                out.add("finite")  # NaN fails every comparison, +-inf exceeds the bounds
                le = None
                if ge == -_MAX:
                    ge = None
            if ge is not None:
                out.add(("ge", ge))
            if le is not None:
                out.add(("le", le))
            for attr in ("gt", "lt", "multiple_of", "pattern", "min_length", "max_length"):
                if getattr(meta, attr) is not None:
                    out.add((attr, getattr(meta, attr)))
        else:
            out.add(("unknown", repr(meta)))  # never equal to anything on the other side
    return frozenset(out)


def _canon(tp: Any) -> Any:
    """A hashable description of a field type with every model replaced by its mirror."""
    origin = get_origin(tp)
    if origin is Annotated:
        base, *metadata = get_args(tp)
        constraints = _constraints(metadata)
        inner = _canon(base)
        return ("constrained", inner, constraints) if constraints else inner
    if origin in (Union, types.UnionType):
        return ("union", frozenset(_canon(arg) for arg in get_args(tp)))
    if origin is list:
        (item,) = get_args(tp)
        return ("list", _canon(item))
    if origin is dict:
        key, value = get_args(tp)
        return ("dict", _canon(key), _canon(value))
    if tp is type(None) or tp is None:
        return "null"
    if tp in MIRRORS:
        return MIRRORS[tp]
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return tp
    if isinstance(tp, type) and (issubclass(tp, pydantic.BaseModel) or _is_typeddict(tp)):
        raise AssertionError(f"{tp.__name__} has no msgspec mirror in MIRRORS")
    assert tp in (str, int, float, bool), f"unexpected field type {tp!r}"
    return tp


@pytest.mark.parametrize(("model", "struct"), PAIRS, ids=PAIR_IDS)
def test_mirror_has_the_same_field_names(model: type, struct: type[msgspec.Struct]) -> None:
    assert set(_model_fields(model)) == set(_struct_fields(struct))


@pytest.mark.parametrize(("model", "struct"), PAIRS, ids=PAIR_IDS)
def test_mirror_agrees_on_required_fields(model: type, struct: type[msgspec.Struct]) -> None:
    if _is_typeddict(model):
        required = set(model.__required_keys__)
        optional = set(model.__optional_keys__)
    else:
        required = {n for n, info in model.model_fields.items() if info.is_required()}
        optional = {n for n, info in model.model_fields.items() if not info.is_required()}
    fields = msgspec.structs.fields(struct)
    assert {f.name for f in fields if f.required} == required
    assert {f.name for f in fields if not f.required} == optional


@pytest.mark.parametrize(("model", "struct"), PAIRS, ids=PAIR_IDS)
def test_mirror_has_the_same_defaults(model: type, struct: type[msgspec.Struct]) -> None:
    ours = {name: default for name, (_, _, default) in _model_fields(model).items()}
    theirs = {name: default for name, (_, _, default) in _struct_fields(struct).items()}
    assert ours == theirs


@pytest.mark.parametrize(("model", "struct"), PAIRS, ids=PAIR_IDS)
def test_mirror_has_the_same_field_types(model: type, struct: type[msgspec.Struct]) -> None:
    ours = _model_fields(model)
    theirs = _struct_fields(struct)
    for name in set(ours) & set(theirs):
        assert _canon(ours[name][0]) == _canon(theirs[name][0]), name


@pytest.mark.parametrize(("model", "struct"), PAIRS, ids=PAIR_IDS)
def test_both_sides_are_strict_and_ignore_unknown_fields(
    model: type, struct: type[msgspec.Struct]
) -> None:
    config = model.model_config if not _is_typeddict(model) else model.__pydantic_config__
    assert config.get("strict") is True
    assert config.get("extra", "ignore") == "ignore"
    assert struct.__struct_config__.forbid_unknown_fields is False
    assert all(f.encode_name == f.name for f in msgspec.structs.fields(struct))  # no renames


def test_every_nested_model_has_a_mirror() -> None:
    """_canon raises on a model without a mirror; walk both roots to reach every nested one."""
    for model in (models.BackendConfiguration, models.BackendProperties):
        for field_type, _, _ in _model_fields(model).values():
            _canon(field_type)


def test_canon_tells_different_constraints_apart() -> None:
    """The structural comparison is not vacuous: a changed bound or type is noticed."""
    finite = models.FiniteNumber
    assert _canon(finite) == _canon(Annotated[float, msgspec.Meta(ge=-_MAX, le=_MAX)])
    assert _canon(finite) != _canon(float)
    assert _canon(finite) != _canon(Annotated[float, msgspec.Meta(ge=0.0, le=_MAX)])
    assert _canon(models.Count) != _canon(Annotated[int, msgspec.Meta(ge=1)])
    assert _canon(list[models.GateConfig]) == _canon(list[WireGateConfig])
    assert _canon(list[models.GateConfig]) != _canon(list[WireInstructionSignature])


# -- payload generation -------------------------------------------------------------------------

FIELD_NAMES = sorted(
    {name for model in MIRRORS for name in _model_fields(model)}
    | {"date", "general", "return_type", "clops", "unknown_field"}
)

INTEGERS = st.one_of(
    st.integers(),
    st.integers(-3, 8),
    st.sampled_from([
        -(2**63) - 1, -(2**63), -1, 2**31, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 10**30,
        # around the largest double: rounds down to it / overflows to infinity
        2**1024 - 2**970 - 1, 2**1024 - 2**970, 10**400, -(10**400),
    ]),
)
FLOATS = st.one_of(
    st.floats(),
    st.sampled_from([
        -0.0, 0.0, 0.5, 1.5, 3.0, -2.5, math.nan, math.inf, -math.inf, _MAX, -_MAX, 5e-324,
    ]),
)
STRINGS = st.one_of(
    st.text(max_size=8),
    st.sampled_from([
        "", "1.5", "3", "-1", "0", "NaN", "Infinity", "true", "null", "us", "GHz",
        "2021-01-20T02:24:55-05:00",
    ]),
)
SCALARS = st.one_of(st.none(), st.booleans(), INTEGERS, FLOATS, STRINGS)
KEYS = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=6))
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(KEYS, children, max_size=4),
    ),
    max_leaves=8,
)


@cache
def _base(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Small real (conf, props) pairs; 'vigo+' also carries instruction signatures."""
    if name == "vigo+":
        conf, props = _base("vigo")
        conf = copy.deepcopy(conf)
        boston = _snap("boston").conf()
        conf["instruction_signatures"] = boston["instruction_signatures"]
        conf["supported_instructions"] = boston["supported_instructions"]
        conf["processor_type"] = boston["processor_type"]
        return conf, props
    snap = _snap(name)
    return snap.conf(), snap.props()


BASES = ["vigo", "vigo+", "lagos", "fractional", "armonk"]


def _subtrees(node: Any) -> list[Any]:
    out = [node]
    if isinstance(node, dict):
        for value in node.values():
            out += _subtrees(value)
    elif isinstance(node, list):
        for value in node:
            out += _subtrees(value)
    return out


@cache
def _encoded(name: str, kind: str) -> bytes:
    conf, props = _base(name)
    return json.dumps(conf if kind == "conf" else props).encode()


@cache
def _donors(name: str, kind: str) -> list[Any]:
    conf, props = _base(name)
    return _subtrees(conf if kind == "conf" else props)


def _pick(data: st.DataObject, items: typing.Sequence[Any], label: str) -> Any:
    # An index, not sampled_from: building sampled_from over hundreds of subtrees on every
    # draw would dominate the run time.
    return items[data.draw(st.integers(0, len(items) - 1), label=label)]


OPS = st.sampled_from(["set", "add", "delete"])


def _value(data: st.DataObject, donors: list[Any]) -> Any:
    """A random value, or (a copy of) a subtree of the real payload, which is nearly valid."""
    if data.draw(st.booleans(), label="from the payload?"):
        return copy.deepcopy(_pick(data, donors, "subtree"))
    return data.draw(VALUES, label="value")


def _mutate(data: st.DataObject, payload: Any, donors: list[Any]) -> None:
    """One random edit somewhere in ``payload`` (set, add, delete, transplant a subtree)."""
    node, path = payload, "$"
    # Walk down a random branch, stopping at a random depth.
    while True:
        children = list(node) if isinstance(node, dict) else range(len(node))
        containers = [k for k in children if isinstance(node[k], (dict, list))]
        if not containers or data.draw(st.integers(0, 3), label="stop?") == 0:
            break
        key = _pick(data, containers, "descend")
        node, path = node[key], f"{path}[{key!r}]"
    op = data.draw(OPS, label="op")
    if isinstance(node, dict):
        key = data.draw(KEYS, label="new key") if op == "add" or not node else \
            _pick(data, list(node), "key")
        if op == "delete" and key in node:
            del node[key]
            note(f"delete {path}[{key!r}]")
            return
        node[key] = _value(data, donors)
        note(f"set {path}[{key!r}] = {node[key]!r}")
    elif op == "delete" and node:
        index = data.draw(st.integers(0, len(node) - 1), label="index")
        del node[index]
        note(f"delete {path}[{index}]")
    elif op == "add" or not node:
        node.append(_value(data, donors))
        note(f"append {path} <- {node[-1]!r}")
    else:
        index = data.draw(st.integers(0, len(node) - 1), label="index")
        node[index] = _value(data, donors)
        note(f"set {path}[{index}] = {node[index]!r}")


def _mutated(data: st.DataObject, kind: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(base name, conf, props) with the ``kind`` side ("conf"/"props") mutated."""
    name = data.draw(st.sampled_from(BASES), label="base")
    conf, props = _base(name)
    target = json.loads(_encoded(name, kind))  # a fresh copy, faster than deepcopy
    donors = _donors(name, kind)
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        _mutate(data, target, donors)
    if kind == "conf":
        return name, target, props
    return name, conf, target


def _accepts(fn: Callable[[], object], errors: tuple[type[Exception], ...]) -> bool:
    try:
        fn()
    except errors:
        return False
    return True


HYPOTHESIS = settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KINDS = {
    "conf": (WireConfiguration, models.configuration_adapter),
    "props": (WireProperties, models.properties_adapter),
}


# -- 1b. behaviour ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
@HYPOTHESIS
@given(data=st.data())
def test_msgspec_accepts_a_dict_iff_pydantic_does(kind: str, data: st.DataObject) -> None:
    struct, adapter = KINDS[kind]
    _, conf, props = _mutated(data, kind)
    payload = conf if kind == "conf" else props
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_msgspec = _accepts(lambda: msgspec.convert(payload, struct), (msgspec.ValidationError,))
        by_pydantic = _accepts(lambda: adapter.validate_python(payload),
                               (pydantic.ValidationError,))
    event(f"pydantic accepts: {by_pydantic}")
    assert by_msgspec == by_pydantic, f"msgspec accepts: {by_msgspec}, pydantic: {by_pydantic}"


@pytest.mark.parametrize("kind", list(KINDS))
@HYPOTHESIS
@given(data=st.data())
def test_msgspec_accepts_json_iff_pydantic_does(kind: str, data: st.DataObject) -> None:
    """On JSON bytes, for the raw decoders and for the two public paths.

    msgspec reads strict JSON only: a NaN/Infinity literal (which ``json.dumps`` writes for a
    non-finite float, and which pydantic's parser reads) fails the whole text, wherever it is.
    So the raw decoders are compared on strict JSON; on every text, what decides is the end
    result: ``decode_*`` (msgspec, then its fallbacks) accepts iff pydantic does.
    """
    struct, adapter = KINDS[kind]
    _, conf, props = _mutated(data, kind)
    payload = conf if kind == "conf" else props
    text = json.dumps(payload, allow_nan=True).encode()
    strict_json = _is_finite(payload)
    decode = decode_configuration if kind == "conf" else decode_properties
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_msgspec = _accepts(lambda: msgspec.json.decode(text, type=struct),
                              (msgspec.ValidationError, msgspec.DecodeError))
        by_pydantic = _accepts(lambda: adapter.validate_json(text), (pydantic.ValidationError,))
        by_decode = _accepts(lambda: decode(text), (CalibrationError,))
    event(f"pydantic accepts: {by_pydantic}; strict JSON: {strict_json}")
    if strict_json:
        assert by_msgspec == by_pydantic, \
            f"msgspec accepts: {by_msgspec}, pydantic: {by_pydantic}"
    assert by_decode == by_pydantic, f"decode_* accepts: {by_decode}, pydantic: {by_pydantic}"


@HYPOTHESIS
@given(data=st.data())
def test_the_target_decoder_accepts_iff_pydantic_target_properties_does(
        data: st.DataObject) -> None:
    """``from_ibm`` decodes /properties without ``general`` (no Target holds it): that
    decoder too agrees with its pydantic model, on JSON text and on dicts."""
    _, _, props = _mutated(data, "props")
    text = json.dumps(props, allow_nan=True).encode()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_pydantic = _accepts(lambda: models.target_properties_adapter.validate_json(text),
                               (pydantic.ValidationError,))
        by_decode = _accepts(lambda: decode_target_properties(text), (CalibrationError,))
        by_decode_dict = _accepts(lambda: decode_target_properties(props), (CalibrationError,))
    assert by_decode == by_pydantic, f"decoder accepts: {by_decode}, pydantic: {by_pydantic}"
    if isinstance(props, dict):
        assert by_decode_dict == by_pydantic


def _is_finite(node: Any) -> bool:
    """No NaN or infinity anywhere (so ``json.dumps`` writes strict JSON)."""
    if isinstance(node, float):
        return math.isfinite(node)
    if isinstance(node, dict):
        return all(_is_finite(v) for v in node.values())
    if isinstance(node, list):
        return all(_is_finite(v) for v in node)
    return True


# Disagreements, pinned as minimal examples. Each is a payload one side accepts and the other
# rejects: a bug until they agree. Found by hand-made JSON text and Python values that the
# properties above do not generate (they only make what json.dumps writes from JSON values).
MINIMAL_CONF = {"backend_name": "b", "n_qubits": 1, "basis_gates": ["x"]}
MINIMAL_PROPS = {"backend_name": "b", "last_update_date": "2021-01-20T02:24:55-05:00",
                 "qubits": [[{"name": "T1", "unit": "us", "value": 1.0}]], "gates": []}

_CONF_TEXT = b'{"backend_name": "b", "n_qubits": 1, "basis_gates": ["x"]'
_PROPS_TEXT = b'{"backend_name": "b", "last_update_date": "2021-01-20", "gates": []'


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


_UNCHECKED_UNKNOWN_FIELD = pytest.mark.xfail(
    strict=True,
    reason="known difference: the fast path skips fields it does not use without "
    "validating their content, so decode_* accepts text that pydantic's parser rejects there",
)

# JSON texts on which raw msgspec and pydantic disagree. decode_* hands every text msgspec
# rejects to pydantic, which settles all but the unknown-field group (documented in
# docs/ibm.md: msgspec skips the content of fields nobody reads without checking it).
JSON_TEXTS = [
    # pydantic reads NaN/Infinity literals; msgspec rejects the whole text, even when the
    # literal sits in a field nobody validates. (Settled by the json.loads fallback.)
    pytest.param("conf", _CONF_TEXT + b', "unknown": NaN}', id="conf-NaN-in-unknown-field"),
    pytest.param("conf", _CONF_TEXT + b', "processor_type": {"revision": Infinity}}',
                 id="conf-Infinity-revision"),
    pytest.param("props", _PROPS_TEXT + b', "qubits": [[{"name": "T1", "unit": "us",'
                 b' "value": 1.0, "date": NaN}]]}', id="props-NaN-in-nduv-date"),
    pytest.param("props", _PROPS_TEXT + b', "qubits": [], "general": [-Infinity]}',
                 id="props-Infinity-in-general"),
    # An overflowing number where any float will do: pydantic gives inf, msgspec rejects.
    pytest.param("conf", _CONF_TEXT + b', "processor_type": {"revision": 1e400}}',
                 id="conf-1e400-revision"),
    # A repeated key: pydantic keeps the last value, msgspec validates every occurrence.
    pytest.param("conf", b'{"backend_name": "b", "n_qubits": -1, "n_qubits": 1,'
                 b' "basis_gates": ["x"]}', id="conf-duplicate-key-invalid-first"),
    # msgspec skips unknown fields without checking what pydantic's parser rejects.
    pytest.param("conf", _CONF_TEXT + b', "unknown": "\xff"}',
                 id="conf-invalid-utf8-in-unknown-field", marks=_UNCHECKED_UNKNOWN_FIELD),
    pytest.param("conf", _CONF_TEXT + b', "unknown": ' + b"9" * 5000 + b"}",
                 id="conf-5000-digit-int-in-unknown-field", marks=_UNCHECKED_UNKNOWN_FIELD),
    pytest.param("conf", _CONF_TEXT + b', "unknown": ' + _deep(201) + b"}",
                 id="conf-unknown-field-nested-201-deep", marks=_UNCHECKED_UNKNOWN_FIELD),
    # Encodings and escapes pydantic rejects (as does decode_*, which defers to it).
    pytest.param("conf", b"\xef\xbb\xbf" + _CONF_TEXT + b"}", id="conf-utf8-bom"),
    pytest.param("conf", (_CONF_TEXT + b"}").decode().encode("utf-16"), id="conf-utf16"),
    pytest.param("conf", (_CONF_TEXT + b"}").decode().encode("utf-32-le"), id="conf-utf32"),
    pytest.param("conf", b'{"backend_name": "\\ud800", "n_qubits": 1, "basis_gates": ["x"]}',
                 id="conf-escaped-lone-surrogate-in-backend_name"),
    pytest.param("conf", _CONF_TEXT + b', "unknown": "\\udfff"}',
                 id="conf-escaped-lone-surrogate-in-unknown-field"),
    pytest.param("conf", _CONF_TEXT + b', "u": NaN, "v": ' + _deep(300) + b"}",
                 id="conf-NaN-and-unknown-field-nested-300-deep"),
]


@pytest.mark.parametrize(("kind", "text"), JSON_TEXTS)
def test_public_decoders_get_the_same_decision_on_json_text(kind: str, text: bytes) -> None:
    """parse_* (pydantic) and decode_* (msgspec, what to_calibration uses) agree."""
    parse = parse_configuration if kind == "conf" else parse_properties
    decode = decode_configuration if kind == "conf" else decode_properties
    by_parse = _accepts(lambda: parse(text), (CalibrationError,))
    by_decode = _accepts(lambda: decode(text), (CalibrationError,))
    assert by_parse == by_decode, f"parse_* accepts: {by_parse}, decode_*: {by_decode}"


class _Float(float):
    pass


# Python values that JSON never produces but a caller's dict may hold (Payload admits any
# Mapping): msgspec.convert and pydantic's strict mode disagree about them.
PYTHON_DISAGREEMENTS = [
    # msgspec takes any sequence/set for a list, pydantic's strict list only a list
    pytest.param("conf", {**MINIMAL_CONF, "basis_gates": ("x",)}, id="conf-tuple-basis_gates"),
    pytest.param("conf", {**MINIMAL_CONF, "coupling_map": [(0, 0)]}, id="conf-tuple-coupling"),
    pytest.param("conf", {**MINIMAL_CONF, "basis_gates": {"x"}}, id="conf-set-basis_gates"),
    pytest.param("conf", {**MINIMAL_CONF, "basis_gates": frozenset({"x"})},
                 id="conf-frozenset-basis_gates"),
    pytest.param("props", {**MINIMAL_PROPS, "gates": ()}, id="props-tuple-gates"),
    # msgspec takes any Mapping for an object, pydantic's strict models/dicts only a dict
    pytest.param("conf", types.MappingProxyType(MINIMAL_CONF), id="conf-mappingproxy-root"),
    pytest.param("conf", collections.UserDict(MINIMAL_CONF), id="conf-userdict-root"),
    pytest.param("conf", {**MINIMAL_CONF, "processor_type": types.MappingProxyType({})},
                 id="conf-mappingproxy-processor_type"),
    pytest.param("conf", {**MINIMAL_CONF, "timing_constraints": collections.UserDict(a=1)},
                 id="conf-userdict-timing_constraints"),
    # pydantic's strict float takes float subclasses (numpy.float64!), msgspec does not
    pytest.param("conf", {**MINIMAL_CONF, "dt": numpy.float64(2.2e-10)}, id="conf-numpy-dt"),
    pytest.param("conf", {**MINIMAL_CONF, "dt": _Float(2.2e-10)}, id="conf-float-subclass-dt"),
    pytest.param("props", {**MINIMAL_PROPS, "qubits": [[{"name": "T1", "unit": "us",
                                                         "value": numpy.float64(1.0)}]]},
                 id="props-numpy-value"),
]


@pytest.mark.parametrize(("kind", "payload"), PYTHON_DISAGREEMENTS)
def test_python_values_the_mirrors_disagree_on_are_decided_by_pydantic(
    kind: str, payload: Any
) -> None:
    """Raw msgspec and pydantic disagree on these, so dict input is judged by pydantic alone
    (a top-level Mapping is read as the dict it holds)."""
    struct, adapter = KINDS[kind]
    decode = decode_configuration if kind == "conf" else decode_properties
    as_dict = dict(payload)
    by_pydantic = _accepts(lambda: adapter.validate_python(as_dict), (pydantic.ValidationError,))
    by_qtargets = _accepts(lambda: decode(payload), (CalibrationError,))
    assert by_qtargets == by_pydantic, f"qtargets accepts: {by_qtargets}, pydantic: {by_pydantic}"
    if by_qtargets:
        assert isinstance(decode(payload), struct)


def test_nan_revision_as_a_dict_is_accepted_by_both() -> None:
    """A non-finite ``revision`` is fine (the field is not a FiniteNumber) when not in JSON."""
    payload = {**MINIMAL_CONF, "processor_type": {"revision": math.nan}}
    msgspec.convert(payload, WireConfiguration)
    models.configuration_adapter.validate_python(payload)


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        pytest.param("conf", MINIMAL_CONF, id="conf"),
        pytest.param("props", MINIMAL_PROPS, id="props"),
        pytest.param("conf", {**MINIMAL_CONF, "n_qubits": 2**70, "dt": 2**70}, id="conf-huge"),
        pytest.param("conf", {**MINIMAL_CONF, "dt": 2**1024 - 2**970 - 1}, id="conf-dt-max"),
        pytest.param("conf", {**MINIMAL_CONF, "dt": -0.0}, id="conf-negative-zero-dt"),
        pytest.param("conf", {**MINIMAL_CONF, "dt": 2**1024 - 2**970}, id="conf-dt-overflow"),
        pytest.param("conf", {**MINIMAL_CONF, "dt": math.nan}, id="conf-dt-nan"),
        pytest.param("conf", {**MINIMAL_CONF, "n_qubits": 3.0}, id="conf-float-count"),
        pytest.param("conf", {**MINIMAL_CONF, "n_qubits": "3"}, id="conf-string-count"),
        pytest.param("conf", {**MINIMAL_CONF, "simulator": 1}, id="conf-int-bool"),
        pytest.param("conf", {**MINIMAL_CONF, "processor_type": {"revision": True}},
                     id="conf-bool-revision"),
        pytest.param("conf", {**MINIMAL_CONF, "timing_constraints": {"granularity": 0}},
                     id="conf-zero-granularity"),
        pytest.param("props", {**MINIMAL_PROPS, "qubits": [[{"name": "T1", "unit": "us",
                                                             "value": "1.5"}]]},
                     id="props-string-value"),
        pytest.param("props", {**MINIMAL_PROPS, "qubits": [[{"name": "T1", "unit": "us",
                                                             "value": -math.inf}]]},
                     id="props-infinite-value"),
    ],
)
def test_edge_values_get_the_same_decision(kind: str, payload: dict[str, Any]) -> None:
    """Hand-picked boundaries, as dicts and as JSON text."""
    struct, adapter = KINDS[kind]
    by_msgspec = _accepts(lambda: msgspec.convert(payload, struct), (msgspec.ValidationError,))
    by_pydantic = _accepts(lambda: adapter.validate_python(payload), (pydantic.ValidationError,))
    assert by_msgspec == by_pydantic
    text = json.dumps(payload, allow_nan=True).encode()
    by_msgspec = _accepts(lambda: msgspec.json.decode(text, type=struct),
                          (msgspec.ValidationError, msgspec.DecodeError))
    by_pydantic = _accepts(lambda: adapter.validate_json(text), (pydantic.ValidationError,))
    assert by_msgspec == by_pydantic


# -- 1c. the fallback ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
@HYPOTHESIS
@given(data=st.data(), as_json=st.booleans())
def test_payloads_msgspec_rejects_raise_calibration_error(
    kind: str, data: st.DataObject, as_json: bool
) -> None:
    """What msgspec rejects goes to the pydantic fallback: a CalibrationError under the root.

    (If pydantic accepts it after all, which only a msgspec/pydantic disagreement allows, the
    fallback may accept it too; it still may not raise anything but a CalibrationError.)
    """
    struct, adapter = KINDS[kind]
    _, conf, props = _mutated(data, kind)
    payload = conf if kind == "conf" else props
    root = "configuration" if kind == "conf" else "properties"
    text = json.dumps(payload, allow_nan=True).encode()
    if as_json:
        rejected = not _accepts(lambda: msgspec.json.decode(text, type=struct),
                                (msgspec.ValidationError, msgspec.DecodeError))
        canonical = _accepts(lambda: adapter.validate_json(text), (pydantic.ValidationError,))
    else:
        rejected = not _accepts(lambda: msgspec.convert(payload, struct),
                                (msgspec.ValidationError,))
        canonical = _accepts(lambda: adapter.validate_python(payload),
                             (pydantic.ValidationError,))
    if not rejected:
        return  # nothing to fall back from (see the test below)
    args: tuple[Any, Any] = (conf, props)
    if as_json:
        args = (json.dumps(conf, allow_nan=True).encode(),
                json.dumps(props, allow_nan=True).encode())
    event(f"pydantic accepts what msgspec rejects: {canonical}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if canonical:
            _accepts(lambda: to_calibration(*args), (CalibrationError,))
            return
        with pytest.raises(CalibrationError) as info:
            to_calibration(*args)
    note(f"{info.value}")
    assert info.value.path.startswith(root), info.value.path
    assert info.value.path == root or info.value.path[len(root)] in ".[", info.value.path


@pytest.mark.parametrize("kind", list(KINDS))
@HYPOTHESIS
@given(data=st.data(), as_json=st.booleans())
def test_to_calibration_raises_nothing_but_calibration_error(
    kind: str, data: st.DataObject, as_json: bool
) -> None:
    """Beyond the fallback: whatever the payload, the only error is a CalibrationError."""
    _, conf, props = _mutated(data, kind)
    args: tuple[Any, Any] = (conf, props)
    if as_json:
        args = (json.dumps(conf, allow_nan=True), json.dumps(props, allow_nan=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        error: CalibrationError | None = None
        try:
            to_calibration(*args)
        except CalibrationError as exc:
            error = exc
    if error is not None:
        assert error.path.split(".")[0].split("[")[0] in ("configuration", "properties"), \
            error.path


MALFORMED_TEXTS = [
    pytest.param("conf", b"", id="empty"),
    pytest.param("conf", b"[]", id="array"),
    pytest.param("conf", _CONF_TEXT, id="truncated"),
    pytest.param("conf", _CONF_TEXT + b"} x", id="trailing-junk"),
    pytest.param("conf", _CONF_TEXT + b', "dt": NaN}', id="NaN-dt"),
    pytest.param("conf", _CONF_TEXT + b', "unknown": "a\x01"}', id="control-character"),
    pytest.param("conf", b'{"backend_name": "\xff", "n_qubits": 1, "basis_gates": ["x"]}',
                 id="invalid-utf8-in-backend_name"),
    pytest.param("props", _PROPS_TEXT + b', "qubits": [[{"name": "T1", "unit": "\xb5s",'
                 b' "value": 1.0}]]}', id="invalid-utf8-in-unit"),
    pytest.param("conf", _CONF_TEXT.decode() + ', "backend_version": "\ud800"}',
                 id="str-text-with-lone-surrogate"),
    pytest.param("conf", _CONF_TEXT + b', "unknown": ' + _deep(1000) + b"}",
                 id="unknown-field-nested-1000-deep"),
]


@pytest.mark.parametrize(("kind", "text"), MALFORMED_TEXTS)
def test_malformed_json_text_raises_calibration_error(kind: str, text: bytes | str) -> None:
    """Text that is not JSON pydantic reads: a CalibrationError, never a decoder's exception."""
    conf: Any = text if kind == "conf" else _base("vigo")[0]
    props: Any = text if kind == "props" else None
    root = "configuration" if kind == "conf" else "properties"
    with pytest.raises(CalibrationError) as info:
        to_calibration(conf, props)
    assert info.value.path.startswith(root)


def test_fallback_names_the_path_pydantic_finds() -> None:
    conf = copy.deepcopy(_base("vigo")[0])
    conf["gates"][2]["coupling_map"][0][0] = -1
    with pytest.raises(CalibrationError) as info:
        to_calibration(conf)
    assert info.value.path == "configuration.gates[2].coupling_map[0][0]"
    props = copy.deepcopy(_base("vigo")[1])
    props["qubits"][3][1]["value"] = "12.5"
    with pytest.raises(CalibrationError) as info:
        to_calibration(_base("vigo")[0], json.dumps(props))
    assert info.value.path == "properties.qubits[3][1].value"


# -- 1d. both paths decode the same values ------------------------------------------------------


def _assert_same(ours: Any, theirs: Any, path: str) -> None:
    """``ours`` from pydantic (model or TypedDict dict), ``theirs`` from msgspec."""
    if isinstance(theirs, msgspec.Struct):
        for f in msgspec.structs.fields(type(theirs)):
            if isinstance(ours, dict):  # a TypedDict lacks the optional keys not sent
                value = ours[f.name] if f.required or f.name in ours else f.default
            else:
                value = getattr(ours, f.name)
            _assert_same(value, getattr(theirs, f.name), f"{path}.{f.name}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list), path
        assert len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _assert_same(a, b, f"{path}[{i}]")
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict), path
        assert list(ours) == list(theirs), path
        for key in theirs:
            _assert_same(ours[key], theirs[key], f"{path}[{key!r}]")
    else:
        assert type(ours) is type(theirs), f"{path}: {ours!r} != {theirs!r}"
        assert ours == theirs, f"{path}: {ours!r} != {theirs!r}"


@pytest.mark.parametrize("snap", SNAPSHOTS, ids=lambda s: s.id)
def test_both_paths_decode_the_same_values(snap: Snapshot) -> None:
    conf, props = snap.conf(), snap.props()
    _assert_same(parse_configuration(conf), decode_configuration(conf), "configuration")
    _assert_same(parse_properties(props), decode_properties(props), "properties")
    conf_bytes, props_bytes = snap.conf_path.read_bytes(), snap.props_path.read_bytes()
    _assert_same(parse_configuration(conf_bytes), decode_configuration(conf_bytes),
                 "configuration")
    _assert_same(parse_properties(props_bytes), decode_properties(props_bytes), "properties")
    # what from_ibm decodes: the same, general and general_qlists left unread
    _assert_same(parse_properties(props_bytes), decode_target_properties(props_bytes),
                 "properties")
    _assert_same(parse_properties(props), decode_target_properties(props), "properties")
