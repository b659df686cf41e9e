-- the status view's run report: each attempt at each night of one DAG run
SELECT r.night_date, r.attempt, r.status, r.events_extracted, r.events_loaded,
       r.events_quarantined, r.events_defaulted, r.events_replayed, r.validation_success,
       r.validation_summary, r.data_docs, r.error, r.finished_at
FROM import_runs r
WHERE r.integration = :integration AND r.run_id = :run_id
ORDER BY r.night_date, r.attempt
