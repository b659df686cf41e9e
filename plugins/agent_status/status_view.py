"""The mapping-status view ops read where they resume a DAG (an Airflow plugin, read-only).

Everything here runs when a page is requested, never at DAG parse time: the integrations file
and the warehouse are read per request. Pages are plain HTML with inline styles, so they render
without internet access; Data Docs are served from their folder with their CDN links replaced
by local copies (``docs_assets``).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from agent_status.warehouse import query

NIGHTS_SHOWN = 14


@dataclass
class IntegrationStatus:
    """What ops need before resuming one integration."""

    name: str
    vendor: str
    vendor_label: str
    dag_id: str
    timezone: str
    identifier: str
    nights: list[dict] = field(default_factory=list)
    unmapped_identifiers: list[dict] = field(default_factory=list)
    unmapped_activities: list[dict] = field(default_factory=list)
    quarantined_seconds: float = 0.0
    error: str | None = None

    @property
    def attention(self) -> list[str]:
        """Why this integration needs attention (empty: healthy)."""
        reasons = []
        if self.error:
            reasons.append(self.error)
        failed = [n for n in self.nights if n["status"] != "success"]
        if failed:
            reasons.append(f"{len(failed)} failed night(s), latest {failed[0]['night_date']}")
        if self.unmapped_identifiers:
            reasons.append(f"{len(self.unmapped_identifiers)} unmapped identifier(s), "
                           f"{_hms(self.quarantined_seconds)} quarantined")
        if self.unmapped_activities:
            reasons.append(f"{len(self.unmapped_activities)} vendor activit(y/ies) "
                           f"defaulted to Present")
        if not self.nights and not self.error:
            reasons.append("no night imported yet")
        return reasons

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "vendor": self.vendor, "dag_id": self.dag_id,
                "timezone": self.timezone, "identifier": self.identifier,
                "attention": self.attention, "quarantined_seconds": self.quarantined_seconds,
                "nights": self.nights, "unmapped_identifiers": self.unmapped_identifiers,
                "unmapped_activities": self.unmapped_activities}


def _rows(connection: sa.Connection, statement: str, **params) -> list[dict]:
    return [{key: _plain(value) for key, value in row._mapping.items()}
            for row in connection.execute(sa.text(statement), params)]


def _plain(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def integration_statuses(engine: sa.Engine, integrations) -> list[IntegrationStatus]:
    from agent_status.connectors.registry import IDENTIFIER_LABELS, VENDORS

    statuses = []
    with engine.connect() as connection:
        for integration in integrations:
            spec = VENDORS[integration.vendor]
            status = IntegrationStatus(
                name=integration.name, vendor=integration.vendor, vendor_label=spec.label,
                dag_id=integration.dag_id, timezone=integration.timezone,
                identifier=IDENTIFIER_LABELS[spec.identifier])
            try:
                status.nights = _rows(connection, query("status_latest_nights"),
                                      integration=integration.name)[:NIGHTS_SHOWN]
                status.unmapped_identifiers = _rows(connection, query("status_quarantine"),
                                                    integration=integration.name)
                status.unmapped_activities = _rows(
                    connection, query("status_unmapped_activities"), integration=integration.name)
            except sa.exc.SQLAlchemyError as error:
                connection.rollback()
                status.error = f"warehouse not readable: {str(error).splitlines()[0]}"
            status.quarantined_seconds = float(
                sum(row["seconds"] or 0 for row in status.unmapped_identifiers))
            statuses.append(status)
    return statuses


def run_report(engine: sa.Engine, integration: str, run_id: str) -> dict[str, Any]:
    """One DAG run: each night's counts, who was quarantined, what defaulted to Present."""
    with engine.connect() as connection:
        run = {"integration": integration, "run_id": run_id}
        nights = _rows(connection, query("status_run_nights"), **run)
        quarantine = _rows(connection, query("status_run_quarantine"), **run)
        defaulted = _rows(connection, query("status_run_defaulted"), **run)
    return {"integration": integration, "run_id": run_id, "nights": nights,
            "quarantined": quarantine, "defaulted": defaulted}


# ---------------------------------------------------------------------------- HTML rendering

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.2rem;color:#1d2433}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.6rem}h3{font-size:1rem}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #d5d9e0;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f4f7}.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#17703a;font-weight:600}.warn{color:#a15c00;font-weight:600}
.bad{color:#b42318;font-weight:600}.muted{color:#667085}code{background:#f2f4f7;padding:0 .2rem}
.card{border:1px solid #d5d9e0;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _hms(seconds) -> str:
    seconds = int(round(float(seconds or 0)))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{body}</body></html>")


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    if not rows:
        return "<p class='muted'>none</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f"<td class='num'>{cell}</td>" if i in numeric else f"<td>{cell}</td>"
        for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _validation_label(night: dict) -> str:
    summary = night.get("validation_summary")
    if night.get("validation_success") in (True, 1):
        return "<span class='ok'>passed</span>"
    if night.get("validation_success") is None:
        return "<span class='muted'>n/a</span>"
    detail = ""
    try:
        parts = json.loads(summary) if summary else []
        failed = [f for part in (parts if isinstance(parts, list) else [parts])
                  for f in (part.get("failed") or [])]
        detail = ", ".join(str(f) for f in failed)
    except (TypeError, ValueError, AttributeError):
        detail = ""
    return f"<span class='warn'>checks failed</span> {_e(detail)}"


def _status_label(status: str) -> str:
    css = {"success": "ok", "warning": "warn"}.get(status, "bad")
    return f"<span class='{css}'>{_e(status)}</span>"


def _docs_link(prefix: str, integration: str, data_docs: str | None) -> str:
    if not data_docs:
        return ""
    return f"<a href='{prefix}/data-docs/{_e(integration)}/index.html'>Data Docs</a>"


def render_overview(statuses: list[IntegrationStatus], prefix: str) -> str:
    rows = []
    for status in statuses:
        attention = status.attention
        state = ("<span class='ok'>healthy</span>" if not attention else
                 "<span class='warn'>" + "<br>".join(_e(a) for a in attention) + "</span>")
        last = status.nights[0] if status.nights else None
        rows.append([
            f"<a href='{prefix}/integrations/{_e(status.name)}'>{_e(status.name)}</a>",
            _e(status.vendor_label), _e(status.timezone), state,
            _e(last["night_date"]) if last else "-",
            _status_label(last["status"]) if last else "-",
            str(len(status.unmapped_identifiers)), _hms(status.quarantined_seconds),
            str(len(status.unmapped_activities)),
            f"<a href='/dags/{_e(status.dag_id)}' target='_top'>DAG</a>"])
    body = ("<h1>Agent status: mapping status and night health</h1>"
            "<p class='muted'>Fix what is listed before resuming a DAG: unmapped identifiers stay "
            "in quarantine (nothing is lost; the next run or <code>agent-status "
            "reapply-activities</code> loads them once mapped), unmapped vendor activities load "
            "as activity 1 “Present”.</p>"
            + _table(["integration", "vendor", "time zone", "needs attention", "last night",
                      "status", "unmapped ids", "quarantined", "unmapped activities", ""],
                     rows, numeric={6, 7, 8}))
    return _page("Agent status", body)


def render_integration(status: IntegrationStatus, prefix: str) -> str:
    nights = [[_e(n["night_date"]), _status_label(n["status"]),
               _e(n.get("events_loaded")), _e(n.get("events_quarantined")),
               _e(n.get("events_defaulted")), _e(n.get("events_replayed")),
               _validation_label(n),
               f"<a href='{prefix}/dags/{_e(status.dag_id)}/runs/{_e(n['run_id'])}'>run</a> "
               + _docs_link(prefix, status.name, n.get("data_docs")),
               _e((n.get("error") or "")[:300])] for n in status.nights]
    identifiers = [[f"<code>{_e(repr(r['external_user_id']))}</code>", _e(r["hint"]),
                    _e(r["events"]), _hms(r["seconds"]), _e(r["first_night"]),
                    _e(r["last_night"])] for r in status.unmapped_identifiers]
    activities = [[f"<code>{_e(r['vendor_activity_id'])}</code>", _e(r["name"]),
                   _e(r["events"]), _hms(r["seconds"])] for r in status.unmapped_activities]
    attention = status.attention
    head = ("<p class='ok'>Healthy: every identifier and activity is mapped.</p>"
            if not attention else
            "<div class='card'><b>Needs attention</b><ul>"
            + "".join(f"<li>{_e(a)}</li>" for a in attention) + "</ul></div>")
    body = (f"<p><a href='{prefix}/'>&larr; all integrations</a></p>"
            f"<h1>{_e(status.name)} <span class='muted'>({_e(status.vendor_label)}, "
            f"{_e(status.timezone)})</span></h1>{head}"
            f"<h2>Unmapped identifiers ({_e(status.identifier)}, matched exactly)</h2>"
            + _table(["identifier as the vendor reports it", "hint", "events",
                      "quarantined time", "first night", "last night"], identifiers,
                     numeric={2, 3})
            + "<p class='muted'>Fix: <code>agent-status import-employees --integration "
            f"{_e(status.name)} employees.csv</code>, then resume the DAG.</p>"
            "<h2>Vendor activities without a mapping (loaded as Present)</h2>"
            + _table(["vendor activity id", "name", "events", "time"], activities,
                     numeric={2, 3})
            + f"<h2>Last {NIGHTS_SHOWN} nights</h2>"
            + _table(["night", "status", "loaded", "quarantined", "defaulted", "replayed",
                      "validation", "", "error"], nights, numeric={2, 3, 4, 5}))
    return _page(f"Agent status: {status.name}", body)


def render_run(report: dict, prefix: str, quality: dict | None = None) -> str:
    nights = [[_e(n["night_date"]), _e(n["attempt"]), _status_label(n["status"]),
               _e(n.get("events_extracted")), _e(n.get("events_loaded")),
               _e(n.get("events_quarantined")), _e(n.get("events_defaulted")),
               _e(n.get("events_replayed")), _validation_label(n),
               _e((n.get("error") or "")[:500])] for n in report["nights"]]
    quarantined = [[_e(r["night_date"]), f"<code>{_e(repr(r['external_user_id']))}</code>",
                    _e(r["hint"]), _e(r["events"]), _hms(r["seconds"])]
                   for r in report["quarantined"]]
    defaulted = [[_e(r["night_date"]), f"<code>{_e(r['vendor_activity_id'])}</code>",
                  _e(r["name"]), _e(r["events"]), _hms(r["seconds"])]
                 for r in report["defaulted"]]
    name = report["integration"]
    if not report["nights"]:
        outcome = "<p class='muted'>This run has written no night yet.</p>"
    else:
        from agent_status.quality import assess

        latest = {}
        for n in report["nights"]:
            latest[n["night_date"]] = n
        lines = []
        for night, n in latest.items():
            if n["status"] != "success":
                lines.append(f"<li class='bad'>{_e(night)}: failed: "
                             f"{_e((n.get('error') or '')[:300])}</li>")
                continue
            verdict = assess(str(night), n, quality)
            css = {"passed": "ok", "warning": "warn"}.get(verdict.level, "bad")
            why = "; ".join(verdict.reasons) or "every identifier and activity mapped"
            lines.append(f"<li><span class='{css}'>{_e(night)}: loaded, quality "
                         f"{_e(verdict.level)}</span>: {_e(why)}</li>")
        outcome = "<ul>" + "".join(lines) + "</ul>"
    body = (f"<p><a href='{prefix}/integrations/{_e(name)}'>&larr; {_e(name)}</a></p>"
            f"<h1>Run <code>{_e(report['run_id'])}</code></h1>{outcome}"
            + _table(["night", "attempt", "status", "extracted", "loaded", "quarantined",
                      "defaulted to Present", "replayed", "validation", "error"], nights,
                     numeric={1, 3, 4, 5, 6, 7})
            + "<h2>Quarantined identifiers</h2>"
            + _table(["night", "identifier", "hint", "events", "time"], quarantined,
                     numeric={3, 4})
            + "<h2>Vendor activities defaulted to Present</h2>"
            + _table(["night", "vendor activity id", "name", "events", "time"], defaulted,
                     numeric={3, 4}))
    return _page(f"Run {report['run_id']}", body)


# ---------------------------------------------------------------------------- the FastAPI app

PREFIX = "/agent-status"


def create_app(require_user=None):
    """The plugin's FastAPI app. ``require_user`` is Airflow's login check (a dependency)."""
    from fastapi import Depends, FastAPI, HTTPException
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

    dependencies = [Depends(require_user)] if require_user is not None else []
    app = FastAPI(title="agent-status", dependencies=dependencies)

    def _engine():
        from agent_status.warehouse import create_warehouse_engine, warehouse_url

        return create_warehouse_engine(warehouse_url(use_airflow=False))

    def _statuses(name: str | None = None) -> list[IntegrationStatus]:
        from agent_status.config import load_integrations

        integrations = [i for i in load_integrations() if name is None or i.name == name]
        if name is not None and not integrations:
            raise HTTPException(404, f"no integration named {name!r}")
        engine = _engine()
        try:
            return integration_statuses(engine, integrations)
        finally:
            engine.dispose()

    @app.get("/", response_class=HTMLResponse)
    def overview():
        return render_overview(_statuses(), PREFIX)

    @app.get("/api/status")
    def status_json():
        return JSONResponse([s.as_dict() for s in _statuses()])

    @app.get("/integrations/{name}", response_class=HTMLResponse)
    def integration_page(name: str):
        return render_integration(_statuses(name)[0], PREFIX)

    @app.get("/dags/{dag_id}", response_class=HTMLResponse)
    def dag_page(dag_id: str):
        return render_integration(_statuses(_integration_of(dag_id))[0], PREFIX)

    @app.get("/dags/{dag_id}/runs/{run_id:path}", response_class=HTMLResponse)
    def run_page(dag_id: str, run_id: str):
        from agent_status.config import get_integration

        name = _integration_of(dag_id)
        try:
            quality = get_integration(name).quality
        except Exception:  # noqa: BLE001 - an integration since removed from the file
            quality = None
        engine = _engine()
        try:
            report = run_report(engine, name, run_id)
        finally:
            engine.dispose()
        return render_run(report, PREFIX, quality)

    @app.get("/data-docs/{name}/{path:path}")
    def data_docs(name: str, path: str):
        from agent_status.docs_assets import offline_html
        from agent_status.pipeline.validate import gx_root

        _statuses(name)  # 404 for an unknown integration
        site = (gx_root(name) / "gx" / "uncommitted" / "data_docs" / "local_site").resolve()
        target = (site / path).resolve()
        if site not in target.parents and target != site or not target.is_file():
            raise HTTPException(404, f"no Data Docs page {path!r} for {name!r}")
        if target.suffix == ".html":
            return Response(offline_html(target.read_text(encoding="utf-8"),
                                         f"{PREFIX}/assets/"), media_type="text/html")
        return FileResponse(target)

    @app.get("/assets/{path:path}")
    def assets(path: str):
        from agent_status.docs_assets import asset_file

        target = asset_file(path)
        if target is None:
            raise HTTPException(404, f"no asset {path!r}")
        return FileResponse(target)

    return app


def _integration_of(dag_id: str) -> str:
    from fastapi import HTTPException

    if not dag_id.startswith("agent_status__"):
        raise HTTPException(404, f"{dag_id!r} is not an agent-status DAG")
    return dag_id.removeprefix("agent_status__")

