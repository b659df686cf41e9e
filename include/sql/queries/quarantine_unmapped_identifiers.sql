-- identifiers waiting in quarantine, per integration; :integration NULL means every one
-- (the CAST types the parameter: psycopg 3 cannot type a bare ":integration IS NULL")
SELECT integration, external_user_id, MIN(hint) AS hint, COUNT(*) AS events,
       SUM(duration_seconds) AS seconds, MIN(night_date) AS first_night,
       MAX(night_date) AS last_night
FROM agent_status_quarantine
WHERE CAST(:integration AS VARCHAR) IS NULL OR integration = :integration
GROUP BY integration, external_user_id
ORDER BY integration, external_user_id
