"""`agent-status check`: test an integration before its first night, as Airbyte's and Fivetran's
connection tests do.

It takes the integration's Airflow connection, makes the smallest real read its connector
allows (``Connector.sample`` over the middle of the last complete night), puts the answer
through the pipeline's own shape checks (``normalise``, as every import does) and reports what
it saw: agents and states, how many identifiers map to employees, which states have no activity
mapping. Anything that would stop an import is one precise problem (wrong credentials, host
unreachable, a missing column, a time that cannot be decoded, an empty sample); unmapped
identifiers and states are warnings, since an import quarantines or defaults them. The
connection's secrets are redacted from every line, logs included.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlparse

import pandas as pd

from agent_status.config import Integration
from agent_status.connectors.base import ConnectionInfo, VendorError, build_connector
from agent_status.connectors.registry import VENDORS, VendorSpec
from agent_status.nights import Night, night_for_date

# the middle of the night: the working day at a midnight cut-over, and one Five9 report run
# (its 12-hour look-behind plus these 12 hours fill one 24-hour report window, vendors.md 1.3)
SAMPLE_HOURS = 12
PROBE_SECONDS = 10.0
SECRET_KEY = re.compile(r"pass|secret|token|key|credential|pwd", re.IGNORECASE)
HTTP_REFUSED = re.compile(r"\bHTTP (401|403)\b")
# what database drivers say when the login is refused / the server cannot be reached
DATABASE_LOGIN_REFUSED = re.compile(
    r"password authentication failed|role \"[^\"]*\" does not exist|login failed|access denied "
    r"for user|ORA-01017|invalid (username|user name|authorization)|authentication failed",
    re.IGNORECASE)
DATABASE_UNREACHABLE = re.compile(
    r"connection refused|could not translate host name|name or service not known|could not "
    r"connect|timeout expired|timed out|no route to host|unknown host|network is unreachable",
    re.IGNORECASE)
READS = {"sql": "the query", "report_job": "the report", "rest": "the API"}
MAX_LISTED = 10


class Redactor:
    """Replaces the connection's secrets (password, secret-looking extras, the password of a
    ``sqlalchemy_url``), as written and URL-encoded, with ``***``."""

    def __init__(self, connection: ConnectionInfo | None):
        secrets = set()
        if connection is not None:
            secrets.add(connection.password)
            secrets.update(_secret_values(connection.extra))
            url = connection.extra.get("sqlalchemy_url")
            if isinstance(url, str):
                secrets.add(_url_password(url))
        variants = {form for secret in secrets if secret
                    for form in (secret, quote(secret, safe=""), quote_plus(secret))}
        self.secrets = sorted(variants, key=len, reverse=True)

    def __call__(self, text: Any) -> str:
        text = str(text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


@dataclass
class CheckReport:
    """What the check saw (``seen``: label, text), what would stop an import (``problems``) and
    what an import would quarantine or default (``warnings``). ``segments`` is the sample as the
    pipeline normalises it, for the tests to reconcile."""

    integration: Integration
    redact: Redactor = field(default_factory=lambda: Redactor(None))
    seen: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    segments: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        integration = self.integration
        spec = VENDORS[integration.vendor]
        out = [f"== {integration.name}: {spec.label}, connection {integration.conn_id} =="]
        out += [f"  {label:<11}: {text}" for label, text in self.seen]
        out += [f"  warning    : {text}" for text in self.warnings]
        out += [f"  PROBLEM    : {text}" for text in self.problems]
        out.append(f"ok     check {integration.name}: can import" if self.ok else
                   f"FAILED check {integration.name}: {len(self.problems)} problem(s)")
        return [self.redact(line) for line in out]


def check_integration(integration: Integration, connection: ConnectionInfo | None = None, *,
                      night_date: dt.date | None = None, now: dt.datetime | None = None,
                      warehouse_url: str | None = None) -> CheckReport:
    """Check one integration; ``connection`` defaults to its Airflow connection."""
    report = CheckReport(integration)
    spec = VENDORS[integration.vendor]
    if connection is None:
        connection, problem = airflow_connection(integration)
        if connection is None:
            report.problems.append(problem)
            return report
    report.redact = Redactor(connection)
    try:
        night, start, end = sample_window(integration, night_date, now)
    except ValueError as error:
        report.problems.append(str(error))
        return report
    report.problems += unreachable_endpoints(connection, spec)
    if report.problems:
        return report
    zone = integration.zone
    report.seen.append(("sample", f"{_local(start, zone)} .. {_local(end, zone)} "
                                  f"{integration.timezone} (middle of night {night.label})"))
    started = time.monotonic()
    try:
        connector = build_connector(integration, connection)
    except Exception as error:
        report.problems.append(describe_failure(error, spec, connection))
        return report
    try:
        raw = connector.sample(start, end)
    except Exception as error:
        report.problems.append(describe_failure(error, spec, connection))
        return report
    finally:
        connector.close()
    report.warnings += getattr(connector, "warnings", [])  # what the read could not tell
    report.seen.append(("read", f"{len(raw)} raw status event(s) in "
                                f"{time.monotonic() - started:.1f} s"))
    from agent_status.pipeline.normalise import normalise

    try:  # the pipeline's own checks, as every import applies them
        segments = normalise(raw, Night(start, end, night.night_date), connector.overlap_rule)
    except (ValueError, TypeError) as error:
        report.problems.append(f"{spec.label}: the sample is not a status timeline: {error}")
        return report
    if segments.empty:
        report.problems.append(
            f"{READS[spec.access]} returned nothing for {_local(start, zone)} .. "
            f"{_local(end, zone)} {integration.timezone}: no agent status in the sample. Check "
            "the query, the report or the account's scope; if nobody worked then, run check "
            "with --night on a working day")
        return report
    report.segments = segments
    describe_sample(report, spec, raw, segments, start, end)
    mapping_coverage(report, segments, warehouse_url)
    return report


def sample_window(integration: Integration, night_date: dt.date | None = None,
                  now: dt.datetime | None = None) -> tuple[Night, dt.datetime, dt.datetime]:
    """The middle ``SAMPLE_HOURS`` of ``night_date``, by default of the last complete night."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if night_date is None:
        today = now.astimezone(integration.zone).date()
        night = next(n for n in (night_for_date(integration, today - dt.timedelta(days=back))
                                 for back in range(3)) if n.end_utc <= now)
    else:
        night = night_for_date(integration, night_date)
        if night.end_utc > now:
            raise ValueError(f"night {night.label} of {integration.name} is not over yet")
    middle = night.start_utc + (night.end_utc - night.start_utc) / 2
    half = dt.timedelta(hours=SAMPLE_HOURS / 2)
    return night, middle - half, middle + half


def unreachable_endpoints(connection: ConnectionInfo, spec: VendorSpec) -> list[str]:
    """For HTTP vendors, one request without credentials to each endpoint the connection names
    (any HTTP answer will do), so that an unreachable host fails at once, not after the
    retries. A database says it itself when the driver connects."""
    if spec.access == "sql":
        return []
    endpoints = []
    if connection.host:
        endpoints.append(("host", connection.base_url()))
    for name in ("auth_url", "token_url"):  # the token URL, under either name (auth.py)
        url = connection.extra.get(name)
        if isinstance(url, str) and url:
            endpoints.append((f"extra {name}", url))
    import requests

    problems, probed = [], set()
    for where, url in endpoints:
        if _address(url) in probed:
            continue
        probed.add(_address(url))
        try:
            requests.head(url, timeout=PROBE_SECONDS, allow_redirects=False).close()
        except requests.RequestException as error:
            problems.append(f"host unreachable: {_address(url)} (connection {connection.conn_id} "
                            f"{where}) {_network_reason(error)}")
    return problems


def describe_failure(error: BaseException, spec: VendorSpec, connection: ConnectionInfo) -> str:
    """One precise line for what stopped the sample."""
    import requests
    import sqlalchemy as sa

    text = " ".join(str(error).split())
    causes = list(_causes(error))
    refused = HTTP_REFUSED.search(text)
    if refused and refused.group(1) == "401":
        return (f"wrong credentials: {spec.label} refused login {connection.login!r} of connection "
                f"{connection.conn_id} (HTTP 401); check its login and password. {text}")
    if refused:
        return (f"wrong credentials: {spec.label} refused login {connection.login!r} of connection "
                f"{connection.conn_id} access (HTTP 403): the client or user lacks a role, "
                f"permission or scope (README, vendor table). {text}")
    database = next((c for c in causes if isinstance(c, sa.exc.DBAPIError)), None)
    if database is not None:
        said = " ".join(str(database.orig).split())
        where = _database_address(connection)
        if DATABASE_LOGIN_REFUSED.search(said):
            return (f"wrong credentials: the database {where} refused login of connection "
                    f"{connection.conn_id}: {said}")
        if DATABASE_UNREACHABLE.search(said):
            return f"host unreachable: the database {where}: {said}"
    network = next((c for c in causes if isinstance(c, requests.RequestException)), None)
    if network is not None:
        return f"host unreachable {_network_reason(network)}: {text}"
    if isinstance(error, VendorError):
        return text  # names the vendor, the field and the value
    return (f"{spec.label} answered in a shape the connector does not expect: "
            f"{type(error).__name__}: {text}")


def describe_sample(report: CheckReport, spec: VendorSpec, raw: pd.DataFrame,
                    segments: pd.DataFrame, start: dt.datetime, end: dt.datetime) -> None:
    integration = report.integration
    agents = segments.external_user_id.nunique()
    report.seen.append(("statuses", f"{len(segments)} status(es) of {agents} agent(s) in the "
                                    "sample"))
    states = (segments.groupby("vendor_activity_id", sort=True)
              .agg(label=("vendor_activity_name", "first"), statuses=("start_utc", "size"),
                   seconds=("duration_seconds", "sum")).reset_index())
    report.seen.append(("states", ", ".join(
        f"{row.vendor_activity_id}"
        f"{'' if row.label == row.vendor_activity_id else f' ({row.label})'} "
        f"{row.statuses}x {row.seconds / 3600:.1f} h" for row in states.itertuples())))
    if spec.reports_local_time:
        by_options = spec.timezone_from_options(integration.options)
        origin = ("source_timezone" if integration.source_timezone else
                  f"{spec.label}'s options decide it" if by_options else
                  "source_timezone unset: the timezone")
        times = (f"local time of {integration.source_zone.key} ({origin}), decoded with its "
                 "DST")
    else:
        times = "UTC instants from the vendor"
    begun = raw.start_utc[(raw.start_utc > pd.Timestamp(start))
                          & (raw.start_utc < pd.Timestamp(end))]
    if len(begun):
        zone = integration.zone
        times += (f"; statuses begin from {_local(begun.min(), zone, '%H:%M:%S')} to "
                  f"{_local(begun.max(), zone, '%H:%M:%S')} {integration.timezone} (if agents "
                  "work other hours, the time zone is wrong)")
    report.seen.append(("times", times))
    if spec.identifier == "email":
        odd = sorted(i for i in segments.external_user_id.unique() if "@" not in i)
        if odd:
            report.warnings.append(f"{spec.label} identifies agents by e-mail (vendors.md 0.1), "
                                   f"yet {len(odd)} identifier(s) are not: {_listed(odd)}")


def mapping_coverage(report: CheckReport, segments: pd.DataFrame, url: str | None) -> None:
    """Identifiers and states of the sample against the warehouse's mappings (what the import
    will quarantine or load as 'Present')."""
    from agent_status.mappings import read_activity_mappings, read_employee_mappings
    from agent_status.pipeline.quarantine import hint_for
    from agent_status.warehouse import create_warehouse_engine, ensure_schema, warehouse_url

    integration = report.integration
    url = url or warehouse_url()
    try:
        engine = create_warehouse_engine(url)
        try:
            ensure_schema(engine)
            employees = read_employee_mappings(engine, integration.name)
            activities = read_activity_mappings(engine, integration.name)
        finally:
            engine.dispose()
    except Exception as error:
        report.problems.append(f"warehouse {_hide_password(url)} cannot be read: "
                               f"{' '.join(str(error).split())[:300]}")
        return
    identifiers = sorted(segments.external_user_id.unique())
    known = set(employees.external_user_id)
    unmapped = [i for i in identifiers if i not in known]
    report.seen.append(("employees", f"{len(identifiers) - len(unmapped)} of {len(identifiers)} "
                                     "identifier(s) in the sample map to employees"))
    if employees.empty:
        report.warnings.append(
            f"no employee mapping for {integration.name} yet: every status would be quarantined "
            f"(agent-status import-employees --integration {integration.name} employees.csv)")
    elif unmapped:
        report.warnings.append(f"{len(unmapped)} identifier(s) map to no employee (their "
                               "statuses would be quarantined): " + "; ".join(
                                   f"{i!r} {hint_for(i, employees)}"
                                   for i in unmapped[:MAX_LISTED]))
    states = sorted(segments.vendor_activity_id.unique())
    without = [s for s in states if s not in set(activities.vendor_activity_id)]
    report.seen.append(("activities", f"{len(states) - len(without)} of {len(states)} state(s) "
                                      "in the sample have an activity mapping"))
    if without:
        report.warnings.append(f"{len(without)} state(s) have no activity mapping and would load "
                               f"as activity 1 'Present': {_listed(without)} (agent-status "
                               f"import-activities --integration {integration.name} ...)")


def airflow_connection(integration: Integration) -> tuple[ConnectionInfo | None, str]:
    """The integration's Airflow connection as the CLI sees it, or why there is none."""
    import airflow.models  # noqa: F401  (configures Airflow's logging, then quieten it:)

    # its log masker warns about every short extra value it cannot mask ("eu")
    logging.getLogger("airflow._shared.secrets_masker").setLevel(logging.ERROR)
    try:
        return ConnectionInfo.from_airflow(integration.conn_id, outside_task=True), ""
    except Exception as error:  # AirflowNotFoundException, a secrets backend that fails
        return None, (f"connection {integration.conn_id!r} cannot be read from Airflow: {error}. "
                      f"Add it (`airflow connections add {integration.conn_id} ...`, or the "
                      f"environment variable AIRFLOW_CONN_{integration.conn_id.upper()}) with "
                      "AIRFLOW_HOME set as for the scheduler")


def run_check(integration: Integration, *, night_date: dt.date | None = None,
              out=None) -> int:
    """The CLI's check: print the report (secrets redacted, logs too); 0 when it can import."""
    out = out or sys.stdout
    connection, problem = airflow_connection(integration)
    if connection is None:
        report = CheckReport(integration, problems=[problem])
    else:
        with _redacted_logs(Redactor(connection)):
            report = check_integration(integration, connection, night_date=night_date)
    for line in report.lines():
        print(line, file=out, flush=True)
    return 0 if report.ok else 1


@contextmanager
def _redacted_logs(redact: Redactor) -> Iterator[None]:
    """The connectors' log lines (retries, waits) on stderr, with the secrets redacted."""
    logger = logging.getLogger("agent_status")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("  log        : %(name)s: %(message)s"))

    def scrub(record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        return True

    handler.addFilter(scrub)
    saved = logger.handlers[:], logger.propagate, logger.level
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.handlers, logger.propagate = saved[0], saved[1]
        logger.setLevel(saved[2])


def _secret_values(extra: Any, key: str = "") -> Iterator[str]:
    if isinstance(extra, dict):
        for name, value in extra.items():
            yield from _secret_values(value, str(name))
    elif isinstance(extra, (list, tuple)):
        for value in extra:
            yield from _secret_values(value, key)
    elif isinstance(extra, str) and SECRET_KEY.search(key) and not key.endswith("_url"):
        yield extra


def _url_password(url: str) -> str:
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).password or ""
    except Exception:  # not a SQLAlchemy URL: the part between ':' and '@' of its userinfo
        userinfo = urlparse(url).netloc.rpartition("@")[0]
        return userinfo.partition(":")[2]


def _hide_password(url: str) -> str:
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(the warehouse URL)"


def _database_address(connection: ConnectionInfo) -> str:
    from agent_status.connectors.sql import engine_for

    try:
        engine = engine_for(connection)
    except Exception:
        return f"of connection {connection.conn_id}"
    try:
        return engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()


def _address(url: str) -> str:
    """``host:port`` of a URL (never its userinfo)."""
    parsed = urlparse(url if "://" in url else f"https://{url}")
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme, "")
    return f"{parsed.hostname}:{port}"


def _network_reason(error: BaseException) -> str:
    import requests

    text = " ".join(str(error).split())
    if isinstance(error, requests.exceptions.SSLError):
        return f"(TLS handshake failed: {text[:200]})"
    if isinstance(error, requests.Timeout):
        return f"(no answer within {PROBE_SECONDS:g} s)"
    if re.search(r"NameResolution|Name or service not known|nodename nor servname|getaddrinfo "
                 r"failed|Temporary failure in name resolution|No address associated", text):
        return "(the name does not resolve: DNS)"
    if "refused" in text.lower():
        return "(connection refused: nothing listens there)"
    return f"({type(error).__name__})"


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _local(moment, zone, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return pd.Timestamp(moment).tz_convert(zone).strftime(fmt)


def _listed(values: list[str]) -> str:
    shown = ", ".join(repr(v) for v in values[:MAX_LISTED])
    return shown + (f" and {len(values) - MAX_LISTED} more" if len(values) > MAX_LISTED else "")


def check_connection(connection: ConnectionInfo, vendors: list[str]) -> tuple[bool, str]:
    """The connection form's Test button (hooks.py): the integrations that use this connection
    are checked as `agent-status check` does; a connection no integration uses yet is checked
    as its vendor with default options (for a database: it connects and answers)."""
    import sqlalchemy as sa

    from agent_status.config import load_integrations

    redact = Redactor(connection)
    try:
        users = [i for i in load_integrations()
                 if i.conn_id == connection.conn_id and i.vendor in vendors]
    except Exception as error:  # noqa: BLE001 - a broken integrations file is the message
        return False, redact(f"the integrations file cannot be read: {error}")
    if not users and VENDORS[vendors[0]].access == "sql":
        from agent_status.connectors.sql import engine_for

        try:
            engine = engine_for(connection)
            try:
                with engine.connect() as db:
                    db.execute(sa.text("SELECT 1"))
            finally:
                engine.dispose()
        except Exception as error:  # noqa: BLE001
            return False, redact(describe_failure(error, VENDORS[vendors[0]], connection))
        return True, ("the database answers; no integration uses this connection yet: run "
                      "`agent-status check --integration NAME` once one does")
    if not users:
        users = [Integration(name="connection_test", vendor=vendors[0],
                             conn_id=connection.conn_id, timezone="UTC",
                             start_date=dt.date.today() - dt.timedelta(days=2))]
    reports = [check_integration(integration, connection) for integration in users]
    lines = [line for report in reports for line in report.lines()
             if "PROBLEM" in line or line.startswith(("ok", "FAILED"))]
    return all(r.ok for r in reports), " | ".join(line.strip() for line in lines)
