-- the migrations' own ledger (PostgreSQL: a time zone aware timestamp)
CREATE TABLE IF NOT EXISTS agent_status_schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)
