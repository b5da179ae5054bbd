"""The pydantic models of the IBM REST responses: ``/status``, ``/v1/backends``, and the
``/configuration`` + ``/properties`` parsers on real snapshots.

Example bodies follow the ``BackendStatusResponse`` and ``BackendsResponse`` schemas of the
Qiskit Runtime backends API (``/work/shared/specs/ibm-runtime-backends-openapi.txt``).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import ValidationError

from qtargets import CalibrationError
from qtargets.ibm import (
    BackendConfiguration,
    BackendsResponse,
    BackendStatus,
    backends_adapter,
    parse_configuration,
    parse_properties,
    status_adapter,
)
from qtargets.ibm.convert import parse_configuration as convert_parse_configuration
from qtargets.ibm.convert import parse_properties as convert_parse_properties

from reference import Snapshot, snapshots

# -- /v1/backends/{id}/status -------------------------------------------------------------------

STATUS = {
    "state": True,
    "status": "active",
    "message": "",
    "length_queue": 3,
    "backend_version": "1.2.8",
}


def test_status_parses_a_real_shaped_body() -> None:
    status = status_adapter.validate_python(STATUS)
    assert isinstance(status, BackendStatus)
    assert status.state is True
    assert status.status == "active"
    assert status.message == ""
    assert status.length_queue == 3
    assert status.backend_version == "1.2.8"


def test_status_parses_json_text() -> None:
    body = json.dumps(STATUS)
    assert status_adapter.validate_json(body) == status_adapter.validate_python(STATUS)
    assert status_adapter.validate_json(body.encode()).length_queue == 3


def test_status_of_a_paused_backend() -> None:
    body = {"state": False, "status": "internal", "message": "Calibrating",
            "length_queue": 0, "backend_version": "2.0.3"}
    status = status_adapter.validate_json(json.dumps(body))
    assert status.state is False
    assert status.message == "Calibrating"
    assert status.length_queue == 0


def test_status_needs_only_length_queue() -> None:
    status = status_adapter.validate_python({"length_queue": 0})
    assert status.length_queue == 0
    assert (status.state, status.status, status.message, status.backend_version) == \
        (None, None, None, None)


def test_status_ignores_unknown_fields() -> None:
    body = {**STATUS, "uptime": 12.5, "maintenance": {"window": "sunday"}, "state_reason": None}
    status = status_adapter.validate_json(json.dumps(body))
    assert status == status_adapter.validate_python(STATUS)
    assert not hasattr(status, "uptime")
    assert status.model_extra in (None, {})


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"length_queue": -1}, id="negative-length_queue"),
        pytest.param({"length_queue": "3"}, id="string-length_queue"),
        pytest.param({"length_queue": 3.0}, id="float-length_queue"),
        pytest.param({"length_queue": True}, id="bool-length_queue"),
        pytest.param({"length_queue": None}, id="null-length_queue"),
        pytest.param({"state": "true"}, id="string-state"),
        pytest.param({"state": 1}, id="int-state"),
        pytest.param({"status": 5}, id="int-status"),
        pytest.param({"backend_version": 1.2}, id="number-backend_version"),
    ],
)
def test_status_rejects_wrong_types(change: dict[str, Any]) -> None:
    body = {**STATUS, **change}
    with pytest.raises(ValidationError):
        status_adapter.validate_python(body)
    with pytest.raises(ValidationError):
        status_adapter.validate_json(json.dumps(body))


def test_status_rejects_a_missing_length_queue() -> None:
    body = {k: v for k, v in STATUS.items() if k != "length_queue"}
    with pytest.raises(ValidationError) as info:
        status_adapter.validate_python(body)
    assert info.value.errors()[0]["loc"] == ("length_queue",)
    assert info.value.errors()[0]["type"] == "missing"


@pytest.mark.parametrize("body", [[], "active", None, 3])
def test_status_rejects_a_body_that_is_not_an_object(body: Any) -> None:
    with pytest.raises(ValidationError):
        status_adapter.validate_python(body)


def test_status_is_frozen() -> None:
    status = status_adapter.validate_python(STATUS)
    with pytest.raises(ValidationError):
        status.length_queue = 4  # type: ignore[misc]


# -- /v1/backends -------------------------------------------------------------------------------

BACKENDS: dict[str, Any] = {
    "devices": [
        {
            "name": "ibm_fez",
            "status": {"name": "online"},
            "is_simulator": False,
            "qubits": 156,
            "clops": {"type": "hardware", "value": 195000},
            "processor_type": {"family": "Heron", "revision": "2", "segment": None},
            "queue_length": 12,
            "performance_metrics": {
                "two_q_error_best": {"value": 0.00123, "unit": ""},
                "two_q_error_layered": {"value": 0.0048, "unit": "", "layer_size": 100},
                "two_q_error_median": {"value": 0.0029, "unit": ""},
                "readout_error_median": {"value": 0.0132, "unit": ""},
            },
            "wait_time_seconds": {"average": 420, "p50": 300, "p95": 1800},
        },
        {
            "name": "ibm_torino",
            "status": {"name": "paused", "reason": "Calibrating"},
            "is_simulator": False,
            "qubits": 133,
            "clops": {"type": "virtual", "value": "210K"},
            "processor_type": {"family": "Heron", "revision": "1"},
            "queue_length": 0,
            "performance_metrics": {"two_q_error_best": {"value": 0.0021, "unit": ""}},
            "wait_time_seconds": None,
        },
        {
            "name": "ibm_brisbane",
            "status": {"name": "offline", "reason": "Maintenance"},
            "is_simulator": False,
            "qubits": 127,
            "clops": None,
            "processor_type": {"family": "Eagle", "revision": "3", "segment": "r3"},
            "queue_length": 4021,
        },
        {
            "name": "simulator_stabilizer",
            "status": {"name": "online"},
            "is_simulator": True,
            "qubits": None,
            "processor_type": None,
            "queue_length": 0,
        },
    ]
}


def test_backends_parses_a_real_shaped_body() -> None:
    response = backends_adapter.validate_python(BACKENDS)
    assert isinstance(response, BackendsResponse)
    assert [d.name for d in response.devices] == \
        ["ibm_fez", "ibm_torino", "ibm_brisbane", "simulator_stabilizer"]
    fez, torino, brisbane, simulator = response.devices
    assert fez.status.name == "online"
    assert fez.status.reason is None
    assert fez.is_simulator is False
    assert fez.qubits == 156
    assert fez.queue_length == 12
    assert fez.processor_type is not None
    assert (fez.processor_type.family, fez.processor_type.revision,
            fez.processor_type.segment) == ("Heron", "2", None)
    assert (torino.status.name, torino.status.reason) == ("paused", "Calibrating")
    assert (brisbane.status.name, brisbane.status.reason) == ("offline", "Maintenance")
    assert brisbane.queue_length == 4021
    assert simulator.is_simulator is True
    assert simulator.qubits is None
    assert simulator.processor_type is None


def test_backends_parses_json_text() -> None:
    text = json.dumps(BACKENDS)
    assert backends_adapter.validate_json(text) == backends_adapter.validate_python(BACKENDS)
    assert backends_adapter.validate_json(text.encode()).devices[2].name == "ibm_brisbane"


def test_backends_ignores_fields_it_does_not_model() -> None:
    """performance_metrics, clops and anything new are read past (wait_time_seconds is
    modelled: `qtargets list` shows it)."""
    response = backends_adapter.validate_python(BACKENDS)
    fez = response.devices[0]
    for name in ("performance_metrics", "clops"):
        assert not hasattr(fez, name)
    assert fez.wait_time_seconds is not None
    assert fez.wait_time_seconds.p95 == 1800
    body = copy.deepcopy(BACKENDS)
    body["next_page"] = "abc"
    body["devices"][0]["status"]["since"] = "2025-01-01T00:00:00Z"
    body["devices"][0]["processor_type"]["node"] = 7
    body["devices"][0]["brand_new_field"] = [1, {"x": None}]
    assert backends_adapter.validate_json(json.dumps(body)) == response


def test_backends_device_needs_only_name_status_and_queue_length() -> None:
    body = {"devices": [{"name": "ibm_x", "status": {"name": "online"}, "queue_length": 0}]}
    (device,) = backends_adapter.validate_python(body).devices
    assert device.name == "ibm_x"
    assert (device.is_simulator, device.qubits, device.processor_type) == (None, None, None)


@pytest.mark.parametrize("status", ["online", "paused", "offline"])
def test_backends_keeps_each_documented_status(status: str) -> None:
    body = {"devices": [{"name": "ibm_x", "status": {"name": status}, "queue_length": 1}]}
    assert backends_adapter.validate_python(body).devices[0].status.name == status


def test_backends_accepts_a_numeric_processor_revision() -> None:
    """Real configurations hold revisions such as 3 and 1.2 as numbers (the models allow it)."""
    body = {"devices": [{"name": "ibm_x", "status": {"name": "online"}, "queue_length": 1,
                         "processor_type": {"family": "Falcon", "revision": 4}}]}
    device = backends_adapter.validate_json(json.dumps(body)).devices[0]
    assert device.processor_type is not None
    assert device.processor_type.revision == 4


def _device(**change: Any) -> dict[str, Any]:
    device = copy.deepcopy(BACKENDS["devices"][0])
    for key, value in change.items():
        if value is _MISSING:
            del device[key]
        else:
            device[key] = value
    return {"devices": [device]}


_MISSING = object()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="no-devices"),
        pytest.param({"devices": None}, id="null-devices"),
        pytest.param({"devices": {"name": "ibm_x"}}, id="devices-object"),
        pytest.param(_device(name=_MISSING), id="missing-name"),
        pytest.param(_device(status=_MISSING), id="missing-status"),
        pytest.param(_device(queue_length=_MISSING), id="missing-queue_length"),
        pytest.param(_device(status={"reason": "x"}), id="status-without-name"),
        pytest.param(_device(status="online"), id="status-as-string"),
        pytest.param(_device(queue_length=-1), id="negative-queue_length"),
        pytest.param(_device(queue_length="12"), id="string-queue_length"),
        pytest.param(_device(queue_length=1.5), id="float-queue_length"),
        pytest.param(_device(qubits=-5), id="negative-qubits"),
        pytest.param(_device(qubits="156"), id="string-qubits"),
        pytest.param(_device(is_simulator="false"), id="string-is_simulator"),
        pytest.param(_device(name=None), id="null-name"),
        pytest.param(_device(name=7), id="int-name"),
        pytest.param(_device(processor_type={"family": 3}), id="int-family"),
        pytest.param(_device(processor_type="Heron"), id="processor_type-as-string"),
    ],
)
def test_backends_rejects_invalid_bodies(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        backends_adapter.validate_python(body)
    with pytest.raises(ValidationError):
        backends_adapter.validate_json(json.dumps(body))


def test_backends_error_locates_the_bad_device() -> None:
    body = copy.deepcopy(BACKENDS)
    body["devices"][2]["queue_length"] = -3
    with pytest.raises(ValidationError) as info:
        backends_adapter.validate_python(body)
    assert info.value.errors()[0]["loc"] == ("devices", 2, "queue_length")


# -- /configuration and /properties on real snapshots -------------------------------------------

SNAPSHOTS = snapshots()

EXPECTED = {
    # snapshot id: (backend_name, n_qubits)
    "armonk": ("ibmq_armonk", 1),
    "yorktown": ("ibmqx2", 5),
    "vigo": ("ibmq_vigo", 5),
    "lagos": ("ibm_lagos", 7),
    "melbourne": ("ibmq_16_melbourne", 15),
    "montreal": ("ibmq_montreal", 27),
    "prague": ("ibm_prague", 33),
    "rochester": ("ibmq_rochester", 53),
    "manhattan": ("ibmq_manhattan", 65),
    "nighthawk": ("fake_nighthawk", 120),
    "washington": ("ibm_washington", 127),
    "torino": ("ibm_torino", 133),
    "fez": ("ibm_fez", 156),
    "fractional": ("fake_fractional", 5),
}


def _snap(name: str) -> Snapshot:
    return next(s for s in SNAPSHOTS if s.id == name)


def test_the_package_exports_the_convert_parsers() -> None:
    assert parse_configuration is convert_parse_configuration
    assert parse_properties is convert_parse_properties


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items(), ids=list(EXPECTED))
def test_known_snapshots_parse_to_the_expected_device(
    name: str, expected: tuple[str, int]
) -> None:
    backend_name, n_qubits = expected
    snap = _snap(name)
    conf = parse_configuration(snap.conf())
    assert isinstance(conf, BackendConfiguration)
    assert (conf.backend_name, conf.n_qubits) == (backend_name, n_qubits)
    props = parse_properties(snap.props_path.read_bytes())
    assert props["backend_name"] == backend_name
    assert len(props["qubits"]) == n_qubits


@pytest.mark.parametrize("snap", SNAPSHOTS, ids=lambda s: s.id)
def test_every_snapshot_parses(snap: Snapshot) -> None:
    raw_conf, raw_props = snap.conf(), snap.props()
    conf = parse_configuration(snap.conf_path.read_bytes())
    assert conf == parse_configuration(raw_conf)
    assert conf.backend_name == raw_conf["backend_name"]
    assert conf.n_qubits == raw_conf["n_qubits"] == len(raw_props["qubits"])
    assert conf.basis_gates == raw_conf["basis_gates"]
    props = parse_properties(raw_props)
    assert props["backend_name"] == conf.backend_name
    assert len(props["qubits"]) == conf.n_qubits
    assert len(props["gates"]) == len(raw_props["gates"])
    # ``general`` is modelled (layer fidelities, couplers), each number's ``date`` is dropped
    assert props.get("general") == [{k: v for k, v in nduv.items() if k != "date"}
                                     for nduv in raw_props["general"]]
    assert props.get("general_qlists") == raw_props.get("general_qlists")
    assert all("date" not in nduv for qubit in props["qubits"] for nduv in qubit)


def test_parse_configuration_reports_a_bad_field_as_calibration_error() -> None:
    conf = _snap("vigo").conf()
    conf["n_qubits"] = -5
    with pytest.raises(CalibrationError) as info:
        parse_configuration(conf)
    assert info.value.path == "configuration.n_qubits"
    assert info.value.value == -5


def test_parse_properties_reports_a_bad_field_as_calibration_error() -> None:
    props = _snap("vigo").props()
    props["qubits"][2][0]["value"] = "fast"
    with pytest.raises(CalibrationError) as info:
        parse_properties(json.dumps(props))
    assert info.value.path == "properties.qubits[2][0].value"


def test_parse_configuration_rejects_a_missing_required_field() -> None:
    conf = _snap("vigo").conf()
    del conf["basis_gates"]
    with pytest.raises(CalibrationError) as info:
        parse_configuration(conf)
    assert info.value.path == "configuration.basis_gates"
    assert "missing" in info.value.reason
