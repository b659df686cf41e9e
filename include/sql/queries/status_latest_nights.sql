-- the status view: the latest attempt of each night, what the night looks like now
SELECT r.night_date, r.run_id, r.status, r.events_extracted, r.events_loaded,
       r.events_quarantined, r.events_defaulted, r.events_replayed, r.validation_success,
       r.validation_summary, r.data_docs, r.error, r.finished_at
FROM import_runs r
WHERE r.integration = :integration
  AND r.finished_at = (SELECT MAX(r2.finished_at) FROM import_runs r2
                       WHERE r2.integration = r.integration AND r2.night_date = r.night_date)
ORDER BY r.night_date DESC
