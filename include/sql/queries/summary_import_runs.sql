-- every attempt in the ledger: the summary picks each night's latest and latest successful one
SELECT integration, vendor, night_date, run_id, attempt, task_id, try_number, status,
       events_quarantined, data_docs, error, finished_at
FROM import_runs
