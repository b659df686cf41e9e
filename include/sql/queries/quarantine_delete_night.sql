-- a night's quarantined events, before its new ones go in
DELETE FROM agent_status_quarantine
WHERE integration = :integration AND night_date = :night_date
