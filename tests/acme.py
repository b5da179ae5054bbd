"""A third vendor, Acme Quantum, defined entirely here: its payload models, a loopback server
of its REST API, its REST client, the conversion of its calibrations to the neutral model,
and its source and vendor for the registry (``qtargets.vendors.register(acme.vendor)``).

tests/test_third_vendor.py registers it and checks that every command and the one-call API
serve its devices, live and offline, with no line of qtargets changed. It is built the way
docs/architecture.md says a vendor is built, on qtargets' HTTP layer.

The API (base URL + ``/v1``, key in ``X-Acme-Key``):

* ``GET /devices``: ``[{"name", "state", "qubits", "waiting_jobs"}]``
* ``GET /devices/{name}/calibration[?at=ISO]``: the newest calibration taken at or before
  ``at`` (or now), 404 if none
* ``GET /devices/{name}/calibrations?since=ISO&until=ISO``: ``{"calibrations": [...]}``,
  newest first

A calibration: ``{"id", "device", "taken", "qubits": [{"t1_us", "t2_us", "readout"}],
"gates": [{"name", "qubits", "error", "ns"}]}``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from apiserver import CANARY
from loopback import serve, stop
from qtargets._flow import Get, run_flow_async
from qtargets._http import AsyncHttpClient, HttpConfig, HttpResult, decode_json
from qtargets.model import (
    Calibration,
    GateCalibration,
    InstructionCalibration,
    Provenance,
    QubitCalibration,
    parse_timestamp,
    validate_payload,
)
from qtargets.store import CalibrationStore
from qtargets.vendors import Fetched, FileFormat, ListedDevice, Progress, Source, Vendor

KEY_ENV = "ACME_API_KEY"
URL_ENV = "ACME_API_URL"
NEWEST = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)
DEVICES = ("acme_duo", "acme_quad")


# -- the payload models --------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class AcmeQubit(_Model):
    t1_us: Annotated[float, Field(gt=0)]
    t2_us: Annotated[float, Field(gt=0)]
    readout: Annotated[float, Field(ge=0, le=1)]


class AcmeGate(_Model):
    name: str
    qubits: list[Annotated[int, Field(ge=0)]]
    error: Annotated[float, Field(ge=0, le=1)]
    ns: Annotated[float, Field(ge=0)]


class AcmeCalibration(_Model):
    id: str
    device: Annotated[str, Field(min_length=1)]
    taken: str
    qubits: list[AcmeQubit]
    gates: list[AcmeGate]


class AcmeDevice(_Model):
    name: str
    state: str
    qubits: int
    waiting_jobs: int


calibration_adapter: TypeAdapter[AcmeCalibration] = TypeAdapter(AcmeCalibration)
devices_adapter: TypeAdapter[list[AcmeDevice]] = TypeAdapter(list[AcmeDevice])


# -- conversion to the neutral model -------------------------------------------------------------

_NAMES = {"sx": ("sx", 1), "x": ("x", 1), "rz": ("rz", 1), "cz": ("cz", 2)}


def to_calibration(body: bytes, source: str) -> Calibration:
    """An Acme calibration body -> the neutral Calibration (µs and ns to seconds)."""
    payload = validate_payload(calibration_adapter, body, "acme")
    by_gate: dict[str, list[GateCalibration]] = {}
    for gate in payload.gates:
        by_gate.setdefault(gate.name, []).append(
            GateCalibration(tuple(gate.qubits), gate.error, gate.ns * 1e-9))
    instructions = [
        InstructionCalibration(name, "gate", _NAMES[name][1],
                               parameters=("theta",) if name == "rz" else (),
                               qargs=tuple(entries))
        for name, entries in by_gate.items()
    ]
    instructions.append(InstructionCalibration(
        "measure", "measure", 1, num_clbits=1,
        qargs=tuple(GateCalibration((q,), qubit.readout, 1e-6)
                    for q, qubit in enumerate(payload.qubits))))
    return Calibration(
        vendor="acme", backend_name=payload.device, num_qubits=len(payload.qubits),
        qubits=tuple(QubitCalibration(t1=q.t1_us * 1e-6, t2=q.t2_us * 1e-6,
                                      readout_error=q.readout) for q in payload.qubits),
        instructions=tuple(instructions), provenance=Provenance(source),
        taken_at=parse_timestamp(payload.taken), processor="Acme Ring")


# -- the loopback server ---------------------------------------------------------------------------


def calibration_payload(device: str, age: int) -> dict[str, Any]:
    """Calibration ``age`` of ``device`` (0: the newest), a day apart, slowly improving."""
    n = 2 if device == "acme_duo" else 4
    drift = 1 + 0.1 * age
    return {
        "id": f"{device}-{age}",
        "device": device,
        "taken": (NEWEST - timedelta(days=age)).isoformat(),
        "qubits": [{"t1_us": 120.0 / drift + q, "t2_us": 90.0 / drift, "readout": 0.01 * drift}
                   for q in range(n)],
        "gates": [*({"name": name, "qubits": [q], "error": e * drift, "ns": ns}
                    for q in range(n)
                    for name, e, ns in (("sx", 2e-4, 30.0), ("x", 2e-4, 30.0),
                                        ("rz", 0.0, 0.0))),
                  *({"name": "cz", "qubits": [a, (a + 1) % n], "error": 4e-3 * drift,
                     "ns": 70.0} for a in range(n if n > 2 else 1))],
    }


class AcmeServer:
    """Acme's REST API on 127.0.0.1, serving ``history`` calibrations a day apart per device."""

    def __init__(self, history: int = 3) -> None:
        self.key = f"acme-{CANARY}-key"
        self.calibrations = {d: [calibration_payload(d, age) for age in range(history)]
                             for d in DEVICES}
        self.requests: list[str] = []
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/acme"

    def __enter__(self) -> AcmeServer:
        self._httpd = serve(type("Handler", (_Handler,), {"acme": self}))
        return self

    def __exit__(self, *exc: object) -> None:
        stop(self._httpd)

    def answer(self, path: str, query: dict[str, list[str]], key: str | None
               ) -> tuple[int, Any]:
        self.requests.append(path)
        if key != self.key:
            return 401, {"message": "bad key"}
        if path == "/acme/v1/devices":
            return 200, [{"name": d, "state": "ready", "qubits": len(c[0]["qubits"]),
                          "waiting_jobs": 3} for d, c in self.calibrations.items()]
        found = re.fullmatch(r"/acme/v1/devices/([^/]+)/(calibration|calibrations)", path)
        if found is None or found.group(1) not in self.calibrations:
            return 404, {"message": "no such device"}
        history = self.calibrations[found.group(1)]

        def when(name: str) -> datetime | None:
            return parse_timestamp(query[name][0]) if name in query else None

        if found.group(2) == "calibrations":
            since, until = when("since"), when("until")
            return 200, {"calibrations": [
                c for c in history
                if (since is None or parse_timestamp(c["taken"]) >= since)
                and (until is None or parse_timestamp(c["taken"]) <= until)]}
        at = when("at")
        eligible = [c for c in history if at is None or parse_timestamp(c["taken"]) <= at]
        return (200, eligible[0]) if eligible else (404, {"message": "none that early"})


class _Handler(BaseHTTPRequestHandler):
    acme: AcmeServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        status, payload = self.acme.answer(url.path, parse_qs(url.query),
                                           self.headers.get("X-Acme-Key"))
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# -- the REST client: it only talks ----------------------------------------------------------


class AcmeClient:
    """Acme's REST API: typed models or the exact bytes out."""

    def __init__(self, api_key: str, base_url: str, *, timeout: float, retries: int) -> None:
        self.config = HttpConfig(base_url=f"{base_url}/v1", timeout=timeout,
                                 max_retries=retries)
        self._http = AsyncHttpClient(self.config, headers={"X-Acme-Key": api_key},
                                     secrets=(api_key,))

    async def devices(self) -> list[AcmeDevice]:
        return validate_payload(devices_adapter, await self._http.get_json("devices"),
                                "devices")

    async def calibration(self, device: str, at: datetime | None = None) -> HttpResult:
        params = {"at": at.isoformat()} if at is not None else None
        return await run_flow_async(self._http, _one(
            Get(f"devices/{quote(device, safe='')}/calibration", params)))

    async def calibrations(self, device: str, since: datetime, until: datetime) -> list[bytes]:
        body = await self._http.get_json(f"devices/{quote(device, safe='')}/calibrations",
                                         {"since": since.isoformat(),
                                          "until": until.isoformat()})
        return [json.dumps(c).encode() for c in body["calibrations"]]

    async def aclose(self) -> None:
        await self._http.aclose()


def _one(get: Get) -> Any:
    (result,) = yield [get]
    decode_json(result)  # a body that is not JSON is the HTTP contract broken
    return result


# -- the source and the vendor -----------------------------------------------------------------


class AcmeSource(Source):
    def __init__(self, client: AcmeClient) -> None:
        self.client = client

    async def fetch(self, name: str, at: datetime | None,
                    store: CalibrationStore | None) -> Fetched:
        result = await self.client.calibration(name, at)
        ident = json.loads(result.body)["id"]
        if store is not None:
            known = store.by_calibration_id(name, ident)
            if known is not None:
                return Fetched(store.load(known), known, not_modified=True)
        calibration = to_calibration(result.body, result.url)
        snapshot = None if store is None else store.save(
            calibration, raw={"calibration": result.body}, calibration_id=ident)
        return Fetched(calibration, snapshot, not_modified=False)

    async def devices(self, store: CalibrationStore | None) -> list[ListedDevice]:
        return [ListedDevice(vendor="acme", name=d.name, status=d.state, num_qubits=d.qubits,
                             queue=f"{d.waiting_jobs} jobs", last_calibration=None,
                             taking_jobs=d.state == "ready")
                for d in await self.client.devices()]

    async def history(self, name: str, start: datetime, end: datetime,
                      store: CalibrationStore, progress: Progress) -> None:
        for count, body in enumerate(await self.client.calibrations(name, start, end), 1):
            ident = json.loads(body)["id"]
            snapshot = store.by_calibration_id(name, ident)
            if snapshot is None:
                calibration = to_calibration(body, f"{self.client.config.base_url}/devices/"
                                                   f"{name}")
                snapshot = store.save(calibration, raw={"calibration": body},
                                      calibration_id=ident)
            progress(snapshot.taken_at or start, count)

    async def aclose(self) -> None:
        await self.client.aclose()


class AcmeVendor(Vendor):
    name = "acme"
    label = "Acme Quantum"
    naming = "names start with 'acme_'"
    credentials = f"set {KEY_ENV}"

    def owns(self, backend: str) -> bool:
        return backend.startswith("acme_")

    def file_formats(self) -> tuple[FileFormat, ...]:
        return (FileFormat("Acme calibration file", lambda name, _data: name.endswith(".acme"),
                           lambda name, data, _device: to_calibration(data, f"file {name}")),)

    def configured(self) -> bool:
        return bool(os.environ.get(KEY_ENV))

    def open(self, *, timeout: float, retries: int) -> AcmeSource:
        key = os.environ.get(KEY_ENV)
        if not key:
            from qtargets import AuthenticationError  # noqa: PLC0415

            raise AuthenticationError(f"no Acme key: set {KEY_ENV}")
        return AcmeSource(AcmeClient(key, os.environ.get(URL_ENV, "https://api.acme.example"),
                                     timeout=timeout, retries=retries))


vendor = AcmeVendor()


@contextmanager
def registered() -> Iterator[AcmeVendor]:
    """Acme in the registry for the ``with`` block (as its entry point would put it)."""
    from qtargets import vendors  # noqa: PLC0415

    vendors.register(vendor)
    try:
        yield vendor
    finally:
        vendors.unregister(vendor.name)
