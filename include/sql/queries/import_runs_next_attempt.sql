-- the ledger's next attempt number for a night and run
SELECT COALESCE(MAX(attempt), 0) + 1 FROM import_runs
WHERE integration = :integration AND night_date = :night_date AND run_id = :run_id
