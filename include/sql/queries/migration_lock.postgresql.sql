-- one migrator at a time, until its transaction ends (SQLite: BEGIN IMMEDIATE does this)
SELECT pg_advisory_xact_lock(:lock)
