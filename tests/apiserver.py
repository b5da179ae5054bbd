"""A real local HTTP server speaking the IBM Quantum, IBM IAM and IonQ REST APIs, with faults.

Stdlib only (``http.server``), bound to 127.0.0.1 on an ephemeral port, served from a daemon
thread. It lets client code be tested over real sockets, including the ways real networks fail:

    with FakeVendorServer() as server:
        token = httpx.post(f"{server.iam_url}/identity/token", data={
            "grant_type": IAM_GRANT_TYPE, "apikey": server.ibm_api_key}).json()["access_token"]
        server.inject(r"/properties$", Fault.status(429, retry_after="2"))
        httpx.get(f"{server.ibm_url}/v1/backends/ibm_fez/properties",
                  headers=server.ibm_headers(token))  # 429, then 200 on retry

URL layout (``base`` is ``http://127.0.0.1:PORT``), each mirroring the vendor's real root:

* ``iam_url``   = base + ``/iam``        (https://iam.cloud.ibm.com): ``POST /identity/token``
* ``ibm_url``   = base + ``/ibm/api``    (https://quantum.cloud.ibm.com/api): ``/v1/backends...``
* ``ionq_url``  = base + ``/ionq``       (https://api.ionq.co); ``ionq_v03_url`` and
  ``ionq_v04_url`` add ``/v0.3`` and ``/v0.4``.

Faults (:class:`Fault`) are queued per path regex with :meth:`FakeVendorServer.inject`; each
request consumes the first matching queued fault, in injection order, until its ``times`` run
out. ``default_latency`` (seconds) delays every request, for benchmarks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import functools
import hashlib
import json
import random
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from reference import snapshots

__all__ = [
    "CANARY",
    "IAM_GRANT_TYPE",
    "FakeVendorServer",
    "Fault",
    "RecordedRequest",
    "assert_no_secret",
]

IAM_GRANT_TYPE = "urn:ibm:params:oauth:grant-type:apikey"
CANARY = "QTCANARY"
"""Every key and token this server issues contains this marker; conftest.py fails any test
whose captured output, logs or error report contains it, and the session if a file does."""
DEFAULT_IBM_BACKENDS = ("fez", "torino", "kyiv")
DEFAULT_IONQ_BACKENDS = ("qpu.aria-1", "qpu.forte-1", "qpu.forte-enterprise-1")
IONQ_MAX_LIMIT = 10
# The newest IonQ characterization is taken at this instant; older ones a day apart.
IONQ_NEWEST = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
# Every socket read/write of a handler gives up after this many seconds.
HANDLER_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 5.0

FaultKind = Literal["latency", "status", "drop", "truncate", "malformed", "slow_body"]


@dataclasses.dataclass(frozen=True)
class Fault:
    """One way a response goes wrong. Build with the class methods, e.g. ``Fault.drop()``."""

    kind: FaultKind
    seconds: float = 0.0
    """latency: delay before responding; slow_body: delay between chunks."""
    code: int = 503
    """status: the HTTP status sent."""
    retry_after: str | None = None
    """status: the ``Retry-After`` header value, if any."""
    fraction: float = 0.5
    """truncate: the share of the body sent before the connection closes."""
    chunk_size: int = 256
    """slow_body: bytes per chunk."""

    @classmethod
    def latency(cls, seconds: float) -> Fault:
        """Respond normally, ``seconds`` late."""
        return cls("latency", seconds=seconds)

    @classmethod
    def status(cls, code: int, *, retry_after: str | None = None) -> Fault:
        """Respond ``code`` (429, 500, 502, 503, 504...) with a JSON error body."""
        return cls("status", code=code, retry_after=retry_after)

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without sending anything."""
        return cls("drop")

    @classmethod
    def truncate(cls, fraction: float = 0.5) -> Fault:
        """Announce the full ``Content-Length``, send only a prefix of the body, then close."""
        return cls("truncate", fraction=fraction)

    @classmethod
    def malformed(cls) -> Fault:
        """Respond 200 with a body that is not valid JSON."""
        return cls("malformed")

    @classmethod
    def slow_body(cls, seconds_per_chunk: float, chunk_size: int = 256) -> Fault:
        """Send headers at once, then trickle the body ``chunk_size`` bytes at a time."""
        return cls("slow_body", seconds=seconds_per_chunk, chunk_size=chunk_size)


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it (headers verbatim, secrets included, for assertions)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    fault: Fault | None


def assert_no_secret(text: str, secrets_: Iterable[str]) -> None:
    """Fail if any of ``secrets_`` occurs in ``text``, without echoing the secret itself."""
    for i, secret in enumerate(secrets_):
        if secret and secret in text:
            raise AssertionError(f"secret #{i} ({len(secret)} chars) leaked into the text")


# -- data --------------------------------------------------------------------------------------


def _parse_datetime(text: str) -> datetime:
    """ISO 8601 date-time (``Z`` allowed, naive means UTC). Raises ValueError."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _shift_dates(node: Any, delta: timedelta) -> Any:
    """A copy of a properties document with every ``date``/``last_update_date`` moved by delta."""
    if isinstance(node, list):
        return [_shift_dates(item, delta) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("date", "last_update_date") and isinstance(value, str):
            try:
                shifted = _parse_datetime(value) + delta
            except ValueError:
                out[key] = value
                continue
            text = shifted.isoformat()
            out[key] = text.replace("+00:00", "Z") if value.endswith("Z") else text
        else:
            out[key] = _shift_dates(value, delta)
    return out


@dataclasses.dataclass
class _Document:
    """A JSON response body, encoded once, with its cache validators."""

    body: bytes
    last_modified: datetime

    @classmethod
    def of(cls, payload: Any, last_modified: datetime) -> _Document:
        return cls(json.dumps(payload, separators=(",", ":")).encode(), last_modified)

    @functools.cached_property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


@dataclasses.dataclass
class _PropertiesVersion:
    calibration_id: str
    last_update: datetime
    document: _Document


@dataclasses.dataclass
class _IBMBackend:
    name: str
    conf: dict[str, Any]
    versions: list[_PropertiesVersion]  # newest first
    status: dict[str, Any]
    _conf_document: tuple[dict[str, Any], _Document] | None = None

    def conf_document(self) -> _Document:
        """The configuration, encoded once per (conf object, properties version); tests
        replace ``conf`` to serve something else."""
        last_update = self.versions[0].last_update
        cached = self._conf_document
        if cached is None or cached[0] is not self.conf or cached[1].last_modified != last_update:
            cached = self._conf_document = (self.conf, _Document.of(self.conf, last_update))
        return cached[1]

    def add_properties(self, props: Mapping[str, Any]) -> str:
        last_update = _parse_datetime(str(props["last_update_date"]))
        calibration_id = f"{self.name}-{last_update.strftime('%Y%m%dT%H%M%SZ')}"
        self.versions.append(_PropertiesVersion(
            calibration_id, last_update, _Document.of(props, last_update)))
        self.versions.sort(key=lambda v: v.last_update, reverse=True)
        return calibration_id


def _ibm_backends(snapshot_ids: Sequence[str], history: int) -> dict[str, _IBMBackend]:
    by_id = {s.id: s for s in snapshots()}
    out = {}
    for snapshot_id in snapshot_ids:
        snapshot = by_id[snapshot_id]
        conf, props = snapshot.conf(), snapshot.props()
        name = conf["backend_name"]
        backend = _IBMBackend(name, conf, [], {
            "state": True, "status": "active", "message": "available", "length_queue": 0,
            "backend_version": conf.get("backend_version", "1.0.0"),
        })
        for age in range(history):
            backend.add_properties(props if age == 0 else _shift_dates(props, -timedelta(days=age)))
        out[name] = backend
    return out


# Device-wide figures in the shape IonQ reports them (1 - error), close to qtargets' bundled data.
_IONQ_BASE: dict[str, dict[str, Any]] = {
    "qpu.harmony": {"qubits": 11, "spam": 0.9930, "1q": 0.9973, "2q": 0.9600,
                    "timing": {"readout": 0.00013, "reset": 0.00002, "1q": 0.00001,
                               "2q": 0.0002, "t1": 10000.0, "t2": 0.2}},
    "qpu.aria-1": {"qubits": 25, "spam": 0.9937, "1q": 0.9998, "2q": 0.9872,
                   "timing": {"readout": 0.0003, "reset": 0.00002, "1q": 0.000135,
                              "2q": 0.0006, "t1": 100.0, "t2": 1.0}},
    "qpu.aria-2": {"qubits": 25, "spam": 0.9930, "1q": 0.9997, "2q": 0.9850,
                   "timing": {"readout": 0.0003, "reset": 0.00002, "1q": 0.000135,
                              "2q": 0.0006, "t1": 100.0, "t2": 1.0}},
    "qpu.forte-1": {"qubits": 36, "spam": 0.9959, "1q": 0.9998, "2q": 0.9932,
                    "timing": {"readout": 0.00015, "reset": 0.00005, "1q": 0.00013,
                               "2q": 0.00097, "t1": 100.0, "t2": 1.0}},
    "qpu.forte-enterprise-1": {"qubits": 36, "spam": 0.9952, "1q": 0.9998, "2q": 0.9915,
                               "timing": {"readout": 0.00015, "reset": 0.00005, "1q": 0.00013,
                                          "2q": 0.00097, "t1": 100.0, "t2": 1.0}},
}


def _ionq_characterizations(backend: str, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` v0.3-shaped characterizations of ``backend``, newest first, a day apart."""
    base = _IONQ_BASE[backend]
    n = base["qubits"]
    pairs = [[a, b] for a in range(n) for b in range(a + 1, n)]
    out = []
    for age in range(count):
        def jitter(fidelity: float) -> float:
            return round(min(1.0, fidelity + rng.uniform(-1, 1) * (1 - fidelity) * 0.2), 6)

        out.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "date": int((IONQ_NEWEST - timedelta(days=age)).timestamp()),
            "backend": backend,
            "qubits": n,
            "connectivity": pairs,
            "fidelity": {
                kind: {"mean": jitter(base[kind]), "stderr": round(rng.uniform(1e-5, 1e-3), 6),
                       "median": jitter(base[kind])}
                for kind in ("spam", "1q", "2q")
            },
            "timing": dict(base["timing"]),
        })
    return out


# What a v0.4 ``GET /backends`` entry says a device accepts, per family (longest prefix first).
# Native gates: Aria is the example of IonQ's OpenAPI-generated SDK (ionq/ionq-core-python,
# ionq_core/models/backend.py); Forte and Tempo as IonQ's Qiskit provider lists them
# (qiskit-community/qiskit-ionq test/conftest.py "Native gatesets match the real API per family",
# test/helpers/test_helpers.py's qpu.tempo-1 catalog entry). QIS gates and error mitigations:
# the examples in ionq-core-python's Backend model.
_IONQ_NATIVE_GATES: tuple[tuple[str, list[str]], ...] = (
    ("qpu.aria", ["gpi", "gpi2", "ms"]),
    ("qpu.harmony", ["gpi", "gpi2", "ms"]),
    ("qpu.forte", ["gpi", "gpi2", "zz"]),
    ("qpu.tempo", ["gpi", "gpi2", "zz"]),
)
_IONQ_QIS_GATES = ["x", "y", "z", "h", "s", "si", "t", "ti", "v", "vi", "rx", "ry", "rz", "cnot",
                   "swap", "xx", "yy", "zz", "not"]
_IONQ_ERROR_MITIGATIONS = ["debiasing"]


def _ionq_complete(characterization: Mapping[str, Any]) -> bool:
    """Whether the characterization lists every pair of its qubits (a single-chain device)."""
    n = characterization.get("qubits", 0)
    pairs = {frozenset(p) for p in characterization.get("connectivity") or ()}
    return len(pairs) == n * (n - 1) // 2


def _ionq_v04(characterization: Mapping[str, Any]) -> dict[str, Any]:
    """The v0.4 shape of a characterization: ISO date; all pairs listed become no
    connectivity (which means all pairs), a restricted list (Tempo) stays."""
    out = {k: v for k, v in characterization.items()
           if k != "connectivity" or not _ionq_complete(characterization)}
    out["date"] = datetime.fromtimestamp(characterization["date"], timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    return out


# -- the server --------------------------------------------------------------------------------


class _HTTPError(Exception):
    def __init__(self, status: int, payload: Any, headers: Mapping[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.payload = payload
        self.headers = dict(headers or {})


def _ibm_error(status: int, message: str, code: int) -> _HTTPError:
    return _HTTPError(status, {"errors": [{"message": message, "code": code,
                                           "more_info": "https://cloud.ibm.com/apidocs/quantum"}],
                               "trace": uuid.uuid4().hex, "status_code": status})


def _ionq_error(status: int, message: str) -> _HTTPError:
    return _HTTPError(status, {"statusCode": status, "error": HTTPStatus(status).phrase,
                               "message": message})


def _int_query(query: Mapping[str, list[str]], name: str, default: int | None,
               lo: int | None = None, hi: int | None = None) -> int | None:
    values = query.get(name)
    if not values:
        return default
    try:
        value = int(values[-1])
    except ValueError:
        raise _ionq_error(400, f"{name} must be an integer") from None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise _ionq_error(400, f"{name} must be between {lo} and {hi}")
    return value


class _Result:
    """What a route returns: a status, a JSON document, extra headers."""

    def __init__(self, document: _Document | Any, status: int = 200,
                 headers: Mapping[str, str] | None = None, cacheable: bool = False):
        self.document = document if isinstance(document, _Document) else _Document.of(
            document, datetime.now(timezone.utc))
        self.status = status
        self.headers = dict(headers or {})
        self.cacheable = cacheable


Route = tuple["re.Pattern[str]", str, Callable[..., _Result]]


class FakeVendorServer:
    """IBM Quantum + IBM IAM + IonQ, on 127.0.0.1, as a context manager.

    ``ibm_backends``: qiskit-ibm-runtime snapshot ids served (``"fez"`` -> ``ibm_fez``);
    ``ibm_history``: properties versions per backend, the snapshot itself and copies dated one
    day older each (for ``updated_before``); ``ionq_history``: characterizations per IonQ backend.
    ``ionq_pages``: whether the list's ``pages`` counts all pages or those after the current one
    (the v0.3 spec says "remaining"; which one IonQ really sends is unverified).
    """

    def __init__(
        self,
        *,
        ibm_backends: Sequence[str] = DEFAULT_IBM_BACKENDS,
        ibm_history: int = 1,
        ionq_backends: Sequence[str] = DEFAULT_IONQ_BACKENDS,
        ionq_history: int = 25,
        ionq_pages: Literal["total", "remaining"] = "total",
        ibm_api_key: str | None = None,
        service_crn: str = "crn:v1:bluemix:public:quantum-computing:us-east:a/fake::",
        ionq_api_key: str | None = None,
        iam_token_ttl: int = 3600,
        default_latency: float = 0.0,
        seed: int = 1234,
    ) -> None:
        # Random canaries by default, so a leak assertion can never pass by coincidence.
        self.ibm_api_key = ibm_api_key or CANARY + "-ibm-" + secrets.token_hex(12)
        self.service_crn = service_crn
        self.ionq_api_key = ionq_api_key or CANARY + "-ionq-" + secrets.token_hex(12)
        self.iam_token_ttl = iam_token_ttl
        self.default_latency = default_latency
        self.ionq_pages = ionq_pages
        self.requests: list[RecordedRequest] = []
        self.ibm = _ibm_backends(ibm_backends, ibm_history)
        rng = random.Random(seed)
        self.ionq: dict[str, list[dict[str, Any]]] = {
            name: _ionq_characterizations(name, ionq_history, rng) for name in ionq_backends}
        # Fields a test sets on a device's v0.4 /backends entry (e.g. another
        # supported_native_gates, or a malformed one); None removes the field.
        self.ionq_backend_fields: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, float] = {}  # access token -> expiry (epoch seconds)
        self._faults: list[list[Any]] = []  # [pattern, fault, remaining or None]
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = self._build_routes()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeVendorServer:
        handler = type("Handler", (_Handler,), {"vendor": self})
        # A real server's listen backlog: socketserver's default of 5 drops the SYNs of a
        # burst of concurrent connections, which the client then resends a second later.
        server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 128})
        httpd = server_class(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="FakeVendorServer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; in-flight requests are cut off (their sleeps end, sockets close)."""
        self._stopping.set()
        if self._httpd is None:
            return
        self._httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(SHUTDOWN_TIMEOUT)
        self._httpd = None

    def __enter__(self) -> FakeVendorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def iam_url(self) -> str:
        return self.base_url + "/iam"

    @property
    def ibm_url(self) -> str:
        return self.base_url + "/ibm/api"

    @property
    def ionq_url(self) -> str:
        return self.base_url + "/ionq"

    @property
    def ionq_v03_url(self) -> str:
        return self.ionq_url + "/v0.3"

    @property
    def ionq_v04_url(self) -> str:
        return self.ionq_url + "/v0.4"

    # -- test-facing helpers ------------------------------------------------------------------

    def inject(self, path_pattern: str, fault: Fault, times: int | None = 1) -> None:
        """Queue ``fault`` for the next ``times`` requests whose path matches the regex
        (``re.search``; ``None`` = every matching request until :meth:`clear_faults`)."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        with self._lock:
            self._faults.append([re.compile(path_pattern), fault, times])

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending_faults(self) -> list[tuple[str, Fault, int | None]]:
        with self._lock:
            return [(p.pattern, f, n) for p, f, n in self._faults]

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for entry in self._faults:
                pattern, fault, remaining = entry
                if pattern.search(path):
                    if remaining is not None:
                        entry[2] = remaining - 1
                        if entry[2] <= 0:
                            self._faults.remove(entry)
                    return fault  # type: ignore[no-any-return]
        return None

    def requests_to(self, path_pattern: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if re.search(path_pattern, r.path)]

    @property
    def secrets(self) -> list[str]:
        """Every credential this server knows: API keys and issued tokens."""
        with self._lock:
            return [self.ibm_api_key, self.ionq_api_key, *self._tokens]

    def assert_no_secrets(self, text: str) -> None:
        """Fail if a key or token this server issued or accepts appears in ``text``."""
        assert_no_secret(text, self.secrets)

    def issue_token(self, ttl: float | None = None) -> str:
        """A valid IBM bearer token, as the IAM endpoint would issue."""
        token = CANARY + "-token-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.time() + (self.iam_token_ttl if ttl is None else ttl)
        return token

    def revoke_tokens(self) -> None:
        """Expire every issued IBM token (clients must go back to IAM)."""
        with self._lock:
            self._tokens.clear()

    def client_environment(self) -> dict[str, str]:
        """The environment a user sets for live calibrations, pointing at this server."""
        return {
            "QISKIT_IBM_TOKEN": self.ibm_api_key, "QISKIT_IBM_INSTANCE": self.service_crn,
            "QTARGETS_IBM_API_URL": self.ibm_url, "QTARGETS_IBM_IAM_URL": self.iam_url,
            "IONQ_API_KEY": self.ionq_api_key, "QTARGETS_IONQ_API_URL": self.ionq_v03_url,
        }

    def ibm_headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Service-CRN": self.service_crn}

    def ionq_headers(self) -> dict[str, str]:
        return {"Authorization": f"apiKey {self.ionq_api_key}"}

    def add_ibm_properties(self, backend: str, props: Mapping[str, Any]) -> str:
        """Serve one more properties version of ``backend``; returns its calibration id."""
        with self._lock:
            return self.ibm[backend].add_properties(props)

    # -- routing --------------------------------------------------------------------------------

    def _build_routes(self) -> list[Route]:
        table: list[tuple[str, str, Callable[..., _Result]]] = [
            ("POST", r"/iam/identity/token", self._iam_token),
            ("GET", r"/ibm/api/v1/backends", self._ibm_list),
            ("GET", r"/ibm/api/v1/backends/(?P<id>[^/]+)/configuration", self._ibm_configuration),
            ("GET", r"/ibm/api/v1/backends/(?P<id>[^/]+)/properties", self._ibm_properties),
            ("GET", r"/ibm/api/v1/backends/(?P<id>[^/]+)/status", self._ibm_status),
            ("GET", r"/ibm/api/v1/backends/(?P<id>[^/]+)/defaults", self._ibm_defaults),
            ("GET", r"/ionq/v0\.3/backends", self._ionq_v03_backends),
            ("GET", r"/ionq/v0\.3/characterizations/backends/(?P<backend>[^/]+)",
             self._ionq_v03_list),
            ("GET", r"/ionq/v0\.3/characterizations/backends/(?P<backend>[^/]+)/current",
             self._ionq_v03_current),
            ("GET", r"/ionq/v0\.3/characterizations/(?P<uuid>[^/]+)", self._ionq_v03_by_id),
            ("GET", r"/ionq/v0\.4/backends", self._ionq_v04_backends),
            ("GET", r"/ionq/v0\.4/backends/(?P<backend>[^/]+)", self._ionq_v04_backend),
            ("GET", r"/ionq/v0\.4/backends/(?P<backend>[^/]+)/characterizations",
             self._ionq_v04_list),
            ("GET", r"/ionq/v0\.4/backends/(?P<backend>[^/]+)/characterizations/(?P<uuid>[^/]+)",
             self._ionq_v04_by_id),
        ]
        return [(re.compile(pattern + "/?"), method, fn) for method, pattern, fn in table]

    def _dispatch(self, method: str, path: str, query: dict[str, list[str]],
                  headers: Mapping[str, str], body: bytes) -> _Result:
        allowed = False
        for pattern, route_method, fn in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if route_method != method:
                allowed = True
                continue
            return fn(query=query, headers=headers, body=body, **match.groupdict())
        if allowed:
            raise _HTTPError(405, {"error": "Method Not Allowed"})
        raise _HTTPError(404, {"error": "Not Found", "path": path})

    # -- IAM ------------------------------------------------------------------------------------

    def _iam_token(self, *, headers: Mapping[str, str], body: bytes, **_: Any) -> _Result:
        if "application/x-www-form-urlencoded" not in headers.get("content-type", ""):
            raise _HTTPError(400, {"errorCode": "BXNIM0109E",
                                   "errorMessage": "Content-Type must be form-urlencoded."})
        form = parse_qs(body.decode("latin-1"))
        if form.get("grant_type", [""])[-1] != IAM_GRANT_TYPE:
            raise _HTTPError(400, {"errorCode": "BXNIM0103E",
                                   "errorMessage": "Unsupported grant_type."})
        apikey = form.get("apikey", [""])[-1]
        if not apikey:
            raise _HTTPError(400, {"errorCode": "BXNIM0109E",
                                   "errorMessage": "Property missing or empty: apikey."})
        if apikey != self.ibm_api_key:
            raise _HTTPError(400, {"errorCode": "BXNIM0415E",
                                   "errorMessage": "Provided API key could not be found.",
                                   "context": {"requestId": uuid.uuid4().hex}})
        token = self.issue_token()
        now = int(time.time())
        return _Result({"access_token": token, "refresh_token": "not_supported",
                        "token_type": "Bearer", "expires_in": self.iam_token_ttl,
                        "expiration": now + self.iam_token_ttl, "scope": "ibm openid"})

    # -- IBM Quantum ----------------------------------------------------------------------------

    def _ibm_auth(self, headers: Mapping[str, str]) -> None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        with self._lock:
            expiry = self._tokens.get(token) if scheme.lower() == "bearer" else None
        if expiry is None or expiry <= time.time():
            raise _ibm_error(401, "Unauthorized: missing, invalid or expired IAM token", 1000)
        crn = headers.get("service-crn")
        if not crn:
            raise _ibm_error(401, "Unauthorized: the Service-CRN header is required", 1001)
        if crn != self.service_crn:
            raise _ibm_error(401, "Unauthorized: unknown service instance", 1002)
        version = headers.get("ibm-api-version")
        if version is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", version):
            raise _ibm_error(400, "IBM-API-Version must be a YYYY-MM-DD date", 1200)

    def _ibm_backend(self, backend_id: str, headers: Mapping[str, str]) -> _IBMBackend:
        self._ibm_auth(headers)
        backend = self.ibm.get(backend_id)
        if backend is None:
            raise _ibm_error(404, f"Backend {backend_id} not found", 1211)
        return backend

    def _ibm_list(self, *, headers: Mapping[str, str], query: dict[str, list[str]],
                  **_: Any) -> _Result:
        self._ibm_auth(headers)
        devices = []
        for backend in self.ibm.values():
            device: dict[str, Any] = {
                "name": backend.name, "status": {"name": "online"}, "is_simulator": False,
                "qubits": backend.conf.get("n_qubits"), "queue_length": 0,
                "processor_type": backend.conf.get("processor_type"),
                "clops": backend.conf.get("clops"),
            }
            if "wait_time_seconds" in ",".join(query.get("fields", [])):
                device["wait_time_seconds"] = {"average": 60, "p50": 45, "p95": 300}
            devices.append(device)
        return _Result({"devices": devices})

    def _ibm_configuration(self, *, id: str, headers: Mapping[str, str],
                           query: dict[str, list[str]], **_: Any) -> _Result:
        backend = self._ibm_backend(id, headers)
        calibration_id = query.get("calibration_id", [None])[-1]
        if calibration_id is not None and all(
                v.calibration_id != calibration_id for v in backend.versions):
            raise _ibm_error(404, f"Calibration {calibration_id} not found", 1212)
        return _Result(backend.conf_document(), cacheable=True)

    def _ibm_properties(self, *, id: str, headers: Mapping[str, str],
                        query: dict[str, list[str]], **_: Any) -> _Result:
        backend = self._ibm_backend(id, headers)
        versions = backend.versions
        calibration_id = query.get("calibration_id", [None])[-1]
        if calibration_id is not None:
            versions = [v for v in versions if v.calibration_id == calibration_id]
        updated_before = query.get("updated_before", [None])[-1]
        if updated_before is not None:
            try:
                cutoff = _parse_datetime(updated_before)
            except ValueError:
                raise _ibm_error(400, "updated_before must be an ISO 8601 date-time",
                                 1201) from None
            versions = [v for v in versions if v.last_update <= cutoff]
        if not versions:
            raise _ibm_error(404, f"No properties found for backend {id}", 1213)
        # X-Calibration-Id is this fake's own header (not IBM's), so tests can name a version.
        return _Result(versions[0].document, cacheable=True,
                       headers={"X-Calibration-Id": versions[0].calibration_id})

    def _ibm_status(self, *, id: str, headers: Mapping[str, str], **_: Any) -> _Result:
        return _Result(self._ibm_backend(id, headers).status)

    def _ibm_defaults(self, *, id: str, headers: Mapping[str, str], **_: Any) -> _Result:
        backend = self._ibm_backend(id, headers)
        props = json.loads(backend.versions[0].document.body)
        qubit_freq = [next((p["value"] for p in q if p["name"] == "frequency"), 0.0)
                      for q in props["qubits"]]
        return _Result({"qubit_freq_est": qubit_freq,
                        "meas_freq_est": [7.0] * len(qubit_freq),
                        "buffer": 0, "pulse_library": [], "cmd_def": []})

    # -- IonQ -----------------------------------------------------------------------------------

    def _ionq_auth(self, headers: Mapping[str, str]) -> None:
        scheme, _, key = headers.get("authorization", "").partition(" ")
        if scheme != "apiKey" or not key:
            raise _ionq_error(401, "Missing or malformed Authorization header "
                                   "(expected 'apiKey <key>').")
        if key != self.ionq_api_key:
            raise _ionq_error(401, "Invalid key provided.")

    def _ionq_backend(self, backend: str, headers: Mapping[str, str]) -> list[dict[str, Any]]:
        self._ionq_auth(headers)
        if backend not in self.ionq:
            raise _ionq_error(404, f"Unknown backend {backend}.")
        return self.ionq[backend]

    def _ionq_find(self, uuid_: str, backend: str | None = None) -> dict[str, Any]:
        for name, characterizations in self.ionq.items():
            for c in characterizations:
                if c["id"] == uuid_ and backend in (None, name):
                    return c
        raise _ionq_error(404, f"Characterization {uuid_} not found.")

    def _ionq_page(self, characterizations: list[dict[str, Any]],
                   query: dict[str, list[str]], start: float | None, end: float | None,
                   shape: Callable[[dict[str, Any]], dict[str, Any]]) -> _Result:
        limit = _int_query(query, "limit", IONQ_MAX_LIMIT, 1, IONQ_MAX_LIMIT)
        page = _int_query(query, "page", 1, 1)
        assert limit is not None
        assert page is not None
        selected = [c for c in characterizations
                    if (start is None or c["date"] >= start) and (end is None or c["date"] < end)]
        total = -(-len(selected) // limit)
        items = [shape(c) for c in selected[(page - 1) * limit: page * limit]]
        pages = total if self.ionq_pages == "total" else max(0, total - page)
        newest = max((c["date"] for c in selected), default=int(IONQ_NEWEST.timestamp()))
        return _Result(_Document.of({"characterizations": items, "pages": pages},
                                    datetime.fromtimestamp(newest, timezone.utc)),
                       cacheable=True)

    @staticmethod
    def _characterization(payload: dict[str, Any], epoch: int) -> _Result:
        return _Result(_Document.of(payload, datetime.fromtimestamp(epoch, timezone.utc)),
                       cacheable=True)

    def _ionq_backends_payload(self, v04: bool) -> list[dict[str, Any]]:
        return [self._ionq_entry(name, v04) for name in self.ionq]

    def _ionq_entry(self, name: str, v04: bool) -> dict[str, Any]:
        characterizations = self.ionq[name]
        newest = characterizations[0] if characterizations else None
        qubits = (_IONQ_BASE[name]["qubits"] if name in _IONQ_BASE
                  else newest["qubits"] if newest else 0)
        entry: dict[str, Any] = {
            "backend": name, "status": "available", "qubits": qubits,
            "average_queue_time": 1_181_215, "has_access": True, "degraded": False,
        }
        if not v04:
            entry["last_updated"] = int(IONQ_NEWEST.timestamp())
            entry["characterization_url"] = f"/characterizations/backends/{name}/current"
            return entry
        entry["last_updated"] = IONQ_NEWEST.strftime("%Y-%m-%dT%H:%M:%SZ")
        entry["characterization_id"] = newest["id"] if newest else None
        native = next((gates for prefix, gates in _IONQ_NATIVE_GATES
                       if name.startswith(prefix)), None)
        if native is not None:
            entry["supported_native_gates"] = list(native)
        entry["supported_gates"] = list(_IONQ_QIS_GATES)
        entry["supported_error_mitigations"] = list(_IONQ_ERROR_MITIGATIONS)
        for key, value in self.ionq_backend_fields.get(name, {}).items():
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value
        return entry

    def _ionq_v03_backends(self, *, headers: Mapping[str, str], **_: Any) -> _Result:
        self._ionq_auth(headers)
        return _Result(self._ionq_backends_payload(v04=False))

    def _ionq_v03_list(self, *, backend: str, headers: Mapping[str, str],
                       query: dict[str, list[str]], **_: Any) -> _Result:
        characterizations = self._ionq_backend(backend, headers)
        # start/end are epoch milliseconds (the spec's example: start=1585713600000).
        start = _int_query(query, "start", None)
        end = _int_query(query, "end", None)
        return self._ionq_page(characterizations, query,
                               None if start is None else start / 1000,
                               None if end is None else end / 1000, dict)

    def _ionq_v03_current(self, *, backend: str, headers: Mapping[str, str],
                          **_: Any) -> _Result:
        characterizations = self._ionq_backend(backend, headers)
        if not characterizations:
            raise _ionq_error(404, f"No characterization of {backend}.")
        newest = characterizations[0]
        return self._characterization(newest, newest["date"])

    def _ionq_v03_by_id(self, *, uuid: str, headers: Mapping[str, str], **_: Any) -> _Result:
        self._ionq_auth(headers)
        found = self._ionq_find(uuid)
        return self._characterization(found, found["date"])

    def _ionq_v04_backends(self, *, headers: Mapping[str, str], **_: Any) -> _Result:
        self._ionq_auth(headers)
        return _Result(self._ionq_backends_payload(v04=True))

    def _ionq_v04_backend(self, *, backend: str, headers: Mapping[str, str],
                          **_: Any) -> _Result:
        self._ionq_backend(backend, headers)
        return _Result(self._ionq_entry(backend, v04=True))

    def _ionq_v04_list(self, *, backend: str, headers: Mapping[str, str],
                       query: dict[str, list[str]], **_: Any) -> _Result:
        characterizations = self._ionq_backend(backend, headers)
        bounds: list[float | None] = []
        for name in ("start", "end"):  # ISO dates or date-times in v0.4 (e.g. start=2025-12-31)
            value = query.get(name, [None])[-1]
            try:
                bounds.append(None if value is None else _parse_datetime(value).timestamp())
            except ValueError:
                raise _ionq_error(400, f"{name} must be an ISO 8601 date") from None
        return self._ionq_page(characterizations, query, bounds[0], bounds[1], _ionq_v04)

    def _ionq_v04_by_id(self, *, backend: str, uuid: str, headers: Mapping[str, str],
                        **_: Any) -> _Result:
        self._ionq_backend(backend, headers)
        found = self._ionq_find(uuid, backend)
        return self._characterization(_ionq_v04(found), found["date"])


def _not_modified(document: _Document, headers: Mapping[str, str]) -> bool:
    """RFC 9110: If-None-Match wins; otherwise If-Modified-Since (second resolution)."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or document.etag in tags
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since is not None:
        try:
            since = email.utils.parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        return document.last_modified.replace(microsecond=0) <= since
    return False


class _Handler(BaseHTTPRequestHandler):
    vendor: FakeVendorServer
    protocol_version = "HTTP/1.1"
    timeout = HANDLER_TIMEOUT
    # Headers and body go out in separate writes; with Nagle's algorithm on, the body's last
    # partial segment waits for the client's delayed ACK (~40 ms on Linux) on some sizes.
    # Real API front ends send without that stall, so neither does this server.
    disable_nagle_algorithm = True
    server_version = "FakeVendor/1.0"

    def setup(self) -> None:
        super().setup()
        with self.vendor._lock:
            self.vendor._connections.add(self.connection)

    def finish(self) -> None:
        with self.vendor._lock:
            self.vendor._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean; the request log is FakeVendorServer.requests

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        vendor = self.vendor
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20)) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault = vendor._take_fault(url.path)
        with vendor._lock:
            vendor.requests.append(RecordedRequest(
                self.command, url.path, parse_qs(url.query, keep_blank_values=True),
                dict(self.headers.items()), body, fault))

        delay = vendor.default_latency + (fault.seconds if fault and fault.kind == "latency"
                                          else 0.0)
        if delay and vendor._stopping.wait(delay):
            self.close_connection = True
            return
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "status":
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            error = {"errors": [{"message": HTTPStatus(fault.code).phrase, "code": fault.code}],
                     "statusCode": fault.code, "error": HTTPStatus(fault.code).phrase}
            self._send(fault.code, _Document.of(error, datetime.now(timezone.utc)).body, extra)
            return

        try:
            result = vendor._dispatch(self.command, url.path, parse_qs(url.query), headers, body)
        except _HTTPError as error:
            self._send(error.status, json.dumps(error.payload).encode(), error.headers)
            return
        document = result.document
        extra = dict(result.headers)
        if result.cacheable:
            extra["ETag"] = document.etag
            extra["Last-Modified"] = email.utils.format_datetime(
                document.last_modified.astimezone(timezone.utc), usegmt=True)
            extra["Cache-Control"] = "private, max-age=0, must-revalidate"
            if fault is None and _not_modified(document, headers):
                self._send(304, b"", extra)
                return
        self._send(result.status, document.body, extra, fault)

    def _send(self, status: int, body: bytes, headers: Mapping[str, str],
              fault: Fault | None = None) -> None:
        if fault is not None and fault.kind == "malformed":
            body = body[: max(1, len(body) // 3)] + b"\x00<html>not json"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        if fault is not None and fault.kind in ("truncate", "slow_body"):
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        try:
            if status == 304 or self.command == "HEAD":
                pass
            elif fault is not None and fault.kind == "truncate":
                self.wfile.write(body[: int(len(body) * min(max(fault.fraction, 0.0), 0.99))])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            elif fault is not None and fault.kind == "slow_body":
                for offset in range(0, len(body), fault.chunk_size):
                    self.wfile.write(body[offset: offset + fault.chunk_size])
                    self.wfile.flush()
                    if self.vendor._stopping.wait(fault.seconds):
                        break
            else:
                self.wfile.write(body)
        except OSError:  # the client gave up (timeout) or the server is stopping
            self.close_connection = True
