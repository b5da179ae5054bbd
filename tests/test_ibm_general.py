"""IBM's device-wide numbers (``properties.general``) end to end.

* ``lf_N`` becomes a :class:`~qtargets.model.LayerFidelity` of an N-qubit chain, the chain
  (in order) from ``general_qlists``; EPLG = 1 - LF^(1/(N - 1)) (McKay et al.,
  arXiv:2311.05933).
* ``jq_<a><b>``/``zz_<a><b>`` (GHz) become a :class:`~qtargets.model.CouplerCalibration` of
  the coupler a-b, in Hz; names that run two indices together are read against the coupling
  map, lower index first, and one that fits no coupler or two is left out with a warning.
* A malformed entry is a ``CalibrationError`` naming its path; ``from_ibm`` (a Target holds
  none of these numbers) neither reads nor checks them.
* They survive JSON, the store and the bundled files, and ``show``, ``diff`` and
  ``to_networkx`` use them.

Numbers are IBM's, from the snapshots qiskit-ibm-runtime ships (ibm_boston and ibm_kingston,
Heron r3, April 2026; ibm_kyoto, Eagle r3; ibm_melbourne, 2021).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import warnings
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import qtargets
from apiserver import FakeVendorServer
from qtargets import Calibration, CalibrationError, QTargetsWarning
from qtargets.cli import app
from qtargets.diff import diff_calibrations
from qtargets.graphs import to_networkx
from qtargets.ibm import from_ibm, to_calibration
from qtargets.model import CouplerCalibration, LayerFidelity
from qtargets.store import CalibrationStore
from qtargets.summary import summarize

from reference import Snapshot, snapshots, target_differences

SNAPSHOTS = snapshots()
GHZ = 1e9
runner = CliRunner()


def snap(name: str) -> Snapshot:
    return next(s for s in SNAPSHOTS if s.id == name)


def convert(name: str, props: dict[str, Any] | None = None) -> Calibration:
    s = snap(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. old snapshots' unknown qubit properties
        return to_calibration(s.conf(), props if props is not None else s.props())


@pytest.fixture(scope="module")
def boston() -> Calibration:
    return convert("boston")


def layer(cal: Calibration, size: int) -> LayerFidelity:
    return next(lf for lf in cal.layer_fidelities if lf.num_qubits == size)


def coupler(cal: Calibration, a: int, b: int) -> CouplerCalibration:
    return next(c for c in cal.couplers if c.qubits == (a, b))


# -- layer fidelities ------------------------------------------------------------------------


def test_boston_has_a_layer_fidelity_for_every_chain_length_from_4_to_100(
        boston: Calibration) -> None:
    assert [lf.num_qubits for lf in boston.layer_fidelities] == list(range(4, 101))


def test_a_layer_fidelity_keeps_its_chain_in_order(boston: Calibration) -> None:
    lf4 = layer(boston, 4)
    assert lf4.fidelity == 0.9956090392335768
    assert lf4.qubits == (35, 19, 15, 14)  # general_qlists' "lf_4", not sorted
    lf100 = layer(boston, 100)
    assert lf100.fidelity == 0.7610317565867392
    assert lf100.qubits is not None
    assert lf100.qubits[:6] == (8, 7, 6, 5, 4, 3)
    assert len(lf100.qubits) == 100


def test_kingston_chains_are_its_own() -> None:
    kingston = convert("kingston")
    assert layer(kingston, 4).qubits == (12, 13, 14, 15)
    assert layer(kingston, 4).fidelity == 0.9942854997173821
    assert layer(kingston, 100).fidelity == 0.6514528361483042
    lf100 = layer(kingston, 100).qubits
    assert lf100 is not None
    assert lf100[:6] == (140, 141, 142, 143, 136, 123)


def test_every_chain_runs_along_couplers(boston: Calibration) -> None:
    coupled = {frozenset(pair) for pair in boston.edges}
    for lf in boston.layer_fidelities:
        assert lf.qubits is not None
        assert all(frozenset(p) in coupled for p in zip(lf.qubits, lf.qubits[1:], strict=False)), lf


def test_eplg_is_one_minus_lf_to_the_one_over_the_number_of_two_qubit_gates() -> None:
    lf100 = LayerFidelity(100, 0.7610317565867392)
    assert lf100.num_two_qubit_gates == 99
    assert lf100.eplg == 1 - 0.7610317565867392 ** (1 / 99)
    assert lf100.eplg == pytest.approx(2.7545e-3, rel=1e-4)
    assert LayerFidelity(2, 0.99).eplg == pytest.approx(0.01)  # one gate: EPLG = 1 - LF
    assert LayerFidelity(5, 1.0).eplg == 0.0
    assert LayerFidelity(5, 0.0).eplg == 1.0


def test_an_lf_without_a_chain_in_general_qlists_keeps_no_chain() -> None:
    """ibm_kyoto lists lf_2, lf_4, ... lf_100 but the chain of lf_100 only: none is guessed."""
    kyoto = convert("kyoto")
    assert [lf.num_qubits for lf in kyoto.layer_fidelities] == list(range(2, 101, 2))
    assert layer(kyoto, 2).qubits is None
    assert layer(kyoto, 2).fidelity == 0.9923864961317236
    assert layer(kyoto, 100).fidelity == 0.02701590644233078
    chain = layer(kyoto, 100).qubits
    assert chain is not None
    assert chain[:4] == (67, 68, 69, 70)


# -- couplers --------------------------------------------------------------------------------


def test_coupler_numbers_are_in_hertz_on_the_pair_their_name_gives(boston: Calibration) -> None:
    c = coupler(boston, 72, 73)  # jq_7273, zz_7273
    assert c.coupling == 0.0006185300246537038 * GHZ
    assert c.static_zz == 3.66055371756549e-06 * GHZ
    c = coupler(boston, 7, 17)  # jq_717: 7-17, not 71-7 (no such coupler)
    assert c.coupling == 0.0005627110854320855 * GHZ
    assert c.static_zz == 4.304880108994665e-06 * GHZ


def test_every_coupler_of_boston_has_its_numbers(boston: Calibration) -> None:
    assert {c.qubits for c in boston.couplers} == {(min(p), max(p)) for p in boston.edges}
    assert len(boston.couplers) == 176
    assert all(c.coupling is not None and c.static_zz is not None for c in boston.couplers)


def test_zeros_are_kept_as_reported() -> None:
    """ibm_kingston reports 0 for jq_717 and zz_717; ibm_fez for every coupler."""
    kingston = convert("kingston")
    assert coupler(kingston, 7, 17) == CouplerCalibration((7, 17), 0.0, 0.0)
    fez = convert("fez")
    assert {(c.coupling, c.static_zz) for c in fez.couplers} == {(0.0, 0.0)}


@pytest.mark.parametrize("s", [s for s in SNAPSHOTS if s.props().get("general")],
                         ids=lambda s: s.id)
def test_every_name_in_every_real_snapshot_resolves_without_a_warning(s: Snapshot) -> None:
    props = s.props()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cal = to_calibration(s.conf(), props)
    assert not [w for w in caught if "general" in str(w.message)]
    names = {e["name"][3:] for e in props["general"] if e["name"][:3] in ("jq_", "zz_")}
    assert len(cal.couplers) == len(names)
    sizes = {int(e["name"][3:]) for e in props["general"] if e["name"].startswith("lf_")}
    assert {lf.num_qubits for lf in cal.layer_fidelities} == sizes
    assert Calibration(**{f.name: getattr(cal, f.name)
                          for f in dataclasses.fields(Calibration)}) == cal  # passes _check


def test_a_name_two_couplers_share_is_read_lower_index_first() -> None:
    """ibm_melbourne couples 1-13 and 3-11: "113" is 1-13 written lower first (11-3 written
    higher first); 3-11 is "311"."""
    melbourne = convert("melbourne")
    props = snap("melbourne").props()
    named = {e["name"] for e in props["general"]}
    assert {"jq_113", "jq_311"} <= named
    assert {(1, 13), (3, 11)} <= {c.qubits for c in melbourne.couplers}
    assert len(melbourne.couplers) == 20


def _with_general(name: str, *entries: dict[str, Any], **changes: Any) -> dict[str, Any]:
    props = copy.deepcopy(snap(name).props())
    props["general"] = [*props.get("general", []), *entries]
    props.update(changes)
    return props


def _entry(name: str, value: Any, unit: str = "GHz") -> dict[str, Any]:
    return {"date": "2026-04-17T12:19:24+02:00", "name": name, "unit": unit, "value": value}


def test_a_name_two_couplers_read_alike_is_left_out_with_a_warning() -> None:
    """Boston's real jq_1112 is 11-12; on a device also coupling 1-112 it could be either."""
    s = snap("boston")
    conf = s.conf()
    conf["coupling_map"].append([1, 112])
    props = s.props()
    index = next(i for i, e in enumerate(props["general"]) if e["name"] == "jq_1112")
    with pytest.warns(QTargetsWarning) as caught:
        cal = to_calibration(conf, props)
    messages = [str(w.message) for w in caught]
    assert (f"properties.general[{index}].name: 'jq_1112' could name the coupler 1-112 or "
            "11-12; it is left out") in messages
    assert not {(1, 112), (11, 12)} & {c.qubits for c in cal.couplers}
    assert coupler(convert("boston"), 11, 12).coupling == props["general"][index]["value"] * GHZ


def test_a_name_that_is_no_coupler_is_left_out_with_a_warning() -> None:
    props = _with_general("boston", _entry("zz_9999", 1e-6))
    with pytest.warns(QTargetsWarning, match=r"properties\.general\[449\]\.name: 'zz_9999' "
                                             r"names no coupled pair"):
        cal = to_calibration(snap("boston").conf(), props)
    assert len(cal.couplers) == 176


def test_names_without_a_coupling_map_are_one_warning_with_a_count() -> None:
    conf = snap("boston").conf()
    del conf["coupling_map"]
    conf["basis_gates"] = [g for g in conf["basis_gates"] if g != "cz"]  # no 2q pairs left
    with pytest.warns(QTargetsWarning) as caught:
        cal = to_calibration(conf, snap("boston").props())
    messages = [str(w.message) for w in caught if "coupled pair" in str(w.message)]
    assert messages == ["properties.general[0].name: 'jq_7273' names no coupled pair of "
                        "qubits (in the configuration's coupling_map); it is left out, as are "
                        "351 more such names"]
    assert cal.couplers == ()
    assert len(cal.layer_fidelities) == 97


def test_an_unknown_general_name_is_a_warning() -> None:
    props = _with_general("boston", _entry("eplg_100", 0.003, unit=""))
    with pytest.warns(QTargetsWarning, match=r"general\[449\]\.name: unknown property "
                                             r"'eplg_100' is ignored"):
        to_calibration(snap("boston").conf(), props)


def test_a_repeated_entry_with_another_value_keeps_the_later_one_with_a_warning() -> None:
    props = _with_general("boston", _entry("zz_7273", 5e-6))
    with pytest.warns(QTargetsWarning, match=r"general\[449\]: zz_7273 is also at "
                                             r"properties\.general\[1\]"):
        cal = to_calibration(snap("boston").conf(), props)
    assert coupler(cal, 72, 73).static_zz == 5e-6 * GHZ


def test_a_frequency_in_another_unit_is_converted() -> None:
    props = copy.deepcopy(snap("boston").props())
    props["general"][1].update(unit="MHz", value=3.66)  # zz_7273
    cal = to_calibration(snap("boston").conf(), props)
    assert coupler(cal, 72, 73).static_zz == pytest.approx(3.66e6)


def test_a_chain_list_for_no_number_is_a_warning() -> None:
    props = _with_general("boston", general_qlists=[
        *snap("boston").props()["general_qlists"], {"name": "lf_200", "qubits": [0, 1]}])
    with pytest.warns(QTargetsWarning, match=r"general_qlists\[97\]: no number in "
                                             r"properties\.general is called 'lf_200'"):
        to_calibration(snap("boston").conf(), props)


# -- malformed entries ---------------------------------------------------------------------


def _set(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    props = copy.deepcopy(snap("boston").props())
    node: Any = props
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return props


LF4 = 0  # index of lf_4 in boston's general_qlists
LF4_ENTRY = next(i for i, e in enumerate(snap("boston").props()["general"])
                 if e["name"] == "lf_4")

MALFORMED: dict[str, tuple[dict[str, Any], str]] = {
    "value not a number": (_set(("general", 3, "value"), "x"), "properties.general[3].value"),
    "value NaN": (_set(("general", 3, "value"), math.nan), "properties.general[3].value"),
    "name not a string": (_set(("general", 3, "name"), 7), "properties.general[3].name"),
    "entry not an object": (_set(("general", 5), [1]), "properties.general[5]"),
    "general not a list": (_set(("general",), {"lf_4": 0.9}), "properties.general"),
    "coupler unit not a frequency": (_set(("general", 0, "unit"), "us"),
                                     "properties.general[0].unit"),
    "coupler value overflows in hertz": (_set(("general", 0, "value"), 1e300),
                                         "properties.general[0].value"),
    "fidelity above one": (_set(("general", LF4_ENTRY, "value"), 1.5),
                           f"properties.general[{LF4_ENTRY}].value"),
    "fidelity with a unit": (_set(("general", LF4_ENTRY, "unit"), "GHz"),
                             f"properties.general[{LF4_ENTRY}].unit"),
    "chain of one qubit": (_set(("general", LF4_ENTRY, "name"), "lf_1"),
                           f"properties.general[{LF4_ENTRY}].name"),
    "chain longer than the device": (_set(("general", LF4_ENTRY, "name"), "lf_157"),
                                     f"properties.general[{LF4_ENTRY}].name"),
    "chain qubit past the device": (_set(("general_qlists", LF4, "qubits", 2), 156),
                                    f"properties.general_qlists[{LF4}].qubits[2]"),
    "chain qubit not an integer": (_set(("general_qlists", LF4, "qubits", 2), 1.5),
                                   f"properties.general_qlists[{LF4}].qubits[2]"),
    "chain visits a qubit twice": (_set(("general_qlists", LF4, "qubits"), [35, 19, 35, 14]),
                                   f"properties.general_qlists[{LF4}].qubits"),
    "chain of the wrong length": (_set(("general_qlists", LF4, "qubits"), [35, 19, 15]),
                                  f"properties.general_qlists[{LF4}].qubits"),
    "chain list without a name": (_set(("general_qlists", LF4), {"qubits": [35, 19]}),
                                  f"properties.general_qlists[{LF4}].name"),
}


@pytest.mark.parametrize("as_text", [False, True], ids=["dict", "json"])
@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_a_malformed_entry_is_a_calibration_error_naming_its_path(case: str,
                                                                  as_text: bool) -> None:
    props, path = MALFORMED[case]
    payload: Any = json.dumps(props).encode() if as_text else props
    with pytest.raises(CalibrationError) as info:
        to_calibration(snap("boston").conf(), payload)
    assert info.value.path == path, str(info.value)
    assert str(info.value).startswith(f"{path}: ")


def test_the_error_for_a_bad_value_says_what_was_wrong() -> None:
    with pytest.raises(CalibrationError) as info:
        to_calibration(snap("boston").conf(), MALFORMED["value not a number"][0])
    assert str(info.value) == "properties.general[3].value: expected a number, got 'x'"


@pytest.mark.parametrize("case", ["value not a number", "general not a list",
                                  "chain qubit past the device", "fidelity above one"])
def test_from_ibm_neither_reads_nor_checks_general(case: str) -> None:
    """A Target holds none of these numbers: from_ibm's Target is the same without them."""
    props, _ = MALFORMED[case]
    s = snap("boston")
    expected = from_ibm(s.conf_path.read_bytes(), s.props_path.read_bytes())
    for payload in (props, json.dumps(props).encode()):
        assert target_differences(from_ibm(s.conf(), payload), expected) == []


# -- the neutral model ---------------------------------------------------------------------


def test_a_calibration_with_layers_and_couplers_round_trips_through_json(
        boston: Calibration) -> None:
    back = Calibration.from_json(boston.to_json())
    assert back == boston
    assert back.layer_fidelities == boston.layer_fidelities
    assert isinstance(back.couplers[0], CouplerCalibration)
    data = json.loads(boston.to_json())
    assert data["schema_version"] == 2
    assert data["layer_fidelities"][0] == {"num_qubits": 4, "fidelity": 0.9956090392335768,
                                           "qubits": [35, 19, 15, 14]}
    assert [0, 1] in [c[0] for c in data["couplers"]]


def test_a_version_1_file_still_loads_with_no_layers_or_couplers(boston: Calibration) -> None:
    data = json.loads(boston.to_json())
    for key in ("layer_fidelities", "couplers"):
        del data[key]
    data["schema_version"] = 1
    old = Calibration.from_json(json.dumps(data))
    assert (old.layer_fidelities, old.couplers, old.schema_version) == ((), (), 2)
    assert old == dataclasses.replace(boston, layer_fidelities=(), couplers=())


def test_a_newer_version_is_refused_naming_the_versions_this_one_reads(
        boston: Calibration) -> None:
    data = json.loads(boston.to_json())
    data["schema_version"] = 3
    with pytest.raises(CalibrationError) as info:
        Calibration.from_json(json.dumps(data))
    assert info.value.path == "calibration.schema_version"
    assert "reads versions 1 to 2" in str(info.value)


def test_other_vendors_have_none_and_load_as_before() -> None:
    aria = qtargets.load_calibration("qpu.aria-1")  # a version-1 file, bundled
    assert (aria.layer_fidelities, aria.couplers) == ((), ())


# -- bundled, store ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["boston", "fez", "torino", "sherbrooke", "miami"])
def test_bundled_calibrations_carry_the_numbers_of_their_snapshot(name: str) -> None:
    bundled = qtargets.load_calibration(f"ibm_{name}")
    fresh = convert(name)
    assert bundled.layer_fidelities == fresh.layer_fidelities
    assert bundled.couplers == fresh.couplers
    assert len(bundled.layer_fidelities) == 97


def test_a_stored_calibration_reads_back_with_its_layers_and_couplers(
        tmp_path: Path, boston: Calibration) -> None:
    s = snap("boston")
    raw = {"configuration": s.conf_path.read_bytes(), "properties": s.props_path.read_bytes()}
    with CalibrationStore(tmp_path / "store.sqlite3") as store:
        saved = store.save(boston, raw=raw)
        back = store.load(saved)
        kept = store.raw(saved)
        again = to_calibration(kept["configuration"], kept["properties"])  # converted again
    assert back.layer_fidelities == boston.layer_fidelities
    assert back.couplers == boston.couplers
    assert again.layer_fidelities == boston.layer_fidelities
    assert again.couplers == boston.couplers


def test_a_live_fetch_keeps_them_and_stores_them(monkeypatch: pytest.MonkeyPatch,
                                                  boston: Calibration) -> None:
    with FakeVendorServer(ibm_backends=("boston",)) as server:
        for name, value in server.client_environment().items():
            monkeypatch.setenv(name, value)
        live = qtargets.calibration("ibm_boston", live=True)
        assert live.provenance.source.startswith(server.ibm_url)
    assert live.layer_fidelities == boston.layer_fidelities
    assert live.couplers == boston.couplers
    stored = qtargets.calibration("ibm_boston", live=False)  # from the store, offline
    assert stored.provenance.source == live.provenance.source
    assert stored.layer_fidelities == boston.layer_fidelities
    assert stored.couplers == boston.couplers


# -- uses: show, diff, graphs ----------------------------------------------------------------


def test_the_summary_has_every_layer_and_the_couplers_zz(boston: Calibration) -> None:
    summary = summarize(boston)
    longest = summary.longest_layer
    assert longest is not None
    assert (longest.num_qubits, longest.fidelity) == (100, 0.7610317565867392)
    assert longest.eplg == layer(boston, 100).eplg
    assert len(summary.layer_fidelities) == 97
    couplers = summary.couplers
    assert couplers is not None
    assert couplers.num_couplers == 176
    sizes = sorted(abs(c.static_zz) for c in boston.couplers if c.static_zz is not None)
    assert couplers.static_zz.worst == sizes[-1]
    assert couplers.static_zz.best == sizes[0]
    assert couplers.worst_static_zz_qubits == max(
        boston.couplers, key=lambda c: abs(c.static_zz or 0.0)).qubits


def test_summary_without_layers_or_couplers_says_so() -> None:
    summary = summarize(qtargets.load_calibration("qpu.aria-1"))
    assert (summary.layer_fidelities, summary.couplers, summary.longest_layer) == ((), None,
                                                                                    None)


def test_show_prints_the_layer_fidelity_and_coupler_sections() -> None:
    result = runner.invoke(app, ["show", "ibm_boston"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Layer fidelity (longest chain: 100 qubits)" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("100 "))
    assert "0.7610" in row
    assert "2.75e-3" in row
    assert "8-7-6-5-...-15-14-13" in row
    assert "Couplers (176)" in out
    assert "6.82 kHz (93-94)" in out


def test_show_leaves_the_sections_out_when_there_is_nothing_to_show() -> None:
    result = runner.invoke(app, ["show", "qpu.aria-1"], env={"COLUMNS": "120"})
    assert "Layer fidelity" not in result.stdout
    assert "Couplers" not in result.stdout


def test_show_json_lists_every_chain() -> None:
    result = runner.invoke(app, ["show", "ibm_boston", "--json"])
    data = json.loads(result.stdout)
    assert len(data["layer_fidelities"]) == 97
    assert data["layer_fidelities"][0] == {
        "num_qubits": 4, "fidelity": 0.9956090392335768,
        "eplg": pytest.approx(1 - 0.9956090392335768 ** (1 / 3)), "qubits": [35, 19, 15, 14]}
    assert data["couplers"]["num_couplers"] == 176


def _with_layer(cal: Calibration, size: int, fidelity: float) -> Calibration:
    return dataclasses.replace(cal, layer_fidelities=tuple(
        dataclasses.replace(lf, fidelity=fidelity) if lf.num_qubits == size else lf
        for lf in cal.layer_fidelities))


def test_diff_reports_a_worse_eplg_by_chain_length(boston: Calibration) -> None:
    worse = _with_layer(boston, 100, 0.6)
    diff = diff_calibrations(boston, worse)
    (change,) = diff.worse
    assert (change.kind, change.quantity, change.chain_length) == ("layer", "eplg", 100)
    assert change.label == "100-qubit layer"
    assert change.old == layer(boston, 100).eplg
    assert change.new == pytest.approx(1 - 0.6 ** (1 / 99))
    assert change.qubits == layer(boston, 100).qubits
    assert diff.new.eplg == change.new
    assert diff.new.eplg_chain_length == 100
    assert change.to_dict()["chain_length"] == 100


def test_diff_compares_static_zz_by_size(boston: Calibration) -> None:
    zz = coupler(boston, 72, 73).static_zz
    assert zz is not None
    couplers = tuple(c._replace(static_zz=-3 * zz) if c.qubits == (72, 73)
                     else c._replace(static_zz=-c.static_zz if c.static_zz else c.static_zz)
                     for c in boston.couplers)
    diff = diff_calibrations(boston, dataclasses.replace(boston, couplers=couplers))
    (change,) = diff.changes  # sign flips alone are no change
    assert (change.kind, change.qubits, change.quantity) == ("coupler", (72, 73), "static_zz")
    assert change.direction == "worse"
    assert change.relative == pytest.approx(2.0)
    assert change.label == "coupler 72-73"


def test_diff_of_two_devices_compares_chains_of_the_same_length() -> None:
    diff = diff_calibrations(convert("boston"), convert("kingston"))
    layers = [c for c in diff.changes if c.kind == "layer"]
    assert {c.chain_length for c in layers} <= set(range(4, 101))
    lf100 = next(c for c in layers if c.chain_length == 100)
    assert lf100.direction == "worse"  # kingston's 100-qubit LF is 0.651 against 0.761
    assert lf100.qubits[:6] == (140, 141, 142, 143, 136, 123)  # the new side's chain


def test_diff_leaves_out_couplers_that_all_report_zero() -> None:
    """ibm_fez reports 0 for every coupler's ZZ: no coupler of boston is "better" than that."""
    diff = diff_calibrations(convert("boston"), qtargets.load_calibration("ibm_fez"))
    assert not [c for c in diff.changes if c.kind == "coupler"]
    assert diff.new.static_zz_median is None
    boston = summarize(convert("boston")).couplers
    assert boston is not None
    assert diff.old.static_zz_median == boston.static_zz.median


def test_diff_against_a_device_without_layers_lists_none() -> None:
    diff = diff_calibrations(convert("boston"), qtargets.load_calibration("qpu.aria-1"))
    assert not [c for c in diff.changes if c.kind in ("layer", "coupler")]
    assert diff.new.eplg is None


def test_diff_command_shows_the_eplg_row_and_the_layer_change(tmp_path: Path,
                                                              boston: Calibration) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(boston.to_json())
    new.write_text(_with_layer(boston, 100, 0.6).to_json())
    result = runner.invoke(app, ["diff", str(old), str(new)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "EPLG (longest chain)" in result.stdout
    assert "2.75e-3 (100q)" in result.stdout
    assert "100-qubit layer" in result.stdout
    csv = runner.invoke(app, ["diff", str(old), str(new), "--csv"]).stdout
    assert "chain_length" in csv.splitlines()[0]


def test_graph_edges_carry_the_coupler_numbers_both_ways(boston: Calibration) -> None:
    graph = to_networkx(boston)
    for a, b in ((72, 73), (73, 72)):
        assert graph.edges[a, b]["coupling"] == 0.0006185300246537038 * GHZ
        assert graph.edges[a, b]["static_zz"] == 3.66055371756549e-06 * GHZ
    undirected = to_networkx(boston, undirected=True)
    assert undirected.edges[7, 17]["static_zz"] == 4.304880108994665e-06 * GHZ


def test_the_graph_carries_the_layer_fidelities(boston: Calibration) -> None:
    graph = to_networkx(boston)
    layers = graph.graph["layer_fidelities"]
    assert [lf.num_qubits for lf in layers] == list(range(4, 101))
    assert layers[-1].eplg == layer(boston, 100).eplg


def test_a_target_graph_has_neither() -> None:
    graph = to_networkx(qtargets.load_target("ibm_boston"))
    assert graph.graph["layer_fidelities"] == ()
    assert "static_zz" not in graph.edges[72, 73]
