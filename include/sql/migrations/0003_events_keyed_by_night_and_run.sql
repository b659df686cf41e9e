-- Migration 3: the events' primary key leads with the night and the run that loaded it,
-- (integration, night_date, run_id, external_user_id, start_utc), and the separate
-- (integration, night_date) index goes: the key's prefix serves a night's DELETE.
-- Why (issue 10): replacing a night deleted its rows, then inserted the same keys again, and
-- every new key met the deleted one in the unique index (a heap visit per row, inserts in the
-- middle of the index): COPY into PostgreSQL took three times as long as the first load. A new
-- run's rows now form their own range of the key, appended as a first load is, and one index
-- less is maintained on every load. A night holds one run's rows (load_night deletes the
-- night and inserts one run's under the night's lock, in one transaction), so an event's
-- (integration, external_user_id, start_utc) stays unique within its night, as before.
-- PostgreSQL changes the constraint in place: the table, its GRANTs and the views on it stay.
-- SQLite cannot change a primary key, so the table is rebuilt (WITHOUT ROWID: the rows live in
-- the key's b-tree, one b-tree to write instead of two); legacy_alter_table keeps the RENAME
-- from re-checking views (ours and analysts'), which name the table and read it again once it
-- is back under its name. "-- dialect:" limits a statement to one dialect.

-- dialect: postgresql
ALTER TABLE agent_status_events DROP CONSTRAINT agent_status_events_pkey
;
-- dialect: postgresql
ALTER TABLE agent_status_events
    ADD PRIMARY KEY (integration, night_date, run_id, external_user_id, start_utc)
;
-- dialect: sqlite
CREATE TABLE agent_status_events_0003 (
    integration             TEXT NOT NULL,
    vendor                  TEXT NOT NULL,
    night_date              DATE NOT NULL,
    external_user_id        TEXT NOT NULL,
    employee_id             TEXT NOT NULL,
    vendor_activity_id      TEXT NOT NULL,
    vendor_activity_name    TEXT,
    reason                  TEXT,
    activity_id             INTEGER NOT NULL,
    classification          INTEGER NOT NULL,
    start_utc               TIMESTAMP NOT NULL,
    end_utc                 TIMESTAMP NOT NULL,
    duration_seconds        DOUBLE PRECISION NOT NULL,
    is_open                 BOOLEAN NOT NULL,
    run_id                  TEXT NOT NULL,
    loaded_at               TIMESTAMP NOT NULL,
    PRIMARY KEY (integration, night_date, run_id, external_user_id, start_utc)
) WITHOUT ROWID
;
-- dialect: sqlite
INSERT INTO agent_status_events_0003 (integration, vendor, night_date, external_user_id,
    employee_id, vendor_activity_id, vendor_activity_name, reason, activity_id, classification,
    start_utc, end_utc, duration_seconds, is_open, run_id, loaded_at)
SELECT integration, vendor, night_date, external_user_id, employee_id, vendor_activity_id,
       vendor_activity_name, reason, activity_id, classification, start_utc, end_utc,
       duration_seconds, is_open, run_id, loaded_at
FROM agent_status_events
;
-- dialect: sqlite
DROP TABLE agent_status_events
;
-- dialect: sqlite
PRAGMA legacy_alter_table = ON
;
-- dialect: sqlite
ALTER TABLE agent_status_events_0003 RENAME TO agent_status_events
;
-- dialect: sqlite
PRAGMA legacy_alter_table = OFF
;
DROP INDEX IF EXISTS agent_status_events_night
