"""The Airflow UI as ops use it, in a real browser: sign in through the login form, find the
DAG by its display name, read the Agent status view (what needs attention and why, the
unmapped identifier and its hint), a run's Night summary, and create a vendor connection from
its labelled form and test it.

A real night is imported first (the Genesys Cloud sandbox through ``dag.test``, one agent
mapped under a near-miss identifier and one vendor activity without a mapping, SQLite
warehouse); a real ``airflow api-server`` serves the UI and headless Chromium (Debian's
package, driven by Playwright) reads it. Skips, saying what is missing, without Chromium or
the playwright package. A failing test leaves a screenshot in its tmp dir.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import requests
import sqlalchemy as sa

CHROMIUM = Path(os.environ.get("AGENT_STATUS_CHROMIUM", "/usr/bin/chromium"))
if not CHROMIUM.is_file():
    pytest.skip(f"browser test skipped: no Chromium at {CHROMIUM} (Debian: `apt-get install -y "
                "chromium`, which .ci/run does; never `playwright install`)",
                allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="browser test skipped: the Python package playwright is missing (requirements.txt)")

from agent_status.config import get_integration  # noqa: E402
from agent_status.connectors.base import ConnectionInfo  # noqa: E402
from agent_status_dev.local_airflow import LocalAirflow, free_port  # noqa: E402
from agent_status.mappings import import_activity_mappings, import_employee_mappings  # noqa: E402
from agent_status.nights import night_for_date  # noqa: E402
from agent_status.provider import FAMILIES  # noqa: E402
from agent_status_dev.sandboxes import sandbox_class  # noqa: E402
from agent_status_dev.simulator import Simulator  # noqa: E402
from tests.helpers import employee_frame, write_integrations  # noqa: E402

pytestmark = [pytest.mark.airflow]
# a loaded CI machine: pages, iframes and the Test button's answer may take a few seconds
sync_api.expect.set_options(timeout=20_000)

ROOT = Path(__file__).resolve().parents[2]
# without the background-networking flags Chromium's own connections are refused on a closed
# network; headless on Debian's package, as root in CI (no sandbox)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
NIGHT = dt.date(2026, 11, 10)
INTEGRATION = "acme_berlin"
UNMAPPED_AGENT = 2  # mapped under its identifier in capitals: quarantined, with a hint
UNMAPPED_ACTIVITY = "BREAK"  # no activity mapping: loaded as Present


@dataclass
class ImportedNight:
    """One imported night and what the warehouse holds for it: what the UI must show."""

    dag_id: str
    display_name: str
    run_id: str
    identifier: str  # the vendor's identifier of the unmapped agent
    hint: str
    loaded: int
    quarantined: int
    defaulted: int
    sandbox: ConnectionInfo  # the Genesys Cloud sandbox, still serving


@pytest.fixture(scope="module")
def night(airflow_db, tmp_path_factory):
    from agent_status.dag_factory import build_dag
    from agent_status.warehouse import create_warehouse_engine, ensure_schema

    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'warehouse.sqlite'}"
    sandbox = sandbox_class("genesys_cloud")(
        Simulator(seed=5, agent_count=6, timezone="Europe/Berlin"))
    connection = sandbox.start()
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("AGENT_STATUS_WAREHOUSE_URL", url)
            env.setenv("AIRFLOW_CONN_ACME_GENESYS", json.dumps({
                "conn_type": "agent_status_genesys_cloud", "host": connection.host,
                "login": connection.login, "password": connection.password,
                "extra": connection.extra}))
            env.setenv("AGENT_STATUS_INTEGRATIONS", str(tmp / "integrations.yaml"))
            write_integrations(tmp / "integrations.yaml", [{
                "name": INTEGRATION, "vendor": "genesys_cloud", "conn_id": "acme_genesys",
                "timezone": "Europe/Berlin", "start_date": "2026-11-01", "lookback_nights": 0,
                "quality": {"identifiers_mapped": 0.5}}])
            engine = create_warehouse_engine(url)
            ensure_schema(engine)
            agent = sandbox.simulator.agents[UNMAPPED_AGENT]
            identifier = agent.identifier(sandbox.identifier)
            import_employee_mappings(engine, INTEGRATION, employee_frame(
                sandbox, alter={UNMAPPED_AGENT: identifier.upper()}))
            mapped = sorted({v[0] for v in sandbox.state_map.values()} - {UNMAPPED_ACTIVITY})
            import_activity_mappings(engine, INTEGRATION, pd.DataFrame({
                "vendor_activity_id": mapped, "activity_id": [10 + i for i in range(len(mapped))],
                "classification": 1, "activity_name": mapped}))

            integration = get_integration(INTEGRATION)
            dag = build_dag(integration)
            run = dag.test(logical_date=night_for_date(integration, NIGHT).end_utc
                           + dt.timedelta(hours=1))
            assert run.state == "success"
            with engine.connect() as c:
                def count(query, **params):
                    return c.execute(sa.text(query), {"run_id": run.run_id, **params}).scalar()

                hints = c.execute(sa.text("SELECT DISTINCT external_user_id, hint FROM "
                                          "agent_status_quarantine")).all()
                # the night the UI is asked about: one agent quarantined with a hint, one
                # activity defaulted to Present, the rest loaded
                assert [h.external_user_id for h in hints] == [identifier]
                assert "but for case" in hints[0].hint
                imported = ImportedNight(
                    dag_id=integration.dag_id, display_name=dag.dag_display_name,
                    run_id=run.run_id, identifier=identifier, hint=hints[0].hint,
                    loaded=count("SELECT COUNT(*) FROM agent_status_events WHERE run_id = :run_id"),
                    quarantined=count("SELECT COUNT(*) FROM agent_status_quarantine "
                                      "WHERE run_id = :run_id"),
                    defaulted=count("SELECT COUNT(*) FROM agent_status_events WHERE run_id = "
                                    ":run_id AND vendor_activity_id = :activity",
                                    activity=UNMAPPED_ACTIVITY),
                    sandbox=connection)
            engine.dispose()
            assert imported.loaded and imported.quarantined and imported.defaulted
            _reparse_dags()  # what the dag-processor does within min_file_process_interval
            yield imported
    finally:
        sandbox.stop()


def _reparse_dags() -> None:
    """Parse the DAG folder into the metadata database again, as the dag-processor does: the
    DAG list then shows the attention tags the run's quality task recorded."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db

    for bundle in DagBundlesManager().get_all_dag_bundles():
        if not bundle.is_initialized:
            bundle.initialize()
        sync_bag_to_db(BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path,
                                    bundle_name=bundle.name), bundle.name, bundle.version)


@dataclass
class AirflowUI:
    url: str
    airflow: LocalAirflow


@pytest.fixture(scope="module")
def airflow_ui(night, tmp_path_factory):
    """A real `airflow api-server` on the tests' AIRFLOW_HOME, login admin / admin as the
    Makefile sets it, the Test button enabled, this worktree's package first on the path."""
    home = Path(os.environ["AIRFLOW_HOME"])
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({"admin": "admin"}))
    logs = tmp_path_factory.mktemp("airflow-logs")
    airflow = LocalAirflow(free_port(), logs, components=(("api-server",),), extra_env={
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "AIRFLOW__API__WORKERS": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "plugins"),
                                                    os.environ.get("PYTHONPATH")]))})
    with airflow:
        airflow.wait_ready([night.dag_id], timeout=120)
        yield AirflowUI(airflow.url, airflow)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def signed_in(browser, airflow_ui, tmp_path_factory):
    """A browser context signed in through the UI's login form; its cookie serves every page,
    the plugin's iframes included."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto(f"{airflow_ui.url}/")
        page.wait_for_url("**/auth/login**")  # not signed in yet: the UI sends to its form
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill("admin")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{airflow_ui.url}/")
    except Exception:
        shot = tmp_path_factory.mktemp("login") / "failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failed login: {shot}")
        raise
    page.close()
    yield context
    context.close()


@pytest.fixture
def page(signed_in, request, tmp_path):
    page = signed_in.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        shot = tmp_path / "failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
    page.close()


_TABLE_ROWS = """table => {
  const headers = [...table.querySelectorAll('thead th')].map(th => th.innerText.trim());
  return [...table.querySelectorAll('tbody tr')].map(tr => Object.fromEntries(
    [...tr.cells].map((td, i) => [headers[i], td.innerText.trim()])));
}"""


def rows(table) -> list[dict[str, str]]:
    """A table of the status view, as {header: cell text} per row."""
    return table.evaluate(_TABLE_ROWS)


def table_after(frame, heading: str):
    return frame.locator("h2", has_text=heading).locator("xpath=following-sibling::table[1]")


def test_the_status_pages_need_a_signed_in_user(airflow_ui):
    answer = requests.get(f"{airflow_ui.url}/agent-status/", timeout=30)
    assert answer.status_code in (401, 403)
    assert INTEGRATION not in answer.text


def test_the_dag_list_shows_the_integration_by_its_display_name_and_zone(page, airflow_ui,
                                                                          night):
    page.goto(f"{airflow_ui.url}/dags")
    link = page.get_by_role("link", name=night.display_name, exact=True)
    sync_api.expect(link).to_be_visible()
    assert night.display_name == f"Genesys Cloud: {INTEGRATION} (Europe/Berlin)"
    # which integrations need attention, and why: the last run's reasons as tags
    page.goto(f"{airflow_ui.url}/dags?tags=needs+attention")
    sync_api.expect(link).to_be_visible()
    card = page.locator("div", has=link).filter(has_text="needs attention").last
    for tag in ("agent-status", "needs attention", "unmapped agents, unmapped activities"):
        sync_api.expect(card.get_by_text(tag, exact=True)).to_be_visible()
    link = page.get_by_role("link", name=night.display_name, exact=True)
    link.click()
    page.wait_for_url(f"**/dags/{night.dag_id}")
    # the night timetable's summary names the zone the night is cut in
    sync_api.expect(page.get_by_text("nightly at 0 0 * * * Europe/Berlin").first).to_be_visible()


def test_the_agent_status_view_says_what_needs_attention_and_lists_the_identifier(
        page, airflow_ui, night):
    page.goto(f"{airflow_ui.url}/")
    page.get_by_role("link", name="Agent status").click()
    view = page.frame_locator("iframe")
    overview = {r["integration"]: r for r in rows(view.locator("table"))}
    attention = overview[INTEGRATION]["needs attention"]
    assert "1 unmapped identifier(s)" in attention
    assert "1 vendor activit(y/ies) defaulted to Present" in attention
    assert overview[INTEGRATION]["unmapped ids"] == "1"

    view.get_by_role("link", name=INTEGRATION, exact=True).click()
    identifiers = rows(table_after(view, "Unmapped identifiers"))
    assert [(r["identifier as the vendor reports it"], r["hint"]) for r in identifiers] == [
        (repr(night.identifier), night.hint)]
    assert [r["vendor activity id"] for r in
            rows(table_after(view, "Vendor activities without a mapping"))] == [
        UNMAPPED_ACTIVITY]


def test_the_dags_mapping_status_tab_lists_the_identifier(page, airflow_ui, night):
    page.goto(f"{airflow_ui.url}/dags/{night.dag_id}")
    page.get_by_role("link", name="Mapping status").click()
    identifiers = rows(table_after(page.frame_locator("iframe"), "Unmapped identifiers"))
    assert [r["identifier as the vendor reports it"] for r in identifiers] == [
        repr(night.identifier)]


def test_a_runs_night_summary_counts_loaded_quarantined_and_defaulted(page, airflow_ui, night):
    page.goto(f"{airflow_ui.url}/dags/{night.dag_id}/runs/{night.run_id}")
    page.get_by_role("link", name="Night summary").click()
    summary = page.frame_locator("iframe")
    [nightly] = rows(summary.locator("table").first)
    assert nightly["night"] == NIGHT.isoformat() and nightly["status"] == "success"
    assert (int(nightly["loaded"]), int(nightly["quarantined"]),
            int(nightly["defaulted to Present"])) == (
        night.loaded, night.quarantined, night.defaulted)
    [quarantined] = rows(table_after(summary, "Quarantined identifiers"))
    assert (quarantined["identifier"], quarantined["hint"], int(quarantined["events"])) == (
        repr(night.identifier), night.hint, night.quarantined)
    [defaulted] = rows(table_after(summary, "Vendor activities defaulted to Present"))
    assert (defaulted["vendor activity id"], int(defaulted["events"])) == (
        UNMAPPED_ACTIVITY, night.defaulted)


def test_a_vendor_connection_is_created_from_its_labelled_form_and_tested(page, airflow_ui,
                                                                          night):
    page.goto(f"{airflow_ui.url}/connections")
    page.get_by_role("button", name="Add Connection").click()
    form = page.get_by_role("dialog")
    form.get_by_label("Connection ID").fill("acme_genesys_ui")
    kind = form.get_by_role("combobox")
    kind.fill("(agent status)")  # every vendor family is offered
    offered = page.get_by_role("option").all_inner_texts()
    assert sorted(offered) == sorted(f["hook-name"] for f in FAMILIES.values())
    page.get_by_role("option", name="Genesys Cloud (agent status)").click()

    # the standard fields under the vendor's own words; port and schema hidden
    form.get_by_label("API base URL (optional; default api.<region>)").fill(night.sandbox.host)
    form.get_by_label("OAuth client id").fill(night.sandbox.login)
    form.get_by_label("OAuth client secret").fill(night.sandbox.password)
    assert not form.get_by_label("Port", exact=True).count()
    assert not form.get_by_label("Schema", exact=True).count()
    form.get_by_role("button", name="Extra Fields", exact=True).click()
    for label in ("Region", "Token URL"):
        sync_api.expect(form.get_by_text(label, exact=True)).to_be_visible()
    sync_api.expect(form.get_by_text("the token comes from login.<region>")).to_be_visible()
    # Airflow's extra-field labels point at no input (for= differs from the input's id)
    form.locator("input[name=element_auth_url]").fill(night.sandbox.extra["token_url"])
    form.get_by_role("button", name="Save").click()

    row = page.get_by_role("row").filter(has_text="acme_genesys_ui")
    sync_api.expect(row).to_contain_text("agent_status_genesys_cloud")
    with page.expect_response(lambda r: r.url.endswith("/api/v2/connections/test")) as answer:
        row.get_by_role("button", name="Test Connection").click()
    # the hook runs `agent-status check` against the sandbox and the UI shows its answer
    result = answer.value.json()
    assert result["status"] is True and "can import" in result["message"], result
    sync_api.expect(page.get_by_text("can import")).to_be_visible()
