"""Validation with Great Expectations 1.x, called from our own task code.

Two suites: the mapping data of an integration (identifiers unique, non-empty, no leading or
trailing spaces, e-mail shaped where the vendor matches on e-mail), and each night's events
after the employee join (every identifier maps to an employee; end not before start; inside
the night). The join result is validated, never a value set of identifiers: a large value set
is what makes GX slow (engineering-notes D.3). Results go to the warehouse and to persistent
Data Docs under ``data/gx/<integration>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from agent_status import PROJECT_ROOT
from agent_status.nights import Night

log = logging.getLogger(__name__)
# GX logs hundreds of INFO lines at import and on every run ("Skipping registering function",
# "Saving 1 Fluent Datasources"): noise in a task's log, each line a message to Airflow's
# supervisor. Its warnings and errors still show.
logging.getLogger("great_expectations").setLevel(logging.WARNING)
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
NO_EDGE_SPACES = r"^\S(?:.*\S)?$"


@dataclass
class ValidationReport:
    suite: str
    success: bool
    results: list[dict] = field(default_factory=list)  # one per expectation
    data_docs: str | None = None

    def failed(self) -> list[dict]:
        return [r for r in self.results if not r["success"]]

    def summary(self) -> dict:
        return {"suite": self.suite, "success": self.success,
                "failed": [f"{r['expectation']}({r['column']}): {r['unexpected_count']} "
                           f"unexpected of {r['element_count']}" for r in self.failed()]}


def staged_checks(mappings: ValidationReport, night: ValidationReport) -> dict:
    """A night's checks as transform stages them for load (JSON): the night's own suite,
    graded by the integration's thresholds, decides its success; the mapping suite's findings
    (e.g. a space at the end of an identifier) are recorded beside."""
    return {"success": night.success, "summary": [mappings.summary(), night.summary()],
            "rows": [dict(r, suite=s.suite) for s in (mappings, night) for r in s.results],
            "data_docs": night.data_docs}


def result_rows(checks: dict, *, integration: str, night: Night, run_id: str,
                validated_at: dt.datetime) -> list[dict]:
    """The staged checks as rows of the warehouse's validation_results."""
    return [{"integration": integration, "night_date": night.night_date, "run_id": run_id,
             "suite": r["suite"], "expectation": r["expectation"], "column_name": r["column"],
             "success": r["success"], "element_count": r["element_count"],
             "unexpected_count": r["unexpected_count"], "validated_at": validated_at}
            for r in checks["rows"]]


def gx_root(integration: str) -> Path:
    base = Path(os.environ.get("AGENT_STATUS_GX_DIR", PROJECT_ROOT / "data" / "gx"))
    return base / integration


def validate_mappings(mappings: pd.DataFrame, integration: str, identifier: str) -> ValidationReport:
    """Runs the mapping suite when the mapping changed since it last ran, else returns the
    stored report: the mapping is validated when it changes, not every night (issue 10)."""
    frame = mappings[["external_user_id", "external_employee_id", "employee_id"]].astype(object)
    digest = hashlib.sha256(json.dumps([identifier, frame.values.tolist()],
                                       default=str).encode()).hexdigest()[:32]
    stored = gx_root(integration) / "mapping_reports" / f"{digest}.json"
    if stored.exists():
        return ValidationReport(**json.loads(stored.read_text()))
    report = _validate_mappings(frame, integration, identifier)
    stored.parent.mkdir(parents=True, exist_ok=True)
    temporary = stored.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(report)))
    temporary.replace(stored)  # atomic: a concurrent run reads all of it or none
    return report


def _validate_mappings(frame: pd.DataFrame, integration: str, identifier: str) -> ValidationReport:
    import great_expectations as gx

    expectations = [
        gx.expectations.ExpectColumnValuesToNotBeNull(column="external_user_id"),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="external_employee_id"),
        gx.expectations.ExpectColumnValuesToBeUnique(column="external_user_id"),
        gx.expectations.ExpectColumnValuesToBeUnique(column="external_employee_id"),
        gx.expectations.ExpectColumnValueLengthsToBeBetween(column="external_user_id", min_value=1),
        gx.expectations.ExpectColumnValueLengthsToBeBetween(column="external_employee_id",
                                                            min_value=1),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="external_user_id",
                                                       regex=NO_EDGE_SPACES),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="external_employee_id",
                                                       regex=NO_EDGE_SPACES),
    ]
    if identifier == "email":
        expectations.append(gx.expectations.ExpectColumnValuesToMatchRegex(
            column="external_user_id", regex=EMAIL_PATTERN))
    return _run(integration, "employee_mappings", frame, expectations,
                run_name=f"{integration} employee mappings")


def validate_night(joined: pd.DataFrame, integration: str, night: Night,
                   mostly: dict[str, float] | None = None,
                   mapped_activities: set[str] | None = None) -> ValidationReport:
    """``joined``: the night's segments left-joined to employees (employee_id null = unmapped).

    Mapping coverage is a matter of degree: the identifiers' and the vendor activities'
    expectations take the integration's ``mostly`` (quality.py), so a few unmapped agents pass
    (a warning ops see on the run) and a night below its threshold fails. Structure (an end
    before its start, a time outside the night) must hold for every row.

    A night without events (a closed day) holds every expectation over no rows; its report
    says so without starting Great Expectations, a fixed cost of seconds (issue 10)."""
    if joined.empty:
        return ValidationReport("night_events", True, [
            {"expectation": name, "column": column, "success": True, "element_count": 0,
             "unexpected_count": 0} for name, column in NIGHT_EXPECTATIONS])
    import great_expectations as gx

    from agent_status.quality import mostly as thresholds

    share = thresholds(mostly)
    start, end = night.start_utc.timestamp(), night.end_utc.timestamp()
    activities = set(mapped_activities or ())
    frame = pd.DataFrame({
        # the join's outcome per row (NaN = unmapped): the same count of nulls as the text
        # column, without turning a million identifiers into Python objects (issue 10)
        "employee_id": np.where(joined.employee_id.notna(), 1.0, np.nan),
        # likewise whether the vendor activity has a mapping (else it loads as Present)
        "activity_id": np.where(joined.vendor_activity_id.isin(activities), 1.0, np.nan),
        "start_epoch": _epoch(joined.start_utc), "end_epoch": _epoch(joined.end_utc),
    })
    expectations = [
        gx.expectations.ExpectColumnValuesToNotBeNull(column="employee_id",
                                                      mostly=share["identifiers_mapped"]),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="activity_id",
                                                      mostly=share["activities_mapped"]),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="end_epoch", column_B="start_epoch", or_equal=True),
        gx.expectations.ExpectColumnValuesToBeBetween(column="start_epoch", min_value=start,
                                                      max_value=end),
        gx.expectations.ExpectColumnValuesToBeBetween(column="end_epoch", min_value=start,
                                                      max_value=end),
    ]
    return _run(integration, "night_events", frame, expectations,
                run_name=f"{integration} night {night.label}")


# what the night suite reads of the joined segments (transform.night_rows)
NIGHT_SUITE_COLUMNS = ["employee_id", "vendor_activity_id", "start_utc", "end_utc"]
# the mapping-coverage columns: graded by ``mostly``, never a structural failure
COVERAGE_COLUMNS = ("employee_id", "activity_id")
NIGHT_EXPECTATIONS = [("expect_column_values_to_not_be_null", "employee_id"),
                      ("expect_column_values_to_not_be_null", "activity_id"),
                      ("expect_column_pair_values_a_to_be_greater_than_b",
                       "end_epoch>start_epoch"),
                      ("expect_column_values_to_be_between", "start_epoch"),
                      ("expect_column_values_to_be_between", "end_epoch")]  # as validate_night


def _epoch(values: pd.Series) -> pd.Series:
    """Seconds since the epoch as float64, whatever the unit; an empty night stays empty
    (pandas 3 refuses to cast even an empty datetime column to float, issue 9)."""
    stamps = values if pd.api.types.is_datetime64_any_dtype(values) else \
        pd.to_datetime(values, utc=True)
    return stamps.dt.as_unit("us").astype("int64").astype("float64") / 1_000_000


def _run(integration: str, suite_name: str, frame: pd.DataFrame, expectations,
         run_name: str) -> ValidationReport:
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier

    from agent_status.docs_assets import make_site_offline

    root = gx_root(integration)
    root.mkdir(parents=True, exist_ok=True)
    context = _context(root)
    source = _get_or_add(context.data_sources, "get", "add_pandas", "pandas")
    asset = _get_or_add(source, "get_asset", "add_dataframe_asset", suite_name)
    batch = _get_or_add(asset, "get_batch_definition", "add_batch_definition_whole_dataframe",
                        "whole_frame")
    suite = gx.ExpectationSuite(name=f"{integration}.{suite_name}")
    for expectation in expectations:
        suite.add_expectation(expectation)
    suite = context.suites.add_or_update(suite)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{integration}.{suite_name}", data=batch, suite=suite))
    checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
        name=f"{integration}.{suite_name}", validation_definitions=[definition],
        # BASIC: the counts and a few unexpected values; SUMMARY adds the unexpected rows'
        # indices, a Python loop over the index of a million rows (issue 10)
        actions=[UpdateDataDocsAction(name="data_docs")], result_format="BASIC"))
    # Data Docs list the run under its night, not "__none__"
    started = time.time() - 1  # the pages the run writes (file times may be rounded down)
    outcome = checkpoint.run(batch_parameters={"dataframe": frame},
                             run_id=RunIdentifier(run_name=run_name))
    results = []
    for validation in outcome.describe_dict()["validation_results"]:
        for item in validation["expectations"]:
            kwargs, result = item["kwargs"], item.get("result", {})
            results.append({
                "expectation": item["expectation_type"],
                "column": kwargs.get("column") or f"{kwargs.get('column_A')}>{kwargs.get('column_B')}",
                "success": bool(item["success"]),
                "element_count": result.get("element_count"),
                "unexpected_count": result.get("unexpected_count"),
            })
    docs = root / "gx" / "uncommitted" / "data_docs" / DOCS_SITE / "index.html"
    if docs.exists():  # the pages' scripts and styles from local copies: renders offline
        make_site_offline(docs.parent, since=started)
    return ValidationReport(suite_name, bool(outcome.success), results,
                            str(docs) if docs.exists() else None)


_CONTEXTS: dict[Path, object] = {}
DOCS_SITE = "local_site"  # the file context's own Data Docs site
DOCS_INDEX_LIMIT = 120  # results the Data Docs index lists: two months of nights and mappings


def _context(root: Path):
    """One file context per project folder and process: building it reads and parses the
    whole project (a quarter of a second), once per night with lookback nights otherwise."""
    import great_expectations as gx

    if root not in _CONTEXTS or not (root / "gx").exists():
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="file", project_root_dir=str(root))
        # GX draws tqdm progress bars on stderr, which a task log shows as ERROR lines
        context.variables.progress_bars = ProgressBarsConfig(globally=False,
                                                             metric_calculations=False)
        # the index lists the latest results only: it is rendered again on every run, from
        # every result it lists (a year of nights took seconds a night, issue 10); older pages
        # stay on disk, and every result is in the warehouse's validation_results. Pages are
        # rendered by views whose templates compile once (pipeline/gx_views.py)
        site = dict(context.get_config().data_docs_sites.get(DOCS_SITE) or {})
        wanted = {**site, "site_index_builder": {
            **(site.get("site_index_builder") or {}),
            "validation_results_limit": DOCS_INDEX_LIMIT, "view": _view("CompiledIndexPageView")},
            "site_section_builders": {**(site.get("site_section_builders") or {}), **{
                section: {**((site.get("site_section_builders") or {}).get(section) or {}),
                          "view": _view("CompiledPageView")}
                for section in ("expectations", "validations")}}}
        if site and wanted != site:
            context.update_data_docs_site(DOCS_SITE, wanted)
        _CONTEXTS[root] = context
    return _CONTEXTS[root]


def _view(name: str) -> dict:
    return {"module_name": "agent_status.pipeline.gx_views", "class_name": name}


def _get_or_add(owner, getter: str, adder: str, name: str):
    try:
        return getattr(owner, getter)(name)
    except (KeyError, LookupError, ValueError) as error:
        log.debug("creating GX %s %s (%s)", adder, name, error)
        return getattr(owner, adder)(name)
    except Exception as error:  # GX raises its own not-found types per store
        if "not found" in str(error).lower() or "could not find" in str(error).lower() \
                or "no " in str(error).lower():
            return getattr(owner, adder)(name)
        raise
