"""The fault matrix as data: one row per fault, how it ends, on which warehouses, and the
test that proves it. README's "What survives what" table is rendered from these rows
(``python -m tests.faults.matrix`` prints it; test_matrix_readme.py checks the README)."""

from __future__ import annotations

from dataclasses import dataclass

BOTH = "SQLite, PostgreSQL"


@dataclass(frozen=True)
class Row:
    fault: str
    ends: str
    warehouses: str
    test: str  # module::function in tests/faults
    gap: str = ""  # a known failure (the test is xfail strict): what and whose


ROWS = [
    Row("429 storm, `Retry-After: 1`", "exact; each wait is the `Retry-After`", BOTH,
        "test_vendor_faults::test_vendor_fault_ends_exact"),
    Row("429 past the retry budget", "failed night, `HTTP 429`, data unchanged", BOTH,
        "test_vendor_faults::test_vendor_fault_fails_the_night_and_leaves_the_warehouse"),
    Row("5xx burst, connection reset, hang past the read timeout", "exact (retried)", BOTH,
        "test_vendor_faults::test_vendor_fault_ends_exact"),
    Row("truncated JSON, connection dropped mid-body, HTML error page with status 200",
        "exact (retried)", BOTH,
        "test_vendor_faults::test_vendor_fault_ends_exact"),
    Row("each of 429, 5xx, reset, dropped body, truncated JSON, HTML 200, every HTTP vendor",
        "connector output = truth", "none",
        "test_vendor_faults::test_every_http_vendor_survives_each_transient_fault"),
    Row("HTML page with status 200 that persists",
        "failed night, `expected JSON, got text/html`, data unchanged", BOTH,
        "test_vendor_faults::test_vendor_fault_fails_the_night_and_leaves_the_warehouse"),
    Row("token expiry mid-run", "exact; one new token", BOTH,
        "test_vendor_faults::test_vendor_fault_ends_exact"),
    Row("a page served forever", "failed night, `repeating a page`, data unchanged", BOTH,
        "test_vendor_faults::test_vendor_fault_fails_the_night_and_leaves_the_warehouse"),
    Row("a page served forever, every paging vendor", "error within 3 equal pages "
        "(Vonage: at the first, by `meta.page`)", "none",
        "test_bounds::test_a_page_served_forever_ends"),
    Row("empty night", "success, 0 events", BOTH,
        "test_vendor_faults::test_empty_night_loads_nothing_and_says_so"),
    Row("empty tenant, every vendor", "0 events", "none",
        "test_vendor_faults::test_every_vendor_extracts_an_empty_night_as_empty"),
    Row("load SIGKILLed inside its transaction", "night unchanged; re-run = clean run", BOTH,
        "test_crashes::test_load_killed_mid_transaction_then_rerun"),
    Row("warehouse server restarted mid-load", "load fails; night unchanged; re-run = clean "
        "run", "private PostgreSQL", "test_crashes::test_warehouse_server_restarted_mid_load_then_rerun"),
    Row("two integrations loading beside a long read", "both exact; the reader never blocks",
        "SQLite", "test_concurrency::test_two_integrations_load_at_once_beside_a_long_read"),
    Row("the same night loaded twice at once", "exact, no duplicates; both runs in "
        "`import_runs`", BOTH, "test_concurrency::test_same_night_loaded_twice_at_once"),
    Row("integrations file: unknown vendor or field, bad zone, schedule, option or name, "
        "duplicate, missing field", "error naming file, integration and field", "none",
        "test_files::test_bad_integrations_file_names_file_integration_and_field"),
    Row("integrations file with BOM and CRLF; in UTF-16", "loads; error naming the file",
        "none", "test_files::test_integrations_file_encodings"),
    Row("mapping CSV: empty field, duplicate, extra field, `;` delimiter, missing column",
        "`file:line: what`; mapping kept", BOTH,
        "test_files::test_bad_mapping_file_names_line_and_field_and_keeps_the_mapping"),
    Row("mapping CSV with BOM and CRLF; 100k rows", "imported exactly", BOTH,
        "test_files::test_mapping_file_with_bom_and_crlf_imports_exactly"),
    Row("`agent-status unmapped` and `summary` on each warehouse", "they run", BOTH,
        "test_files::test_operator_reports_run_on_every_warehouse"),
    Row("mapping CSV in Latin-1", "error naming the file; mapping kept", BOTH,
        "test_files::test_mapping_file_in_latin1_fails_naming_the_file"),
    Row("status ending before it starts; null user", "failed night naming the agent, data "
        "unchanged", BOTH, "test_hostile_data::test_impossible_events_fail_the_night_naming_them"),
    Row("ten-day status; unknown state; unicode identifier", "clipped to the night; "
        "Present (1), counted; exact match, other normal forms quarantined with a hint", BOTH,
        "test_hostile_data::test_hostile_data_follows_the_documented_rules"),
    Row("timestamp without zone", "taken as UTC", BOTH,
        "test_hostile_data::test_a_timestamp_without_zone_is_utc"),
    Row("password and tokens, every vendor, success and wrong password", "in no log, "
        "exception, `import_runs.error`, Data Docs page or CLI output", BOTH,
        "test_secrets::test_http_vendor_secrets_never_show"),
    Row("SQL injection via vendor data, mapping CSV, integrations option", "stored verbatim "
        "or rejected; every table intact", BOTH,
        "test_sql_injection::test_injection_through_vendor_data"),
    Row("a task that never ends", "`execution_timeout`: extract 4 h, transform, load and quality "
        "1 h",
        "none", "test_bounds::test_every_task_has_an_execution_timeout"),
    Row("a vendor hanging past `execution_timeout` (through Airflow)", "failed try, "
        "`AirflowTaskTimeout` in `import_runs`, nothing loaded", "SQLite",
        "test_airflow_timeout::test_a_hanging_vendor_is_cut_by_execution_timeout"),
]


def render() -> str:
    lines = ["| fault | ends as | warehouses | test (`tests/faults/`) |", "|---|---|---|---|"]
    for row in ROWS:
        ends = row.ends + (f" (**known gap**: {row.gap})" if row.gap else "")
        lines.append(f"| {row.fault} | {ends} | {row.warehouses} | `{row.test}` |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
