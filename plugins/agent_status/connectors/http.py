"""HTTP with the one retry policy and rate budget every HTTP vendor shares: one send path.

429 and 5xx are retried, waiting what ``Retry-After`` says (else exponential backoff); other
4xx are fatal; a 401 refreshes the credentials once. Vendor modules never sleep themselves.
A connection reset, a timeout, a body cut short and a 200 that is not the JSON asked for (an
HTML proxy page, half a document) are retried too, then fail naming what came back. The same
page answered again and again is an error, so a vendor repeating a page cannot page forever.
A vendor whose answers say more than their status (a SOAP fault in a 500's body) reads them
itself (``read``); a method with a quota of its own adds its budgets; a signed URL (its query
is the credential) is sent without credentials and never named, nor logged by urllib3.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from agent_status.connectors.base import VendorError

log = logging.getLogger(__name__)

# (connect, read) seconds: a vendor that accepts the connection and then hangs is retried
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 120.0)
# a body at least this long answered this many times in a row on one path is a repeating page;
# shorter ones (job status polls, empty pages) legitimately repeat
REPEAT_MIN_BYTES = 1024
REDIRECTS = frozenset({300, 301, 302, 303, 307, 308})  # "it is at Location"
REPEAT_LIMIT = 3
# what requests raises for a connection reset, a hang and a body dropped or mangled mid-way:
# all transient, retried by every client (HttpClient, and Five9's SOAP one)
TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError)


class RetriableError(VendorError):
    """A failure worth another attempt (429, 5xx, connection reset, vendor 'not ready yet')."""

    def __init__(self, message: str, wait_seconds: float | None = None):
        super().__init__(message)
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    backoff_seconds: float = 0.5
    backoff_factor: float = 2.0
    max_wait_seconds: float = 60.0

    def wait(self, attempt: int, hinted: float | None) -> float:
        if hinted is not None:
            return min(max(hinted, 0.0), self.max_wait_seconds)
        return min(self.backoff_seconds * self.backoff_factor ** (attempt - 1), self.max_wait_seconds)

    def run(self, action: Callable[[], Any], what: str, sleep: Callable[[float], None] = time.sleep):
        """Call ``action`` until it succeeds or attempts run out; only ``RetriableError`` retries."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                return action()
            except RetriableError as error:
                if attempt == self.max_attempts:
                    raise VendorError(f"{what}: gave up after {attempt} attempts: {error}") from error
                wait = self.wait(attempt, error.wait_seconds)
                log.warning("%s: %s; retry %d/%d in %.1fs", what, error, attempt,
                            self.max_attempts - 1, wait)
                sleep(wait)
        raise AssertionError("unreachable")


DEFAULT_RETRY = RetryPolicy()


class RateBudget:
    """At most ``calls`` per ``period_seconds`` (sliding window), shared by every request of a
    connector. Budgets shared across processes are Airflow pools (README, operating)."""

    def __init__(self, calls: int, period_seconds: float, clock=time.monotonic, sleep=time.sleep):
        self.calls, self.period = calls, period_seconds
        self._clock, self._sleep = clock, sleep
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._stamps and now - self._stamps[0] >= self.period:
                    self._stamps.popleft()
                if len(self._stamps) < self.calls:
                    self._stamps.append(now)
                    return
                wait = self.period - (now - self._stamps[0])
            self._sleep(max(wait, 0.001))


class Auth:
    """Adds credentials to a request; ``refresh`` is called once after a 401."""

    def headers(self) -> dict[str, str]:
        return {}

    def requests_auth(self):
        return None

    def refresh(self) -> None:
        """Nothing to refresh by default."""


def retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(parsed.timestamp() - time.time(), 0.0)


def classify(response: requests.Response, what: str) -> None:
    """Raise for a response that is not a success: retriable or fatal, per the shared rule."""
    if response.status_code < 400:
        return
    snippet = response.text[:300].replace("\n", " ")
    if response.status_code == 429 or response.status_code >= 500:
        raise RetriableError(f"{what}: HTTP {response.status_code} {snippet}",
                             retry_after_seconds(response))
    raise VendorError(f"{what}: HTTP {response.status_code} {snippet}")


def send(request: Callable[[], requests.Response], check: Callable[[requests.Response], Any],
         what: str, retry: RetryPolicy, *, budgets: tuple[RateBudget, ...] = (),
         sleep: Callable[[float], None] = time.sleep, name_error: bool = True) -> Any:
    """The one send path: each attempt waits for every budget of the call, sends, turns a
    transport error (reset, hang, body cut short) into a retriable one, and lets ``check``
    judge the answer (``classify`` and what else the call needs: a SOAP fault, a JSON body,
    a refused signed URL); ``retry`` repeats what is retriable. ``name_error=False`` keeps the
    transport error out of the chain: its message may quote a URL that is a credential."""

    def attempt() -> Any:
        for budget in budgets:
            budget.acquire()
        try:
            response = request()
        except TRANSPORT_ERRORS as error:
            failure = RetriableError(f"{what}: {type(error).__name__}")
            if name_error:
                raise failure from error
            raise failure from None
        return check(response)

    return retry.run(attempt, what, sleep)


class HttpClient:
    def __init__(self, base_url: str, auth: Auth | None = None, *,
                 retry: RetryPolicy | None = None, budget: RateBudget | None = None,
                 headers: dict[str, str] | None = None,
                 timeout: float | tuple[float, float] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self.auth = auth or Auth()
        self.retry = retry or DEFAULT_RETRY
        self.budget = budget
        self.timeout = timeout if timeout is not None else DEFAULT_TIMEOUT
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        self.requests_sent = 0
        self._last_body: dict[str, tuple[str, int]] = {}  # path -> (digest, times in a row)

    def url(self, path: str) -> str:
        if not path:  # the base URL itself (a SOAP service's endpoint)
            return self.base_url
        return path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, allow_redirects: bool = True,
                expect_json: bool = False, read: Callable[[requests.Response, str], Any] | None = None,
                decode: Callable[[bytes], Any] | None = None,
                budgets: Sequence[RateBudget] = (), signed: bool = False, what: str | None = None,
                **kwargs) -> Any:
        """Send with the shared retry policy; the response, or what ``read`` makes of it.

        ``expect_json``: a 200 whose body is not JSON (an HTML error page, a body cut short) is
        retried like a 5xx, then fails; a body whose Content-Type says JSON is held to that
        whatever ``expect_json`` says; ``decode(body)`` reads it in place of plain JSON (a
        vendor's reader straight into columns, issue 10), raising ``ValueError`` where the body
        is not JSON. ``read(response, what)``: the vendor's reading of every
        answer, in place of the shared rule (which it may call: ``classify``); it raises
        (``RetriableError`` to retry) or returns what ``request`` returns. ``budgets``: the
        call's own rate budgets, besides the client's. ``signed``: a signed URL, sent without
        the client's credentials, named only by ``what``; no error quotes or chains it."""
        url = self.url(path)
        what = what or f"{method} {url.split('?')[0]}"
        refreshed = False
        kwargs.setdefault("timeout", self.timeout)
        headers = kwargs.pop("headers", None) or {}
        if signed:
            _hide_queries_in_urllib3_log()

        def sent() -> requests.Response:
            self.requests_sent += 1
            try:
                return self.session.request(
                    method, url, headers=headers if signed else {**self.auth.headers(), **headers},
                    auth=None if signed else self.auth.requests_auth(),
                    allow_redirects=allow_redirects, **kwargs)
            except requests.RequestException as error:
                if signed and not isinstance(error, TRANSPORT_ERRORS):  # it quotes the URL
                    raise VendorError(f"{what}: {type(error).__name__}") from None
                raise

        def check(response: requests.Response) -> tuple[requests.Response, Any]:
            nonlocal refreshed
            if read is not None:
                return response, read(response, what)
            if response.status_code == 401 and not refreshed:
                refreshed = True
                self.auth.refresh()
                raise RetriableError(f"{what}: HTTP 401, credentials refreshed", 0.0)
            classify(response, what)
            # a body announced as JSON must be JSON (else it was cut short on the way)
            if expect_json or "json" in response.headers.get("Content-Type", ""):
                response.parsed_json = _json(response, what, decode)
            return response, response

        budgets = tuple(budget for budget in (self.budget, *budgets) if budget is not None)
        response, value = send(sent, check, what, self.retry, budgets=budgets, sleep=self.sleep,
                               name_error=not signed)
        self._check_not_repeating(url.split("?")[0], response, what)
        return value

    def _check_not_repeating(self, path: str, response: requests.Response, what: str) -> None:
        """The same long body answered ``REPEAT_LIMIT`` times in a row on one path is a page the
        vendor serves forever (a paging bug): fail instead of paging without end."""
        body = response.content or b""
        if len(body) < REPEAT_MIN_BYTES:
            self._last_body.pop(path, None)
            return
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        previous, times = self._last_body.get(path, ("", 0))
        times = times + 1 if digest == previous else 1
        self._last_body[path] = (digest, times)
        if times >= REPEAT_LIMIT:
            raise VendorError(f"{what}: the same {len(body)}-byte page came back {times} times "
                              "in a row; the vendor is repeating a page, stopping rather than "
                              "paging forever")

    def file(self, url: str, what: str,
             read_signed: Callable[[requests.Response, str], bytes] | None = None) -> bytes:
        """A file served by the API itself or, through a redirect (or a URL of another origin),
        by signed storage: fetched there without credentials (``signed``), read by
        ``read_signed`` (default ``signed_content``)."""
        read_signed = read_signed or signed_content
        if origin(url) == origin(self.base_url):
            answer = self.request("GET", url, allow_redirects=False)
            if answer.status_code not in REDIRECTS:
                return answer.content  # served directly, with our own credentials
            url = location(answer, what)
        return self.request("GET", url, signed=True, read=read_signed, timeout=300,
                            what=f"{what}: signed file")

    def get_json(self, path: str, **kwargs) -> Any:
        return self.request("GET", path, expect_json=True, **kwargs).parsed_json

    def post_json(self, path: str, body: Any, **kwargs) -> Any:
        return self.request("POST", path, json=body, expect_json=True, **kwargs).parsed_json

    def close(self) -> None:
        self.session.close()


def _json(response: requests.Response, what: str,
          decode: Callable[[bytes], Any] | None = None) -> Any:
    """The body as JSON (read by ``decode``, else as plain JSON); anything else (an HTML page
    with status 200, a document cut short) is retriable: proxies and gateways answer so while
    the vendor is unavailable."""
    import orjson

    try:  # orjson: the floor's parser, 3-4x the standard one
        return (decode or orjson.loads)(response.content)
    except ValueError as error:  # orjson.JSONDecodeError is a ValueError
        kind = response.headers.get("Content-Type") or "no Content-Type"
        raise RetriableError(f"{what}: expected JSON, got {kind} ({len(response.content)} "
                             f"bytes): {response.text[:200]!r}") from error


def origin(url: str) -> tuple[str, str, int | None]:
    """Where a URL points (scheme, host, port): credentials go to the API's only."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"https": 443,
                                                                  "http": 80}.get(scheme)


def location(response: requests.Response, what: str) -> str:
    """Where a redirect points, as an absolute URL; a redirect without one fails."""
    if not response.headers.get("Location"):
        raise VendorError(f"{what}: HTTP {response.status_code} without a Location header")
    return urljoin(response.url, response.headers["Location"])


def signed_content(response: requests.Response, what: str) -> bytes:
    """A signed storage URL's body. 429 and 5xx are retried; any other refusal fails naming the
    storage's error code only: its message may quote the URL, whose query is a key."""
    code = response.status_code
    if code == 429 or code >= 500:
        raise RetriableError(f"{what}: HTTP {code}")
    if code >= 300:
        error = re.search(r"<Code>([A-Za-z]{1,64})</Code>", response.text[:2000])
        raise VendorError(f"{what}: HTTP {code}" + (f" {error.group(1)}" if error else ""))
    return response.content


class _QueryFilter(logging.Filter):
    """urllib3 logs each request line, query string included, at DEBUG: a signed URL's query
    is its signature, so it is cut from every urllib3 record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_QUERY.sub(r"\1?<query hidden>", a) if isinstance(a, str)
                                else a for a in record.args)
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = _QUERY.sub(r"\1?<query hidden>", record.msg)
        return True


_QUERY = re.compile(r"(\S*?)\?\S*")
_FILTER = _QueryFilter()


def _hide_queries_in_urllib3_log() -> None:
    for name in ("urllib3.connectionpool", "urllib3.util.retry"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
