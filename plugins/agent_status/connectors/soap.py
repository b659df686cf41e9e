"""SOAP over the one send path: a method call is one envelope POSTed (http.HttpClient).

A fault comes in the body of an HTTP 500: the envelope is read before the status, and the
fault handed to the vendor, who knows what its kinds mean (a quota, "not ready", fatal). A
200 that is no envelope (cut short by a gateway, a proxy's page) is retried like the 200 that
is not the JSON asked for, then fails naming it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import requests

from agent_status.connectors.base import VendorError
from agent_status.connectors.http import HttpClient, RateBudget, RetriableError, classify

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass(frozen=True)
class Fault:
    """A SOAP fault: its ``faultstring``, and the typed fault of its ``<detail>`` if one came
    (``kind``, its ``message`` and its other fields)."""

    faultstring: str
    kind: str | None = None
    message: str = ""
    fields: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        if self.kind is None:
            return self.faultstring
        fields = ", ".join(f"{name}={value}" for name, value in self.fields)
        return f"{self.kind}: {self.message}" + (f" ({fields})" if fields else "")


class SoapService:
    """The methods of one service at ``http``'s base URL, in namespace ``namespace``.

    ``fault_error(fault, what)``: what the vendor's fault means (raised); ``budgets``: a
    method's own rate budgets; ``encodings``: tried in turn to read a body that does not say
    its own; ``refusal_hint``: what a 401 or 403 should make the reader check besides the
    password."""

    def __init__(self, http: HttpClient, namespace: str, *, user: str,
                 fault_error: Callable[[Fault, str], VendorError], name: str = "SOAP",
                 budgets: Mapping[str, Sequence[RateBudget]] | None = None,
                 encodings: Sequence[str] = ("utf-8",), refusal_hint: str = ""):
        self.http, self.namespace, self.user, self.name = http, namespace, user, name
        self.fault_error, self.budgets = fault_error, budgets or {}
        self.encodings, self.refusal_hint = encodings, refusal_hint

    def call(self, method: str, **params) -> str:
        """The text of the method's ``return`` element."""
        envelope = (f'<env:Envelope xmlns:env="{SOAP_ENV}" xmlns:ser="{self.namespace}">'
                    f"<env:Header/><env:Body><ser:{method}>{_xml(params)}</ser:{method}>"
                    "</env:Body></env:Envelope>").encode("utf-8")
        return self.http.request(
            "POST", "", data=envelope, read=self._answer, what=f"{self.name} {method}",
            budgets=self.budgets.get(method, ()),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})

    def _answer(self, response: requests.Response, what: str) -> str:
        if response.status_code in (401, 403):
            raise VendorError(f"{what}: HTTP {response.status_code}: {self.http.base_url} "
                              f"refused user {self.user!r}; check the connection's password"
                              + (f" and {self.refusal_hint}" if self.refusal_hint else ""))
        body = parse(response.content, self.encodings)
        if body is None or body.tag != f"{{{SOAP_ENV}}}Envelope":  # e.g. a proxy's HTML page
            classify(response, what)  # 429/5xx retried, other 4xx fatal
            raise RetriableError(f"{what}: the answer is not a SOAP envelope: "
                                 f"{response.text[:200]!r}")
        fault = body.find(f".//{{{SOAP_ENV}}}Fault")
        if fault is not None:
            raise self.fault_error(read_fault(fault), what)
        classify(response, what)
        returned = body.find(f".//{{{SOAP_ENV}}}Body/*/return")
        return "" if returned is None else (returned.text or "")


def read_fault(fault: ET.Element) -> Fault:
    """The fault's faultstring and the first ``*Fault`` element of its ``<detail>``."""
    text = (fault.findtext("faultstring") or "").strip()
    detail = fault.find("detail")
    typed = next((child for child in (detail if detail is not None else [])
                  if _local(child.tag).endswith("Fault")), None)
    if typed is None:
        return Fault(text)
    return Fault(text, _local(typed.tag), (typed.findtext("message") or text).strip(),
                 tuple((_local(child.tag), (child.text or "").strip()) for child in typed
                       if _local(child.tag) != "message"))


def parse(content: bytes, encodings: Sequence[str] = ("utf-8",)) -> ET.Element | None:
    """The XML document (an envelope, if all is well), its bytes decoded by the first of
    ``encodings`` that fits; None for a body that is no XML."""
    if not content:
        return None
    for encoding in encodings:
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    try:
        return ET.fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", text))
    except ET.ParseError:
        return None


def _local(tag: str) -> str:
    return tag.split("}")[-1]


def _xml(params: dict) -> str:
    return "".join(f"<{key}>{_xml(value) if isinstance(value, dict) else escape(str(value))}"
                   f"</{key}>" for key, value in params.items())
