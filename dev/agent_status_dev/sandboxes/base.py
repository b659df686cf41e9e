"""What every sandbox shares: the truth, its rendering in vendor labels, and fault injection."""

from __future__ import annotations

import datetime as dt
import json
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pandas as pd

from agent_status.connectors.base import ConnectionInfo
from agent_status_dev.simulator import Simulator


# one-off faults a sandbox can inject at a given request (``Faults.at``)
FAULT_KINDS = ("429", "5xx", "reset", "hang", "truncated", "cut", "html", "expire_tokens")
REPEAT_GUARD = 200


@dataclass
class Faults:
    """Deterministic trouble, counted over every request the sandbox receives (from 1).

    ``rate_limit_every`` / ``server_error_every``: every n-th request answers 429 / 503 (0
    disables). ``at``: request number -> one fault of ``FAULT_KINDS``:
    - ``reset``: the connection is closed with a TCP reset, no answer;
    - ``hang``: the answer comes only after ``hang_seconds``;
    - ``truncated``: 200 with the first half of the body (a gateway cut it; length matches);
    - ``cut``: the whole length is announced, half is sent, then a reset (dropped mid-body);
    - ``html``: 200 with an HTML error page (a proxy or maintenance page);
    - ``expire_tokens``: every bearer token issued so far is revoked, then the request is
      answered as usual (401 for a revoked token).
    ``repeat_path``: every request to that path is answered with the path's first 200 answer
    (a page served forever), up to ``REPEAT_GUARD`` times, then 410: a client that never
    notices fails its test instead of hanging it.
    """

    rate_limit_every: int = 0
    server_error_every: int = 0
    retry_after_seconds: int = 1
    at: dict[int, str] = field(default_factory=dict)
    hang_seconds: float = 3.0
    repeat_path: str | None = None

    def __post_init__(self):
        unknown = sorted(set(self.at.values()) - set(FAULT_KINDS))
        if unknown:
            raise ValueError(f"unknown fault kind(s) {unknown}; known: {FAULT_KINDS}")
        self._count = 0
        self._lock = threading.Lock()
        self.injected = {kind: 0 for kind in FAULT_KINDS} | {"repeat": 0}

    @classmethod
    def burst(cls, kind: str, first: int, count: int, **kwargs) -> Faults:
        """``count`` consecutive ``kind`` faults from request ``first`` on."""
        return cls(at={first + i: kind for i in range(count)}, **kwargs)

    def next_fault(self) -> str | None:
        with self._lock:
            self._count += 1
            n = self._count
            fault = self.at.get(n)
            if fault is None and self.rate_limit_every and n % self.rate_limit_every == 0:
                fault = "429"
            if fault is None and self.server_error_every and n % self.server_error_every == 0:
                fault = "5xx"
            if fault is not None:
                self.injected[fault] += 1
            return fault


@dataclass
class PagingFaults:
    """Paging trouble on demand (issue 9); page numbers count from 1 within a query.

    ``blank_page``: that page comes back without records ``blank_times`` times, then right (1:
    a retry heals it). ``repeated_page``: that page serves the previous page again
    ``repeated_times`` times. ``endless``: past the last page the data pages come round again,
    and the page count always promises one more: paging never ends by itself.
    """

    blank_page: int = 0
    blank_times: int = 1
    repeated_page: int = 0
    repeated_times: int = 1
    endless: bool = False

    def __post_init__(self):
        self._lock = threading.Lock()
        self.injected = {"blank": 0, "repeated": 0, "endless": 0}

    def page_to_serve(self, number: int, last: int) -> int | None:
        """The data page to serve when page ``number`` of ``last`` is asked; None: a blank one."""
        with self._lock:
            if number == self.blank_page and self.injected["blank"] < self.blank_times:
                self.injected["blank"] += 1
                return None
            if (number == self.repeated_page > 1
                    and self.injected["repeated"] < self.repeated_times):
                self.injected["repeated"] += 1
                return number - 1
            if self.endless and number > last > 0:
                self.injected["endless"] += 1
                return (number - 1) % last + 1
        return number


class Sandbox:
    """Base of every sandbox. ``state_map`` maps the simulator's canonical states to the
    vendor's (activity id, activity name, reason); states it lacks the vendor never reports."""

    vendor: ClassVar[str]
    identifier: ClassVar[str]  # which Agent identifier the vendor reports
    # where the imitated site is, for tests that do not choose a zone (tests/e2e)
    site_timezone: ClassVar[str] = "Europe/Paris"
    state_map: ClassVar[dict[str, tuple[str, str, str | None]]]

    def __init__(self, simulator: Simulator | None = None, now: dt.datetime | None = None):
        self.simulator = simulator or Simulator()
        self.now = now

    # the truth in vendor labels: what a correct import of [start, end) holds before clipping
    def expected(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        truth = self.simulator.segments(start, end, now=self.now)
        truth = truth[truth.state.isin(list(self.state_map))].copy()
        ids = {a.index: a.identifier(self.identifier) for a in self.simulator.agents}
        truth["external_user_id"] = truth.agent.map(ids)
        labels = truth.state.map(self.state_map)
        truth["vendor_activity_id"] = labels.str[0]
        truth["vendor_activity_name"] = labels.str[1]
        truth["reason"] = labels.str[2]
        return merge_adjacent(truth)

    def connection(self) -> ConnectionInfo:
        raise NotImplementedError

    def start(self) -> ConnectionInfo:
        return self.connection()

    def stop(self) -> None:
        """Nothing to stop by default."""

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


def merge_adjacent(frame: pd.DataFrame) -> pd.DataFrame:
    """Adjacent segments with the same vendor labels are one status (the vendor cannot tell
    two consecutive identical states apart)."""
    frame = frame.sort_values(["external_user_id", "start_utc"]).reset_index(drop=True)
    keys = ["external_user_id", "vendor_activity_id", "reason"]
    same = (frame[keys].fillna("").eq(frame[keys].fillna("").shift())).all(axis=1)
    contiguous = frame.start_utc.eq(frame.end_utc.shift())
    group = (~(same & contiguous)).cumsum()
    merged = frame.groupby(group, sort=False).agg(
        external_user_id=("external_user_id", "first"),
        vendor_activity_id=("vendor_activity_id", "first"),
        vendor_activity_name=("vendor_activity_name", "first"),
        reason=("reason", "first"), start_utc=("start_utc", "first"),
        end_utc=("end_utc", lambda s: s.iloc[-1]))
    return merged.reset_index(drop=True)


# pseudo statuses a fault returns to the handler: reset the connection / halve the body /
# drop the connection halfway through the body
RESET, TRUNCATED, CUT = -1, -2, -3
HTML_ERROR_PAGE = ("<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
                   "<body><h1>Service Unavailable</h1><p>The server is temporarily unable to "
                   "service your request due to maintenance downtime.</p></body></html>")


def _nan_path(value, path: str = "$") -> str | None:
    """Where a payload holds NaN or an infinity (which JSON cannot carry)."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return path
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, item in items:
        found = _nan_path(item, f"{path}[{key!r}]")
        if found:
            return found
    return None


class JsonHandler(BaseHTTPRequestHandler):
    """Routes requests to ``sandbox.handle(method, path, query, headers, body)``."""

    sandbox: HttpSandbox

    def log_message(self, *args):  # keep test output quiet
        pass

    def _dispatch(self, method: str):
        parsed = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.sandbox.dispatch(
            method, parsed.path, parse_qs(parsed.query), dict(self.headers), body)
        if status == RESET:
            self._reset()
            return
        if isinstance(payload, (dict, list)):
            # strict JSON as a vendor sends it: NaN is no JSON value (RFC 8259)
            try:
                payload = json.dumps(payload, allow_nan=False).encode()
            except ValueError as error:  # a sandbox bug: name the field, then fail
                raise ValueError(f"{self.sandbox.vendor} sandbox: not strict JSON at "
                                 f"{_nan_path(payload)}") from error

            headers = {"Content-Type": "application/json", **headers}
        elif isinstance(payload, str):
            payload = payload.encode("utf-8")
        announced = len(payload or b"")
        if status in (TRUNCATED, CUT):
            payload = (payload or b"")[:announced // 2]
            announced = announced if status == CUT else len(payload)
        self.send_response(200 if status in (TRUNCATED, CUT) else status)
        for key, value in headers.items():
            self.send_header(key, str(value))
        self.send_header("Content-Length", str(announced))
        self.end_headers()
        if payload:
            self.wfile.write(payload)
        if status == CUT:
            self.wfile.flush()
            self._reset()

    def _reset(self):
        """Close with a TCP RST (SO_LINGER 0) and no answer: the client sees a reset."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def finish(self):
        try:
            super().finish()
        except OSError:  # the connection was reset on purpose
            pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")


def header(headers: dict[str, str], name: str) -> str:
    """A request header, whatever its case ("" when absent)."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that gave up (timeout) or a reset we injected is no error of the sandbox."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class HttpSandbox(Sandbox):
    """A vendor imitation served over HTTP on 127.0.0.1, with fault injection."""

    def __init__(self, simulator: Simulator | None = None, now: dt.datetime | None = None,
                 faults: Faults | None = None, port: int = 0):
        super().__init__(simulator, now)
        self.faults = faults or Faults()
        self.port = port
        self.requests: list[tuple[str, str]] = []
        self._server: ThreadingHTTPServer | None = None
        self._first_answers: dict[str, tuple[int, dict, Any]] = {}
        self._lock = threading.Lock()  # guards ``_tokens``; sandboxes may replace it

    def start(self) -> ConnectionInfo:
        handler = type("Handler", (JsonHandler,), {"sandbox": self})
        self._server = QuietServer(("127.0.0.1", self.port), handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.connection()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def dispatch(self, method, path, query, headers, body) -> tuple[int, dict, Any]:
        self.requests.append((method, path))
        fault = self.faults.next_fault()
        if fault == "429":
            return 429, {"Retry-After": self.faults.retry_after_seconds}, {
                "code": "too.many.requests.retry.after", "message": "Rate limit exceeded"}
        if fault == "5xx":
            return 503, {}, {"message": "Service temporarily unavailable"}
        if fault == "reset":
            return RESET, {}, None
        if fault == "html":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, HTML_ERROR_PAGE
        if fault == "hang":
            time.sleep(self.faults.hang_seconds)
        if fault == "expire_tokens":
            with self._lock:
                getattr(self, "_tokens", {}).clear()
        if path == self.faults.repeat_path and path in self._first_answers:
            self.faults.injected["repeat"] += 1
            if self.faults.injected["repeat"] > REPEAT_GUARD:
                return 410, {}, {"message": f"served the same page {REPEAT_GUARD} times"}
            return self._first_answers[path]
        answer = self.handle(method, path, query, headers, body)
        if path == self.faults.repeat_path and answer[0] == 200:
            self._first_answers.setdefault(path, answer)
        if fault in ("truncated", "cut"):
            return ({"truncated": TRUNCATED, "cut": CUT}[fault], *answer[1:])
        return answer

    def handle(self, method, path, query, headers, body) -> tuple[int, dict, Any]:
        raise NotImplementedError

    def _authorised(self, headers) -> bool:
        """Spend one call of the request's bearer token (``self._tokens``: token -> calls
        left, filled by the sandbox's token endpoint); False when unknown or used up."""
        token = header(headers, "Authorization").removeprefix("Bearer ")
        with self._lock:
            if self._tokens.get(token, 0) <= 0:
                return False
            self._tokens[token] -= 1
            return True
