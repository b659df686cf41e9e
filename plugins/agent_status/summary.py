"""The per-integration summary the demo ends with (also `agent-status summary`)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

LATEST_ATTEMPTS = """
SELECT r.integration, r.vendor, r.night_date, r.status, r.events_loaded, r.events_quarantined,
       r.events_defaulted, r.validation_success, r.data_docs, r.error
FROM import_runs r
WHERE r.finished_at = (SELECT MAX(r2.finished_at) FROM import_runs r2
                       WHERE r2.integration = r.integration AND r2.night_date = r.night_date)
ORDER BY r.integration, r.night_date
"""


def summary_frame(engine: sa.Engine) -> pd.DataFrame:
    return pd.read_sql_query(sa.text(LATEST_ATTEMPTS), engine)


def print_summary(engine: sa.Engine) -> None:
    from agent_status.mappings import unmapped_identifiers
    from agent_status.warehouse import warehouse_url

    runs = summary_frame(engine)
    quarantine = unmapped_identifiers(engine)
    if runs.empty:
        print("No import has run yet.")
        return
    for name, group in runs.groupby("integration", sort=True):
        ok = group[group.status == "success"]
        failed = group[group.status != "success"]
        print(f"\n== {name} ({group.vendor.iloc[0]}) ==")
        print(f"  nights imported : {len(ok)} ({', '.join(str(d) for d in ok.night_date)})")
        if len(failed):
            print(f"  nights FAILED   : {', '.join(str(d) for d in failed.night_date)}: "
                  f"{failed.error.iloc[-1]}")
        print(f"  events loaded   : {int(ok.events_loaded.sum())}")
        print(f"  quarantined     : {int(ok.events_quarantined.sum())}")
        for row in quarantine[quarantine.integration == name].itertuples():
            print(f"      {row.external_user_id!r}: {row.events} event(s); hint: {row.hint}")
        print(f"  defaulted to Present (activity 1): {int(ok.events_defaulted.sum())}")
        print(f"  validation      : {'passed' if ok.validation_success.all() else 'failed checks recorded'}"
              f" - Data Docs: {ok.data_docs.dropna().iloc[-1] if ok.data_docs.notna().any() else 'n/a'}")
    print(f"\nWarehouse: {warehouse_url()}")
