-- the events a run replayed from quarantine, on the ledger row of its last night
UPDATE import_runs SET events_replayed = :n
WHERE integration = :i AND run_id = :r AND attempt = :a AND night_date = :d
