"""What every sandbox shares: the truth, its rendering in vendor labels, and fault injection."""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pandas as pd

from agent_status.connectors.base import ConnectionInfo
from agent_status.simulator import Simulator


@dataclass
class Faults:
    """Deterministic trouble: every n-th request answers 429 / 5xx (0 disables)."""

    rate_limit_every: int = 0
    server_error_every: int = 0
    retry_after_seconds: int = 1

    def __post_init__(self):
        self._count = 0
        self._lock = threading.Lock()
        self.injected = {"429": 0, "5xx": 0}

    def next_fault(self) -> str | None:
        with self._lock:
            self._count += 1
            n = self._count
            if self.rate_limit_every and n % self.rate_limit_every == 0:
                self.injected["429"] += 1
                return "429"
            if self.server_error_every and n % self.server_error_every == 0:
                self.injected["5xx"] += 1
                return "5xx"
        return None


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
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload).encode()
            headers = {"Content-Type": "application/json", **headers}
        elif isinstance(payload, str):
            payload = payload.encode("utf-8")
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, str(value))
        self.send_header("Content-Length", str(len(payload or b"")))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")


def header(headers: dict[str, str], name: str) -> str:
    """A request header, whatever its case ("" when absent)."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


class HttpSandbox(Sandbox):
    """A vendor imitation served over HTTP on 127.0.0.1, with fault injection."""

    def __init__(self, simulator: Simulator | None = None, now: dt.datetime | None = None,
                 faults: Faults | None = None, port: int = 0):
        super().__init__(simulator, now)
        self.faults = faults or Faults()
        self.port = port
        self.requests: list[tuple[str, str]] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> ConnectionInfo:
        handler = type("Handler", (JsonHandler,), {"sandbox": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
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
        return self.handle(method, path, query, headers, body)

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
