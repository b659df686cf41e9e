-- a night's events, before its new rows go in (the primary key's prefix finds them)
DELETE FROM agent_status_events WHERE integration = :integration AND night_date = :night_date
