INSERT INTO agent_status_schema_version (version, name, applied_at) VALUES (:v, :n, :t)
