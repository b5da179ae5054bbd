"""Credentials and settings that are present but wrong.

Work that can be done offline goes on with the stored or bundled calibration and one warning
saying what is wrong; work that needs the API (``fetch``, ``live=True``) fails naming the
setting to fix. Keys are checked where they are read, and masked whole.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qtargets
from apiserver import FakeVendorServer
from qtargets import vendors
from qtargets._secret import Secrets
from qtargets.cli import app
from qtargets.ibm.account import resolve_account
from qtargets.ionq.api import IonQClient

CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/abc:def::"
KEY = "0123456789abcdef0123456789abcdef"
runner = CliRunner()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer() as running:
        yield running


def account_file(accounts: dict[str, object] | str) -> Path:
    path = Path(os.environ["HOME"]) / ".qiskit" / "qiskit-ibm.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(accounts if isinstance(accounts, str) else json.dumps(accounts))
    return path


LEGACY = {"default-ibm-quantum": {"channel": "ibm_quantum", "token": KEY,
                                  "url": "https://auth.quantum-computing.ibm.com/api",
                                  "is_default_account": True}}
NOT_A_CRN = {"default-ibm-cloud": {"channel": "ibm_cloud", "token": KEY,
                                   "instance": "my-instance"}}
TRUNCATED = json.dumps(NOT_A_CRN)[:40]
WRONG = {"legacy channel": (LEGACY, "channel 'ibm_quantum'"),
         "instance not a CRN": (NOT_A_CRN, "is not a CRN"),
         "truncated file": (TRUNCATED, "not valid JSON (line 1, column"),
         "token without instance": (None, "no IBM Quantum instance")}


@pytest.fixture(params=WRONG)
def wrong(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    accounts, says = WRONG[request.param]
    if accounts is None:
        monkeypatch.setenv("QISKIT_IBM_TOKEN", KEY)
    else:
        account_file(accounts)  # type: ignore[arg-type]
    return says


@pytest.mark.usefixtures("shown_warnings")
@pytest.mark.parametrize("command", [
    ["show", "ibm_fez"],
    ["map", "ibm_fez", "--dpi", "20", "-o", "{tmp}/fez.png"],
    ["rank", "{tmp}/bell.qasm", "-b", "ibm_fez,ibm_torino", "--level", "0"],
    ["diff", "ibm_fez", "ibm_torino"],
])
def test_offline_work_goes_on_with_one_warning_saying_what_is_wrong(
        wrong: str, command: list[str], tmp_path: Path) -> None:
    (tmp_path / "bell.qasm").write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\n'
                                        "h q[0];\ncx q[0],q[1];\n")
    result = runner.invoke(app, [part.format(tmp=tmp_path) for part in command])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, result.stderr
    assert "IBM Quantum credentials unusable" in warnings[0]
    assert wrong in warnings[0]
    assert "bundled" in warnings[0]


def test_work_that_needs_the_api_says_which_setting_to_fix(wrong: str) -> None:
    result = runner.invoke(app, ["fetch", "ibm_fez"])
    assert result.exit_code == 2
    assert result.output.startswith("error:")
    assert wrong in result.output
    assert len(result.output.strip().splitlines()) == 1
    with pytest.raises(qtargets.AuthenticationError, match=wrong.replace("(", r"\(")):
        qtargets.calibration("ibm_fez", live=True)


def test_list_shows_what_it_has_and_names_the_vendor_it_could_not_list(wrong: str) -> None:
    result = runner.invoke(app, ["list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "IBM Quantum: devices not listed" in result.output
    assert wrong in result.output
    assert "Bundled calibrations" in result.output
    assert "ibm_fez" in result.output


def test_a_retired_channel_is_explained_with_the_fix() -> None:
    account_file(LEGACY)
    with pytest.raises(qtargets.AuthenticationError) as caught:
        resolve_account()
    message = str(caught.value)
    assert "channel 'ibm_quantum'" in message
    assert "save_account(channel='ibm_quantum_platform'" in message


@pytest.mark.parametrize(("value", "says"), [
    ("", "is empty"), ("   \t", "is blank"), ("x", "1 characters long"),
    ("abc123", "6 characters long"),
])
def test_a_key_that_cannot_be_a_key_is_refused_where_it_is_read(value: str, says: str,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    with pytest.raises(qtargets.AuthenticationError, match=f"api_key=.*{says}"):
        IonQClient(value, "http://127.0.0.1:9/v0.3")
    with pytest.raises(qtargets.AuthenticationError, match=f"api_key=.*{says}"):
        resolve_account(value, CRN)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", CRN)
    monkeypatch.setenv("IBM_CLOUD_API_KEY", value + "\n" if value.strip() else value)
    if value.strip():
        with pytest.raises(qtargets.AuthenticationError, match=f"IBM_CLOUD_API_KEY.*{says}"):
            resolve_account()


def test_a_blank_key_in_the_environment_is_not_configured(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IONQ_API_KEY", "   ")
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "\t")
    assert vendors.configured() == []
    result = runner.invoke(app, ["show", "qpu.aria-1"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    result = runner.invoke(app, ["fetch", "qpu.aria-1"])
    assert result.exit_code == 2
    assert "IONQ_API_KEY) is blank" in result.output


def test_a_key_is_read_without_its_surrounding_blanks(server: FakeVendorServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in server.client_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("IONQ_API_KEY", f"  {server.ionq_api_key}\n")  # pasted with a newline
    assert qtargets.calibration("qpu.aria-1", live=True).num_qubits == 25


def test_masking_hides_the_whole_token_holding_a_key() -> None:
    secrets = Secrets(["QTCANARY-0123456789abcdef"])
    text = ('Bearer xQTCANARY-0123456789abcdefy, "QTCANARY-0123456789abcdef" '
            "[Errno -2] Name or service not known")
    assert secrets.redact(text) == ('Bearer ***, "***" [Errno -2] Name or service not known')
    assert repr(secrets) == "<1 secret(s)>"
    assert "QTCANARY" not in repr(list(secrets))


@pytest.mark.parametrize("suffix", ["", "/", "/identity/token", "/identity/token/"])
def test_the_iam_url_may_name_the_token_endpoint_or_not(server: FakeVendorServer,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       suffix: str) -> None:
    for name, value in server.client_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("QTARGETS_IBM_IAM_URL", server.iam_url + suffix)
    assert resolve_account().iam_url == server.iam_url
    before = len(server.requests_to(r"/identity/token$"))
    assert qtargets.calibration("ibm_fez", live=True, store=False).num_qubits == 156
    assert len(server.requests_to(r"/identity/token$")) == before + 1


def test_a_key_that_cannot_go_into_a_header_is_refused_without_showing_it() -> None:
    with pytest.raises(qtargets.AuthenticationError, match="position 9") as caught:
        IonQClient("01234567\u00e989abcdef0123456789", "http://127.0.0.1:9/v0.3")
    assert "0123" not in str(caught.value)
