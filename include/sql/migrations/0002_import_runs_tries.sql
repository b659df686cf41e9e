-- Migration 2: import_runs.attempt becomes the warehouse's own sequence per (integration, night,
-- run), so a retried task can never collide with an earlier failure row of another task; the
-- Airflow task and its try number are kept beside it for history.
ALTER TABLE import_runs ADD COLUMN task_id TEXT
;
ALTER TABLE import_runs ADD COLUMN try_number INTEGER
;
UPDATE import_runs SET try_number = attempt
;
