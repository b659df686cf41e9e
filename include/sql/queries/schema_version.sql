-- the warehouse's migration version, 0 when none is applied
SELECT COALESCE(MAX(version), 0) FROM agent_status_schema_version
