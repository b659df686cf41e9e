"""The one send path on its own: budgets per attempt, transport errors retried, the check
decides, the retry policy bounds it."""

from __future__ import annotations

import json

import pytest
import requests

from agent_status.connectors.base import VendorError
from agent_status.connectors.http import (RateBudget, RetriableError, RetryPolicy, classify,
                                          send)

FAST = RetryPolicy(max_attempts=3, backoff_seconds=0.0)


def answer(status: int, body: str = "", **headers) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, body.encode()
    response.headers.update(headers)
    return response


def sender(*outcomes):
    """A request function answering ``outcomes`` in turn (an exception is raised)."""
    calls = []

    def request():
        calls.append(1)
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return request, calls


def judged(response):
    classify(response, "GET /x")
    return response.text


def test_transport_errors_and_retriable_statuses_are_sent_again():
    request, calls = sender(requests.ConnectionError("reset"), answer(503, "busy"),
                            answer(200, "ok"))
    assert send(request, judged, "GET /x", FAST, sleep=lambda s: None) == "ok"
    assert len(calls) == 3


def test_a_fatal_status_is_not_sent_again():
    request, calls = sender(answer(404, "no such thing"), answer(200, "ok"))
    with pytest.raises(VendorError, match=r"GET /x: HTTP 404 no such thing") as raised:
        send(request, judged, "GET /x", FAST, sleep=lambda s: None)
    assert len(calls) == 1 and not isinstance(raised.value, RetriableError)


def test_attempts_run_out_naming_the_last_failure():
    request, calls = sender(*[requests.Timeout("slow")] * 3)
    with pytest.raises(VendorError, match=r"GET /x: gave up after 3 attempts: GET /x: Timeout"):
        send(request, judged, "GET /x", FAST, sleep=lambda s: None)
    assert len(calls) == 3


def test_retry_after_is_waited_for():
    waits = []
    request, _ = sender(answer(429, "", **{"Retry-After": "7"}), answer(200, "ok"))
    send(request, judged, "GET /x", FAST, sleep=waits.append)
    assert waits == [7.0]


def test_a_transport_error_can_be_kept_out_of_the_chain():
    """A signed URL is a credential: its request's error message must not travel on."""
    secret = requests.ConnectionError("https://bucket/file?signature=SECRET")
    request, _ = sender(*[secret] * 3)
    with pytest.raises(VendorError) as raised:
        send(request, judged, "GET file", FAST, sleep=lambda s: None, name_error=False)
    error, chain = raised.value, []
    while error is not None:
        chain.append(str(error))
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    assert not any("SECRET" in text for text in chain)


def test_every_budget_is_waited_for_on_every_attempt():
    clock = [0.0]
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        clock[0] += seconds

    budgets = (RateBudget(2, 60, clock=lambda: clock[0], sleep=sleep),
               RateBudget(5, 3600, clock=lambda: clock[0], sleep=sleep))
    request, calls = sender(answer(503), answer(503), answer(200, "ok"))
    assert send(request, judged, "GET /x", FAST, budgets=budgets, sleep=lambda s: None) == "ok"
    assert len(calls) == 3 and waits == [60.0]  # the third attempt waited for the first budget


def test_a_vendors_decoder_reads_the_body_and_what_is_no_json_is_sent_again():
    """``HttpClient.request(decode=...)``: the vendor's reader (Genesys Cloud's Arrow columns)
    in place of plain JSON; a ``ValueError`` from it is a body cut short or a gateway's page,
    asked again like a 5xx."""
    from unittest import mock

    from agent_status.connectors.http import HttpClient

    client = HttpClient("https://api.example", retry=FAST, sleep=lambda s: None)
    answers = iter([answer(200, "<html>busy</html>", **{"Content-Type": "text/html"}),
                    answer(200, '{"n": 1}', **{"Content-Type": "application/json"})])
    with mock.patch.object(client.session, "request", side_effect=lambda *a, **k: next(answers)):
        read = client.post_json("/q", {}, decode=lambda body: ("decoded", json.loads(body)))
    assert read == ("decoded", {"n": 1})  # the HTML page was asked again
    failing = iter([answer(200, "{}")] * 3)
    with mock.patch.object(client.session, "request", side_effect=lambda *a, **k: next(failing)):
        with pytest.raises(VendorError, match="expected JSON"):
            client.post_json("/q", {}, decode=lambda body: (_ for _ in ()).throw(ValueError()))
