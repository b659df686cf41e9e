-- the status view's run report: who one DAG run quarantined, per night
SELECT night_date, external_user_id, MIN(hint) AS hint, COUNT(*) AS events,
       SUM(duration_seconds) AS seconds
FROM agent_status_quarantine
WHERE integration = :integration AND run_id = :run_id
GROUP BY night_date, external_user_id
ORDER BY night_date, external_user_id
