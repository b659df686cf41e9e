-- Migration 1: the warehouse as it was before versioned migrations. Idempotent, so a warehouse
-- created by the old schema.sql is adopted as version 1 without touching its data or views.
-- {TS} is TIMESTAMPTZ on PostgreSQL and TIMESTAMP (UTC text) on SQLite; {CREATE_VIEW} is
-- CREATE OR REPLACE VIEW on PostgreSQL (keeps GRANTs and dependent views) and CREATE VIEW IF NOT
-- EXISTS on SQLite. Statements are separated by a line holding only ";".

CREATE TABLE IF NOT EXISTS activities (
    activity_id     INTEGER PRIMARY KEY,
    name            TEXT NOT NULL
)
;
INSERT INTO activities (activity_id, name) VALUES (1, 'Present') ON CONFLICT DO NOTHING
;
CREATE TABLE IF NOT EXISTS employee_external_ids (
    integration             TEXT NOT NULL,
    employee_id             TEXT NOT NULL,
    external_employee_id    TEXT NOT NULL,
    external_user_id        TEXT NOT NULL,
    updated_at              {TS} NOT NULL,
    PRIMARY KEY (integration, external_user_id),
    UNIQUE (integration, external_employee_id)
)
;
CREATE TABLE IF NOT EXISTS activity_mappings (
    integration         TEXT NOT NULL,
    vendor_activity_id  TEXT NOT NULL,
    activity_id         INTEGER NOT NULL REFERENCES activities (activity_id),
    classification      INTEGER NOT NULL DEFAULT 1,
    updated_at          {TS} NOT NULL,
    PRIMARY KEY (integration, vendor_activity_id)
)
;
CREATE TABLE IF NOT EXISTS agent_status_events (
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
    start_utc               {TS} NOT NULL,
    end_utc                 {TS} NOT NULL,
    duration_seconds        DOUBLE PRECISION NOT NULL,
    is_open                 BOOLEAN NOT NULL,
    run_id                  TEXT NOT NULL,
    loaded_at               {TS} NOT NULL,
    PRIMARY KEY (integration, external_user_id, start_utc)
)
;
CREATE INDEX IF NOT EXISTS agent_status_events_night ON agent_status_events (integration, night_date)
;
CREATE TABLE IF NOT EXISTS agent_status_quarantine (
    integration             TEXT NOT NULL,
    vendor                  TEXT NOT NULL,
    night_date              DATE NOT NULL,
    external_user_id        TEXT NOT NULL,
    vendor_activity_id      TEXT NOT NULL,
    vendor_activity_name    TEXT,
    reason                  TEXT,
    start_utc               {TS} NOT NULL,
    end_utc                 {TS} NOT NULL,
    duration_seconds        DOUBLE PRECISION NOT NULL,
    is_open                 BOOLEAN NOT NULL,
    quarantine_reason       TEXT NOT NULL,
    hint                    TEXT,
    run_id                  TEXT NOT NULL,
    quarantined_at          {TS} NOT NULL,
    PRIMARY KEY (integration, external_user_id, start_utc)
)
;
CREATE INDEX IF NOT EXISTS agent_status_quarantine_night ON agent_status_quarantine (integration, night_date)
;
CREATE TABLE IF NOT EXISTS import_runs (
    integration             TEXT NOT NULL,
    night_date              DATE NOT NULL,
    run_id                  TEXT NOT NULL,
    attempt                 INTEGER NOT NULL,
    vendor                  TEXT NOT NULL,
    status                  TEXT NOT NULL,
    night_start_utc         {TS} NOT NULL,
    night_end_utc           {TS} NOT NULL,
    events_extracted        INTEGER,
    events_loaded           INTEGER,
    events_quarantined      INTEGER,
    events_defaulted        INTEGER,
    events_replayed         INTEGER,
    validation_success      BOOLEAN,
    validation_summary      TEXT,
    data_docs               TEXT,
    error                   TEXT,
    finished_at             {TS} NOT NULL,
    PRIMARY KEY (integration, night_date, run_id, attempt)
)
;
CREATE TABLE IF NOT EXISTS validation_results (
    integration         TEXT NOT NULL,
    night_date          DATE,
    run_id              TEXT NOT NULL,
    suite               TEXT NOT NULL,
    expectation         TEXT NOT NULL,
    column_name         TEXT,
    success             BOOLEAN NOT NULL,
    element_count       INTEGER,
    unexpected_count    INTEGER,
    validated_at        {TS} NOT NULL
)
;
CREATE INDEX IF NOT EXISTS validation_results_run ON validation_results (integration, run_id)
;
{CREATE_VIEW} time_in_activity_daily AS
SELECT e.integration,
       e.night_date,
       e.employee_id,
       e.activity_id,
       a.name AS activity_name,
       e.classification,
       SUM(e.duration_seconds) AS seconds,
       COUNT(*) AS segments
FROM agent_status_events e
LEFT JOIN activities a ON a.activity_id = e.activity_id
GROUP BY e.integration, e.night_date, e.employee_id, e.activity_id, a.name, e.classification
;
{CREATE_VIEW} vendor_time_in_activity_daily AS
SELECT integration, night_date, employee_id, external_user_id, vendor_activity_id,
       vendor_activity_name, reason, SUM(duration_seconds) AS seconds, COUNT(*) AS segments
FROM agent_status_events
GROUP BY integration, night_date, employee_id, external_user_id, vendor_activity_id,
         vendor_activity_name, reason
;
