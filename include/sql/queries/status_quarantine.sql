-- the status view: an integration's quarantined identifiers, the most time first
SELECT external_user_id, MIN(hint) AS hint, COUNT(*) AS events,
       SUM(duration_seconds) AS seconds, MIN(night_date) AS first_night,
       MAX(night_date) AS last_night
FROM agent_status_quarantine
WHERE integration = :integration
GROUP BY external_user_id
ORDER BY SUM(duration_seconds) DESC, external_user_id
