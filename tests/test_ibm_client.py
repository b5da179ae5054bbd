"""The IBM Quantum REST clients and the source layer's fetch, end to end over real sockets
against the fake vendor server.

Behaviour (typed answers, calibrations, time travel, conditional fetches, IAM tokens, faults) is
specified once and run through the sync client and the async one; the source layer's fetch
(:func:`qtargets.ibm.source.fetch_flow`) runs on either; credential resolution is specified
without any network.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import qtargets
from apiserver import FakeVendorServer, Fault
from blocking import Blocking
from qtargets import (
    ApiError,
    AuthenticationError,
    CalibrationStore,
    NetworkError,
    NotFoundError,
    QTargetsError,
    RateLimitError,
)
from qtargets.ibm import parse_configuration, parse_properties
from qtargets.ibm.account import API_URLS, DEFAULT_IAM_URL, resolve_account
from qtargets.ibm.api import API_VERSION, AsyncIBMClient, IBMClient
from qtargets.ibm.source import fetch_flow
from qtargets.vendors import Fetched

FEZ = "ibm_fez"
PROPS = r"/v1/backends/ibm_fez/properties$"
CONF = r"/v1/backends/ibm_fez/configuration$"
TOKEN = r"/identity/token$"
FAST: dict[str, Any] = {"timeout": 2.0, "retries": 3, "backoff_base": 0.01, "backoff_max": 0.05,
                        "retry_after_max": 0.3}
CLIENTS = ("sync", "async")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer(ibm_history=3) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(server: FakeVendorServer) -> Iterator[None]:
    server.clear_faults()
    yield
    server.clear_faults()


def connect(server: FakeVendorServer, kind: str = "sync", **options: Any) -> Any:
    arguments = {"api_url": server.ibm_url, "iam_url": server.iam_url, **FAST, **options}
    key = arguments.pop("api_key", server.ibm_api_key)
    crn = arguments.pop("instance", server.service_crn)
    if kind == "sync":
        return IBMClient(key, crn, **arguments)
    return Blocking(AsyncIBMClient(key, crn, **arguments))


@pytest.fixture(params=CLIENTS)
def client(request: pytest.FixtureRequest, server: FakeVendorServer) -> Iterator[Any]:
    opened = connect(server, request.param)
    yield opened
    opened.close()


def fetch(client: Any, name: str, at: datetime | None = None,
          store: CalibrationStore | None = None) -> Fetched:
    """The source layer's fetch, run on this REST client (sync, or async via Blocking)."""
    rest = client.client if isinstance(client, Blocking) else client
    fetched: Fetched = client.run(fetch_flow(rest, name, at, store))
    return fetched


def calibration(client: Any, name: str, at: datetime | None = None) -> qtargets.Calibration:
    return fetch(client, name, at).calibration


def count(server: FakeVendorServer, pattern: str) -> int:
    return len(server.requests_to(pattern))


def served_props(server: FakeVendorServer, backend: str = FEZ, age: int = 0) -> dict[str, Any]:
    return json.loads(server.ibm[backend].versions[age].document.body)  # type: ignore[no-any-return]


# -- what the API gives -------------------------------------------------------------------------


def test_calibration_is_what_from_ibm_makes_of_the_served_bodies(
        server: FakeVendorServer, client: Any) -> None:
    cal = calibration(client, FEZ)
    expected = qtargets.ibm.to_calibration(server.ibm[FEZ].conf, served_props(server))
    assert cal.instructions == expected.instructions
    assert cal.qubits == expected.qubits
    assert cal.taken_at == expected.taken_at
    assert cal.provenance.source.endswith("/v1/backends/ibm_fez/properties")
    assert cal.provenance.retrieved_at is not None


def test_backends_lists_devices_with_wait_times_on_request(client: Any) -> None:
    plain = client.backends()
    assert {d.name for d in plain} == {"ibm_fez", "ibm_torino", "ibm_kyiv"}
    assert all(d.wait_time_seconds is None for d in plain)
    timed = client.backends(wait_times=True)
    assert all(d.wait_time_seconds is not None and d.wait_time_seconds.p95 >= 0 for d in timed)


def test_status_configuration_and_properties_are_typed_models_defaults_json(
        server: FakeVendorServer, client: Any) -> None:
    assert client.status(FEZ).status == "active"
    assert len(client.defaults(FEZ)["qubit_freq_est"]) == 156
    assert client.configuration(FEZ) == parse_configuration(server.ibm[FEZ].conf)
    assert client.properties(FEZ) == parse_properties(served_props(server))


def test_the_exact_bodies_come_from_get(server: FakeVendorServer, client: Any) -> None:
    result = client.get(client.properties_get(FEZ))
    assert result.body == server.ibm[FEZ].versions[0].document.body
    assert result.validators.etag is not None


def test_every_request_carries_the_service_crn_and_api_version(
        server: FakeVendorServer, client: Any) -> None:
    before = len(server.requests)
    client.status(FEZ)
    (request,) = [r for r in server.requests[before:] if r.path.endswith("/status")]
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["service-crn"] == server.service_crn
    assert headers["ibm-api-version"] == API_VERSION
    assert headers["authorization"].startswith("Bearer ")


def test_unknown_backend_is_not_found(client: Any) -> None:
    with pytest.raises(NotFoundError) as caught:
        calibration(client, "ibm_nowhere")
    assert caught.value.status == 404
    assert "ibm_nowhere" in str(caught.value)


def test_a_body_that_does_not_validate_is_a_calibration_error(
        server: FakeVendorServer, client: Any) -> None:
    original = server.ibm[FEZ].conf
    server.ibm[FEZ].conf = {**original, "n_qubits": "many"}
    try:
        with pytest.raises(qtargets.CalibrationError, match="n_qubits"):
            calibration(client, FEZ)
    finally:
        server.ibm[FEZ].conf = original


# -- time travel ----------------------------------------------------------------------------


def test_at_returns_the_calibration_in_force_never_a_newer_one(
        server: FakeVendorServer, client: Any) -> None:
    newest = server.ibm[FEZ].versions[0].last_update
    for at, age in [(newest, 0), (newest - timedelta(seconds=1), 1),
                    (newest - timedelta(hours=30), 2)]:
        cal = calibration(client, FEZ, at=at)
        assert cal.taken_at == server.ibm[FEZ].versions[age].last_update
        assert cal.taken_at is not None
        assert cal.taken_at <= at


def test_a_naive_at_is_utc(server: FakeVendorServer, client: Any) -> None:
    older = server.ibm[FEZ].versions[1].last_update
    naive = older.astimezone(timezone.utc).replace(tzinfo=None)
    assert calibration(client, FEZ, at=naive).taken_at == older
    sent = server.requests_to(PROPS)[-1].query["updated_before"]
    assert sent == [older.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")]


def test_before_the_first_calibration_is_not_found(
        server: FakeVendorServer, client: Any) -> None:
    with pytest.raises(NotFoundError):
        calibration(client, FEZ, at=datetime(2000, 1, 1, tzinfo=timezone.utc))


def test_a_server_ignoring_updated_before_is_caught(server: FakeVendorServer) -> None:
    at = server.ibm[FEZ].versions[2].last_update
    with connect(server) as ibm:
        original = server._ibm_properties

        def ignoring(**kwargs: Any) -> Any:
            kwargs["query"] = {}
            return original(**kwargs)

        server._routes = [(p, m, ignoring if f == original else f)
                          for p, m, f in server._routes]
        try:
            with pytest.raises(ApiError, match="newer than the requested"):
                calibration(ibm, FEZ, at=at)
        finally:
            server._routes = server._build_routes()


# -- conditional fetches against the store ----------------------------------------------------


def test_an_unchanged_calibration_costs_one_conditional_request(
        server: FakeVendorServer, client: Any, tmp_path: Path) -> None:
    with CalibrationStore(tmp_path / "s.sqlite3") as store:
        first = fetch(client, FEZ, store=store)
        assert not first.not_modified
        assert first.snapshot is not None
        before = len(server.requests)
        second = fetch(client, FEZ, store=store)
        new_requests = server.requests[before:]
        assert second.not_modified
        assert second.snapshot == first.snapshot
        assert second.calibration == store.load(first.snapshot)
        assert [r.path for r in new_requests if "/ibm/" in r.path] == [
            "/ibm/api/v1/backends/ibm_fez/properties"]
        assert "If-None-Match" in new_requests[-1].headers


def test_a_newly_published_calibration_is_picked_up_by_the_next_call(
        tmp_path: Path) -> None:
    with FakeVendorServer(ibm_backends=("fez",)) as fresh, \
            CalibrationStore(tmp_path / "s.sqlite3") as store, connect(fresh) as ibm:
        first = fetch(ibm, FEZ, store=store)
        props = served_props(fresh)
        later = first.calibration.taken_at + timedelta(hours=6)  # type: ignore[operator]
        props["last_update_date"] = later.isoformat()
        props["qubits"][0][0]["value"] *= 2  # T1 of qubit 0 doubled
        fresh.add_ibm_properties(FEZ, props)
        second = fetch(ibm, FEZ, store=store)
        assert not second.not_modified
        assert second.calibration.taken_at == later
        assert second.snapshot != first.snapshot
        assert store.latest(FEZ) == second.snapshot
        assert [s.taken_at for s in store.history(FEZ)] == [first.calibration.taken_at, later]


def test_store_keeps_the_raw_bodies_and_never_a_credential(
        server: FakeVendorServer, client: Any, tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with CalibrationStore(path) as store:
        fetched = fetch(client, FEZ, store=store)
        assert fetched.snapshot is not None
        raw = store.raw(fetched.snapshot)
        assert json.loads(raw["properties"]) == served_props(server)
        assert json.loads(raw["configuration"]) == server.ibm[FEZ].conf
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for secret in server.secrets:
        assert secret.encode() not in data


# -- IAM tokens -------------------------------------------------------------------------------


def test_the_key_is_exchanged_once_for_many_concurrent_async_calls(
        server: FakeVendorServer) -> None:
    async def main() -> list[qtargets.Calibration]:
        async with AsyncIBMClient(server.ibm_api_key, server.service_crn, api_url=server.ibm_url,
                                  iam_url=server.iam_url, **FAST) as ibm:
            found = await asyncio.gather(*(ibm.run(fetch_flow(ibm, name, None, None))
                                           for name in ["ibm_fez", "ibm_torino", "ibm_kyiv"] * 3))
            return [f.calibration for f in found]

    before = count(server, TOKEN)
    assert len(asyncio.run(main())) == 9
    assert count(server, TOKEN) - before == 1


def test_the_key_is_exchanged_once_for_many_threads(server: FakeVendorServer) -> None:
    before = count(server, TOKEN)
    errors: list[BaseException] = []
    server.inject(TOKEN, Fault.latency(0.2))  # every thread arrives during the exchange

    def work() -> None:
        try:
            with connect(server) as ibm:
                ibm.status(FEZ)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert count(server, TOKEN) - before == 1


def test_a_token_is_refreshed_before_it_expires() -> None:
    with FakeVendorServer(ibm_backends=("fez",), iam_token_ttl=1) as short, \
            connect(short) as ibm:
        ibm.status(FEZ)
        ibm.status(FEZ)
        assert count(short, TOKEN) == 1
        time.sleep(1.0)  # within the last tenth of its life: exchanged again, no 401 seen
        ibm.status(FEZ)
        assert count(short, TOKEN) == 2
        assert all(not r.path.endswith("/status") or r.fault is None for r in short.requests)


def test_a_revoked_token_is_exchanged_again_once(server: FakeVendorServer,
                                                 client: Any) -> None:
    client.status(FEZ)
    server.revoke_tokens()
    before = count(server, TOKEN)
    assert client.status(FEZ).status == "active"
    assert count(server, TOKEN) - before == 1


def test_a_wrong_key_is_an_authentication_error_naming_iams_code(
        server: FakeVendorServer) -> None:
    for kind in CLIENTS:
        ibm = connect(server, kind, api_key="QTCANARY-wrong-key-0123")
        try:
            with pytest.raises(AuthenticationError, match="BXNIM0415E") as caught:
                ibm.status(FEZ)
        finally:
            ibm.close()
        assert caught.value.status == 400
        assert "QTCANARY" not in str(caught.value)
        assert "QTCANARY" not in repr(caught.value)


def test_a_wrong_instance_is_an_authentication_error(server: FakeVendorServer) -> None:
    with connect(server, instance="crn:v1:bluemix:public:quantum-computing:us-east:a/x::") as ibm, \
            pytest.raises(AuthenticationError, match="unknown service instance"):
        ibm.status(FEZ)


def test_iam_outage_is_retried_like_any_other(server: FakeVendorServer) -> None:
    server.inject(TOKEN, Fault.status(503), times=2)
    before = count(server, TOKEN)
    with connect(server) as ibm:
        assert ibm.status(FEZ).status == "active"
    assert count(server, TOKEN) - before == 3


# -- faults -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [Fault.drop(), Fault.truncate(), Fault.status(502),
                                   Fault.status(503), Fault.status(504),
                                   Fault.status(429, retry_after="0")],
                         ids=lambda f: f"{f.kind}{f.code}")
def test_transient_faults_are_retried(server: FakeVendorServer, client: Any,
                                      fault: Fault) -> None:
    server.inject(PROPS, fault)
    assert calibration(client, FEZ).backend_name == FEZ


def test_retry_after_is_honoured_up_to_the_cap(server: FakeVendorServer, client: Any) -> None:
    server.inject(CONF, Fault.status(429, retry_after="30"))
    started = time.monotonic()
    client.configuration(FEZ)
    assert 0.3 <= time.monotonic() - started < 2.0


def test_persistent_429_is_a_rate_limit_error(server: FakeVendorServer, client: Any) -> None:
    server.inject(CONF, Fault.status(429, retry_after="0"), times=None)
    with pytest.raises(RateLimitError) as caught:
        client.configuration(FEZ)
    assert caught.value.retry_after == 0.0


def test_persistent_outage_is_an_api_error_after_bounded_retries(
        server: FakeVendorServer, client: Any) -> None:
    server.inject(CONF, Fault.status(503), times=None)
    before = count(server, CONF)
    with pytest.raises(ApiError) as caught:
        client.configuration(FEZ)
    assert caught.value.status == 503
    assert count(server, CONF) - before == 4


def test_malformed_json_is_an_api_error(server: FakeVendorServer, client: Any) -> None:
    server.inject(CONF, Fault.malformed())
    with pytest.raises(ApiError, match="not JSON"):
        client.configuration(FEZ)


@pytest.mark.parametrize("fault", [Fault.latency(3.0), Fault.slow_body(0.5, chunk_size=64)],
                         ids=["latency", "slow_body"])
def test_a_hanging_server_is_a_network_error_in_bounded_time(
        server: FakeVendorServer, fault: Fault) -> None:
    server.inject(CONF, fault, times=None)
    with connect(server, timeout=0.3, retries=1) as ibm:
        started = time.monotonic()
        with pytest.raises(NetworkError, match="after 2 attempt"):
            ibm.configuration(FEZ)
        assert time.monotonic() - started < 2.5


def test_reprs_hide_the_key_and_tokens(server: FakeVendorServer, client: Any) -> None:
    client.status(FEZ)
    inner = getattr(client, "client", client)
    texts = [repr(inner), str(inner.account), repr(inner.account), repr(inner._http),
             repr(inner._http._auth)]
    for text in texts:
        server.assert_no_secrets(text)
    assert "apikey=***" in repr(inner)


# -- credentials (no network) -----------------------------------------------------------------

CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/abc:def::"
CRN_EU = "crn:v1:bluemix:public:quantum-computing:eu-de:a/abc:def::"


def test_arguments_win_and_the_region_follows_the_crn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "from-env-0123456789")
    account = resolve_account("from-args-0123456789", CRN_EU)
    assert (account.api_key, account.region, account.api_url, account.iam_url) == (
        "from-args-0123456789", "eu-de", API_URLS["eu-de"], DEFAULT_IAM_URL)
    assert resolve_account("fake-key-0123456789", CRN).api_url == "https://quantum.cloud.ibm.com/api"
    assert resolve_account("fake-key-0123456789", CRN, region="eu-de").region == "eu-de"
    assert resolve_account("fake-key-0123456789", CRN_EU, region="us-east").region == "global"


@pytest.mark.parametrize("variable", ["QISKIT_IBM_TOKEN", "IBM_CLOUD_API_KEY"])
def test_environment_credentials(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "env-key-0123456789")
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", CRN)
    monkeypatch.setenv("QTARGETS_IBM_API_URL", "http://127.0.0.1:1/api")
    monkeypatch.setenv("QTARGETS_IBM_IAM_URL", "http://127.0.0.1:2")
    account = resolve_account()
    assert (account.api_key, account.instance) == ("env-key-0123456789", CRN)
    assert (account.api_url, account.iam_url) == ("http://127.0.0.1:1/api", "http://127.0.0.1:2")
    assert variable in account.source


def test_the_qiskit_account_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    accounts = {
        "other": {"channel": "ibm_cloud", "token": "other-key-0123456789", "instance": CRN},
        "mine": {"channel": "ibm_quantum_platform", "token": "file-key-0123456789",
                 "instance": CRN_EU, "is_default_account": True},
    }
    path = Path.home() / ".qiskit" / "qiskit-ibm.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(accounts))
    account = resolve_account()
    assert (account.api_key, account.region) == ("file-key-0123456789", "eu-de")
    assert resolve_account(account="other").api_key == "other-key-0123456789"
    with pytest.raises(AuthenticationError, match="no account 'missing'"):
        resolve_account(account="missing")


@pytest.mark.parametrize(("make", "message"), [
    (resolve_account, "no IBM Quantum credentials"),
    (lambda: resolve_account("fake-key-0123456789"), "no IBM Quantum instance"),
    (lambda: resolve_account("fake-key-0123456789", "my-instance"), "is not a CRN"),
    (lambda: resolve_account("fake-key-0123456789", CRN, region="mars"),
     "unknown IBM Quantum region"),
    (lambda: IBMClient("fake-key-0123456789", CRN, api_url="http://example.com/api"), "https"),
])
def test_missing_or_bad_credentials_say_what_to_do(make: Callable[[], Any],
                                                   message: str) -> None:
    with pytest.raises((QTargetsError, ValueError), match=message):
        make()


def test_a_broken_account_file_is_an_authentication_error(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text("{not json")
    with pytest.raises(AuthenticationError, match="not valid JSON"):
        resolve_account(account_file=str(path))


def test_the_key_is_exchanged_once_for_many_threads_each_with_its_own_event_loop(
        server: FakeVendorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # qtargets.target() in ten threads at once: ten event loops, one token exchange
    for name, value in server.client_environment().items():
        monkeypatch.setenv(name, value)
    before = count(server, TOKEN)
    server.inject(TOKEN, Fault.latency(0.3))  # every thread arrives during the exchange
    errors: list[BaseException] = []

    def work() -> None:
        try:
            assert qtargets.target("ibm_fez", store=False).num_qubits == 156
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert count(server, TOKEN) - before == 1


def test_a_waiter_giving_up_leaves_the_exchange_to_the_others(server: FakeVendorServer) -> None:
    # one call's deadline passes while it waits for another call's token exchange: that call
    # ends, the exchange and everyone else waiting for it go on
    server.inject(TOKEN, Fault.latency(0.4))
    arguments = {"api_url": server.ibm_url, "iam_url": server.iam_url, **FAST}

    async def scenario() -> tuple[int, BaseException | None]:
        async with AsyncIBMClient(server.ibm_api_key, server.service_crn, **arguments) as first, \
                AsyncIBMClient(server.ibm_api_key, server.service_crn, **arguments) as second:
            performing = asyncio.create_task(first.configuration(FEZ))
            await asyncio.sleep(0.1)  # the first call is exchanging the key
            impatient: BaseException | None = None
            try:
                await asyncio.wait_for(second.configuration(FEZ), 0.1)
            except BaseException as exc:
                impatient = exc
            config = await performing
            return config.n_qubits, impatient

    before = count(server, TOKEN)
    n_qubits, impatient = asyncio.run(scenario())
    assert n_qubits == 156
    assert isinstance(impatient, (asyncio.TimeoutError, TimeoutError))
    assert count(server, TOKEN) - before == 1
