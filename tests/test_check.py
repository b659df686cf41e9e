"""`agent-status check`: one small real read per integration, reconciled with the simulator; each
failure one precise line (wrong credentials, unreachable host, missing column, undecodable time,
unexpected shape, empty sample); secrets never printed."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
from contextlib import contextmanager
from urllib.parse import quote_plus

import pandas as pd
import pytest
import sqlalchemy as sa

from agent_status.check import Redactor, check_integration, sample_window
from agent_status.cli import main
from agent_status.config import Integration, get_integration
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.registry import VENDORS
from agent_status_dev.demo import connection_json
from agent_status.mappings import import_activity_mappings, import_employee_mappings
from agent_status_dev.sandboxes import sandbox_class
from agent_status_dev.sandboxes.generic_sql import GenericSqlSandbox, SikomSandbox
from agent_status_dev.sandboxes.mitel import QUERY as MITEL_QUERY
from agent_status_dev.sandboxes.genesys_cloud import GenesysCloudSandbox
from agent_status_dev.sandboxes.ujet import UjetSandbox
from agent_status_dev.sandboxes.vonage import VonageSandbox
from agent_status_dev.simulator import Simulator, clip
from agent_status.warehouse import create_warehouse_engine, ensure_schema
from tests.helpers import employee_frame, write_integrations

SIMULATOR = Simulator(agent_count=6, timezone="America/New_York")
NIGHT = dt.date(2026, 11, 10)  # a Tuesday: most agents work
PASSWORD = "Wr0ng-S3cret!pw"  # recognisable, and changed by URL encoding ('!' -> %21)
OPTIONS = {"talkdesk": {"poll_seconds": 0.05}, "five9": {"poll_seconds": 0.05},
           "generic_sql": {"query": GenericSqlSandbox.query},
           "mitel": {"query": MITEL_QUERY}}  # the site's query is required (7.1)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private warehouse and integrations file; returns a function declaring one integration
    whose Airflow connection (AIRFLOW_CONN_*) is ``connection``."""
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", url)
    declared = []

    def declare(vendor: str, connection: ConnectionInfo, **options) -> str:
        name = f"{vendor}_check"
        conn_id = f"check_{vendor}"
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}",
                           json.dumps(connection_json(None, connection)))
        declared.append({"name": name, "vendor": vendor, "conn_id": conn_id,
                         "timezone": SIMULATOR.timezone,
                         # Five9's zone follows its data center option (vendors.md 1.4)
                         **({"source_timezone": SIMULATOR.timezone}
                            if VENDORS[vendor].options_timezone is None else {}),
                         "start_date": "2026-11-01",
                         "options": {**OPTIONS.get(vendor, {}), **options}})
        write_integrations(tmp_path / "integrations.yaml", declared)
        monkeypatch.setenv("AGENT_STATUS_INTEGRATIONS", str(tmp_path / "integrations.yaml"))
        return name

    declare.url = url
    declare.tmp_path = tmp_path
    return declare


@contextmanager
def served(sandbox):
    if hasattr(sandbox, "build"):
        sandbox.build(NIGHT - dt.timedelta(days=1), NIGHT + dt.timedelta(days=1))
    with sandbox:
        yield sandbox


def sandbox_for(vendor: str, tmp_path, cls=None, **kwargs):
    cls = cls or sandbox_class(vendor)
    if hasattr(cls, "build"):
        return cls(SIMULATOR, path=tmp_path / f"{vendor}.sqlite", **kwargs)
    return cls(SIMULATOR, **kwargs)


def check(capfd, name: str) -> tuple[int, str]:
    code = main(["check", "--integration", name, "--night", NIGHT.isoformat()])
    captured = capfd.readouterr()
    return code, captured.out + captured.err


def seconds_by(frame: pd.DataFrame) -> dict:
    return frame.groupby(["external_user_id", "vendor_activity_id"]).duration_seconds.sum().to_dict()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_check_reads_a_sample_equal_to_the_truth_and_reports_the_mappings(vendor, home, capfd,
                                                                         monkeypatch):
    # the SQL vendors' row limit is tested below; here the whole window fits in one chunk
    monkeypatch.setattr("agent_status.connectors.sql.SAMPLE_ROWS", 100_000)
    with served(sandbox_for(vendor, home.tmp_path)) as sandbox:
        name = home(vendor, sandbox.connection())
        integration = get_integration(name)
        _night, start, end = sample_window(integration, NIGHT)
        truth = clip(sandbox.expected(start, end), start, end)
        # mappings: the first agent missing, the second with a wrong case, one state unmapped
        employees = employee_frame(sandbox, skip={0}, alter={
            1: SIMULATOR.agents[1].identifier(sandbox.identifier).upper()})
        states = sorted(truth.vendor_activity_id.unique())
        engine = create_warehouse_engine(home.url)
        ensure_schema(engine)
        import_employee_mappings(engine, name, employees)
        import_activity_mappings(engine, name, pd.DataFrame({
            "vendor_activity_id": states[1:], "activity_id": 10, "classification": 1,
            "activity_name": "Working"}))
        engine.dispose()

        report = check_integration(integration, night_date=NIGHT)  # the Airflow connection
        runs = sandbox.calls["runReport"] if vendor == "five9" else None
        code, out = check(capfd, name)
    assert report.ok, report.problems
    assert seconds_by(report.segments) == seconds_by(truth)  # to the second
    identifiers = sorted(truth.external_user_id.unique())
    mapped = set(employees.external_user_id) & set(identifiers)
    assert ("employees", f"{len(mapped)} of {len(identifiers)} identifier(s) in the sample map "
                         "to employees") in report.seen
    assert ("activities", f"{len(states) - 1} of {len(states)} state(s) in the sample have an "
                          "activity mapping") in report.seen
    assert any(repr(states[0]) in w and "'Present'" in w for w in report.warnings)
    wrong_case = SIMULATOR.agents[1].identifier(sandbox.identifier)
    if wrong_case in identifiers and wrong_case.upper() != wrong_case:  # not Vonage's numbers
        assert any(f"{wrong_case!r} matches employee E1001" in w and "but for case" in w
                   for w in report.warnings)
    assert code == 0, out
    assert out.rstrip().endswith(f"ok     check {name}: can import")
    if vendor == "five9":
        assert runs == 1  # at most one report run of the domain's quota (1.3)


def test_ujet_agents_whose_status_began_before_the_look_behind_are_counted(home, capfd):
    """Issue 8 finding 5: check says how many agents have no status read before the sample."""
    with served(sandbox_for("ujet", home.tmp_path)) as sandbox:
        name = home("ujet", sandbox.connection(), look_behind_days=0.1)
        integration = get_integration(name)
        _night, start, end = sample_window(integration, NIGHT)
        truth = sandbox.expected(start, end)
        code, out = check(capfd, name)
    # agents whose status at the sample's start began before the 0.1-day look-behind
    late = set(truth.external_user_id[truth.start_utc < pd.Timestamp(start)
                                      - pd.Timedelta(days=0.1)])
    found = re.search(r"warning    : UJET: (\d+) agent\(s\) have no status starting in the "
                      r"0\.1 day\(s\) read before .*raise look_behind_days .*: (.*)", out)
    assert found, out
    named = set(re.findall(r"(\S+@\S+) \(from", found.group(2)))
    assert int(found.group(1)) == len(named) > 0 and named <= late
    assert code == 0, out


def test_wrong_credentials_rest_names_them_and_never_prints_the_secret(home, capfd):
    class EchoingVonage(VonageSandbox):
        """A token endpoint that quotes the request (the client secret) in its refusal."""

        def _issue_token(self, body: bytes):
            return 401, {}, {"error": "invalid_client", "error_description":
                             f"no client matches {body.decode()}"}

    with served(sandbox_for("vonage", home.tmp_path, EchoingVonage)) as sandbox:
        good = sandbox.connection()
        name = home("vonage", ConnectionInfo(**{**good.__dict__, "password": PASSWORD}))
        code, out = check(capfd, name)
    assert code == 1
    assert ("wrong credentials: Vonage Contact Center refused login 'sandbox-vcc-client' of "
            "connection check_vonage (HTTP 401)") in out, out
    assert "HTTP 401" in out and "client_secret=***" in out
    assert PASSWORD not in out and quote_plus(PASSWORD) not in out
    assert out.rstrip().endswith(f"FAILED check {name}: 1 problem(s)")


@pytest.mark.parametrize("status", [400, 401])
def test_an_oauth_invalid_client_is_wrong_credentials_whether_400_or_401(home, capfd, status):
    """RFC 6749 5.2: a token endpoint may refuse a client with 400 invalid_client, notably one
    sending its secret in the body, as Vonage's does (issue 8 finding 9)."""
    with served(sandbox_for("vonage", home.tmp_path, refused_client_status=status)) as sandbox:
        good = sandbox.connection()
        name = home("vonage", ConnectionInfo(**{**good.__dict__, "password": PASSWORD}))
        code, out = check(capfd, name)
    assert code == 1
    assert ("wrong credentials: Vonage Contact Center refused login 'sandbox-vcc-client' of "
            "connection check_vonage (HTTP 401); check its login and password") in out, out
    assert "invalid_client" in out and PASSWORD not in out
    assert out.rstrip().endswith(f"FAILED check {name}: 1 problem(s)")


def test_wrong_credentials_sql_names_the_database_and_never_the_password(home, capfd,
                                                                          postgres_url):
    sandbox = GenericSqlSandbox(SIMULATOR, url=postgres_url)
    sandbox.build(NIGHT - dt.timedelta(days=1), NIGHT + dt.timedelta(days=1))
    url = sa.engine.make_url(postgres_url)
    name = home("generic_sql", ConnectionInfo(
        conn_id="x", conn_type="postgres", host=url.host, port=url.port, schema=url.database,
        login="no_such_role", password=PASSWORD))
    code, out = check(capfd, name)
    assert code == 1
    assert (f"wrong credentials: the database postgresql+psycopg://no_such_role:***@{url.host}:"
            f"{url.port}/{url.database} refused login of connection check_generic_sql") in out, out
    assert 'role "no_such_role" does not exist' in out
    assert PASSWORD not in out and quote_plus(PASSWORD) not in out


def test_credentials_lacking_a_permission_are_named(home, capfd):
    with served(sandbox_for("genesys_cloud", home.tmp_path, permissions=())) as sandbox:
        name = home("genesys_cloud", sandbox.connection())
        code, out = check(capfd, name)
    assert code == 1
    assert ("wrong credentials: Genesys Cloud refused login 'sandbox-client' of connection "
            "check_genesys_cloud access (HTTP 403): the client or user lacks a role, permission "
            "or scope") in out, out
    assert "sandbox-secret" not in out


def test_a_host_the_connector_finds_unreachable_after_its_retries_is_named():
    """Hosts the connection does not name (a region's default) are not probed: the connector's
    own connection errors, after its retries, are classified the same way."""
    import requests

    from agent_status.check import describe_failure
    from agent_status.connectors.http import RetriableError

    try:
        try:
            try:
                raise requests.ConnectionError(
                    "HTTPSConnectionPool(host='api.mypurecloud.xx', port=443): Max retries "
                    "exceeded (Caused by NameResolutionError(\"Failed to resolve\"))")
            except requests.ConnectionError as error:
                raise RetriableError("GET https://api.mypurecloud.xx/api/v2/users: "
                                     "ConnectionError") from error
        except RetriableError as error:
            raise VendorError("GET https://api.mypurecloud.xx/api/v2/users: gave up after 8 "
                              f"attempts: {error}") from error
    except VendorError as error:
        line = describe_failure(error, VENDORS["genesys_cloud"],
                                ConnectionInfo(conn_id="c", password=PASSWORD))
    assert line == ("host unreachable (the name does not resolve: DNS): GET "
                    "https://api.mypurecloud.xx/api/v2/users: gave up after 8 attempts: GET "
                    "https://api.mypurecloud.xx/api/v2/users: ConnectionError")


def test_unreachable_rest_host_fails_at_once_naming_host_and_port(home, capfd):
    port = closed_port()
    refused = home("ujet", ConnectionInfo(conn_id="x", host=f"http://127.0.0.1:{port}",
                                          login="acme", password=PASSWORD))
    code, out = check(capfd, refused)
    assert code == 1
    assert (f"host unreachable: 127.0.0.1:{port} (connection check_ujet host) (connection "
            "refused: nothing listens there)") in out, out
    assert PASSWORD not in out


@pytest.mark.parametrize("extra", ["auth_url", "token_url"])
def test_unresolvable_token_url_is_named(home, capfd, extra):
    name = home("genesys_cloud", ConnectionInfo(
        conn_id="x", host="http://127.0.0.1:9", login="client", password=PASSWORD,
        extra={extra: "https://login.no-such-tenant.invalid/oauth/token"}))
    code, out = check(capfd, name)
    assert code == 1
    assert ("host unreachable: login.no-such-tenant.invalid:443 (connection "
            f"check_genesys_cloud extra {extra}) (the name does not resolve: DNS)") in out, out
    assert "host unreachable: 127.0.0.1:9" in out  # both endpoints, one line each
    assert PASSWORD not in out


def test_unreachable_database_names_it_without_the_password(home, capfd):
    port = closed_port()
    name = home("mitel", ConnectionInfo(conn_id="x", conn_type="postgres", host="127.0.0.1",
                                        port=port, schema="ccmdata", login="wfm",
                                        password=PASSWORD))
    code, out = check(capfd, name)
    assert code == 1
    assert (f"host unreachable: the database postgresql+psycopg://wfm:***@127.0.0.1:{port}/"
            "ccmdata") in out, out
    assert "Connection refused" in out
    assert PASSWORD not in out and quote_plus(PASSWORD) not in out


def test_sql_query_missing_a_column_is_named(home, capfd):
    with served(sandbox_for("generic_sql", home.tmp_path)) as sandbox:
        query = GenericSqlSandbox.query.replace(", state AS activity", "")
        name = home("generic_sql", sandbox.connection(), query=query)
        code, out = check(capfd, name)
    assert code == 1
    assert "query result lacks column(s) ['activity']" in out, out


def test_a_time_that_cannot_be_decoded_is_named(home, capfd):
    with served(sandbox_for("generic_sql", home.tmp_path)) as sandbox:
        engine = sa.create_engine(sandbox.url)
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE acd_state_log SET began = '10/11/2026 7h' "
                                       "WHERE rowid = (SELECT MIN(rowid) FROM acd_state_log "
                                       "WHERE began > '2026-11-10 08:00')"))
        engine.dispose()
        name = home("generic_sql", sandbox.connection())
        code, out = check(capfd, name)
    assert code == 1
    assert "column 'starttime' must be datetime" in out, out


def test_a_rest_answer_in_an_unexpected_shape_is_named(home, capfd):
    class WrappingUjet(UjetSandbox):
        """Wraps the activity log's array in an object."""

        def handle(self, method, path, query, headers, body):
            status, out_headers, payload = super().handle(method, path, query, headers, body)
            if path.endswith("/agent_activity_logs") and status == 200:
                payload = {"data": payload}
            return status, out_headers, payload

    with served(sandbox_for("ujet", home.tmp_path, WrappingUjet)) as sandbox:
        name = home("ujet", sandbox.connection())
        code, out = check(capfd, name)
    assert code == 1
    assert "expected a JSON array of objects, got {'data': [" in out, out


def test_an_answer_the_connector_cannot_read_at_all_is_named(home, capfd):
    class AnonymousGenesys(GenesysCloudSandbox):
        """User details without their userId."""

        def handle(self, method, path, query, headers, body):
            status, out_headers, payload = super().handle(method, path, query, headers, body)
            if path.endswith("/details/query") and status == 200:
                for detail in payload.get("userDetails", []):
                    detail.pop("userId")
            return status, out_headers, payload

    with served(sandbox_for("genesys_cloud", home.tmp_path, AnonymousGenesys)) as sandbox:
        name = home("genesys_cloud", sandbox.connection())
        code, out = check(capfd, name)
    assert code == 1
    # a VendorError naming the field and the value, no bare KeyError (issue 8 finding 4)
    assert ("PROBLEM    : Genesys Cloud userId of user details record with fields "
            "['primaryPresence', 'routingStatus']: None") in out, out


def test_an_empty_sample_is_a_problem_naming_the_window(home, capfd):
    sandbox = SikomSandbox(SIMULATOR, path=home.tmp_path / "sikom.sqlite")
    sandbox.build(dt.date(2026, 1, 10), dt.date(2026, 1, 11))  # nothing near NIGHT
    name = home("sikom", sandbox.connection())
    code, out = check(capfd, name)
    assert code == 1
    assert ("the query returned nothing for 2026-11-10 06:00 .. 2026-11-10 18:00 "
            "America/New_York") in out, out


def test_an_undefined_connection_says_how_to_add_it(home, capfd, monkeypatch):
    name = home("vonage", ConnectionInfo(conn_id="x"))
    monkeypatch.delenv("AIRFLOW_CONN_CHECK_VONAGE")
    code, out = check(capfd, name)
    assert code == 1
    assert "connection 'check_vonage' cannot be read from Airflow" in out, out
    assert "AIRFLOW_CONN_CHECK_VONAGE" in out


def test_the_connection_is_read_from_the_metadata_database(home, capfd, airflow_db, monkeypatch):
    """What `make check` relies on: connections imported with `airflow connections import`."""
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    with served(sandbox_for("sikom", home.tmp_path)) as sandbox:
        name = home("sikom", sandbox.connection())
        monkeypatch.delenv("AIRFLOW_CONN_CHECK_SIKOM")
        with create_session() as session:
            session.query(Connection).filter(Connection.conn_id == "check_sikom").delete()
            session.add(Connection(conn_id="check_sikom", conn_type="sqlite",
                                   extra=json.dumps(sandbox.connection().extra)))
        code, out = check(capfd, name)
    assert code == 0, out


def test_redactor_hides_password_extras_and_url_passwords_in_every_encoding():
    redact = Redactor(ConnectionInfo(conn_id="x", password=PASSWORD, extra={
        "sqlalchemy_url": "mssql+pyodbc://wfm:Url%40Pass@db/ccm", "token_url": "https://t/x",
        "url_query": {"PWD": "odbc-pw"}, "region": "eu"}))
    text = (f"{PASSWORD} {quote_plus(PASSWORD)} Url@Pass Url%40Pass odbc-pw https://t/x eu")
    assert redact(text) == "*** *** *** *** *** https://t/x eu"


def test_sample_window_is_the_middle_of_the_last_complete_night():
    integration = Integration(name="t", vendor="vonage", conn_id="c", timezone="Europe/Paris",
                              start_date=dt.date(2026, 1, 1))
    before_cutover = dt.datetime(2026, 10, 25, 22, 30, tzinfo=dt.timezone.utc)  # 23:30 Paris
    night, start, end = sample_window(integration, now=before_cutover)
    assert night.night_date == dt.date(2026, 10, 24)  # the 25th is not over
    assert (start, end) == (dt.datetime(2026, 10, 24, 4, tzinfo=dt.timezone.utc),
                            dt.datetime(2026, 10, 24, 16, tzinfo=dt.timezone.utc))
    # the 25-hour night of the 25th (summer time ends): its middle is 12.5 h in
    night, start, end = sample_window(integration, dt.date(2026, 10, 25),
                                      now=before_cutover + dt.timedelta(hours=2))
    assert (start, end) == (dt.datetime(2026, 10, 25, 4, 30, tzinfo=dt.timezone.utc),
                            dt.datetime(2026, 10, 25, 16, 30, tzinfo=dt.timezone.utc))
    with pytest.raises(ValueError, match="night 2026-10-25 of t is not over yet"):
        sample_window(integration, dt.date(2026, 10, 25), now=before_cutover)



@pytest.mark.parametrize("window_hours", [24, 4])
def test_five9_check_makes_one_report_run_even_across_the_fall_back(window_hours, home, capfd):
    """The issue: "for Five9 at most one report run, respecting its quotas" (1.3): not one per
    ``window_hours``, nor a cut at the fall-back (the report's Pacific time falls back at 09:00Z
    on 1 November, inside the margin read before that night's sample)."""
    night = dt.date(2026, 11, 1)
    with served(sandbox_for("five9", home.tmp_path)) as sandbox:
        name = home("five9", sandbox.connection(), window_hours=window_hours)
        integration = get_integration(name)
        _night, start, end = sample_window(integration, night)
        report = check_integration(integration, night_date=night)
        assert report.ok, report.problems
        assert sandbox.calls["runReport"] == 1 and sandbox.calls["getReportResultCsv"] == 1
        truth = clip(sandbox.expected(start, end), start, end)
        assert seconds_by(report.segments) == seconds_by(truth)


def test_five9_check_at_the_row_cap_fails_naming_it_without_a_second_run(home, capfd,
                                                                         monkeypatch):
    from agent_status.connectors.five9 import Five9Connector

    monkeypatch.setattr(Five9Connector, "row_cap", 50)
    with served(sandbox_for("five9", home.tmp_path, row_cap=50)) as sandbox:
        name = home("five9", sandbox.connection())
        code, out = check(capfd, name)
        assert sandbox.calls["runReport"] == 1
    assert code != 0
    assert "returned 50 rows, the 50-row cap of getReportResultCsv" in out, out


@pytest.mark.parametrize("vendor", ["avaya_cms", "mitel", "generic_sql", "sikom"])
def test_sql_check_reads_one_small_chunk_and_stops(vendor, home, capfd, monkeypatch):
    """The issue: "the query limited to a few rows": one chunk of ``SAMPLE_ROWS`` rows, not the
    window plus a day either side; what it read is exact."""
    from agent_status.connectors import sql

    fetched = []
    original = sql.read_chunks

    def counting(*args, **kwargs):
        for chunk in original(*args, **kwargs):
            fetched.append(len(chunk))
            yield chunk

    monkeypatch.setattr(sql, "read_chunks", counting)
    monkeypatch.setattr(sql, "SAMPLE_ROWS", 40)
    with served(sandbox_for(vendor, home.tmp_path)) as sandbox:
        name = home(vendor, sandbox.connection())
        integration = get_integration(name)
        _night, start, end = sample_window(integration, NIGHT)
        report = check_integration(integration, night_date=NIGHT)
        truth = clip(sandbox.expected(start, end), start, end)
    assert report.ok, report.problems
    assert fetched == [40]  # one chunk of 40 rows, then the query was closed
    # what it read is exact: the seconds of each agent it holds but the last one read (which
    # the row limit may cut) are the truth's
    sample = seconds_by(report.segments)
    agents = sorted({agent for agent, _ in sample})
    assert 1 <= len(agents) < truth.external_user_id.nunique()
    whole = set(agents[:-1])
    assert {k: v for k, v in sample.items() if k[0] in whole} == \
        {k: v for k, v in seconds_by(truth).items() if k[0] in whole}
