-- the migrations' own ledger (SQLite: TIMESTAMP; PostgreSQL has its own variant)
CREATE TABLE IF NOT EXISTS agent_status_schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TIMESTAMP NOT NULL
)
