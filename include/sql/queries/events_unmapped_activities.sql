-- loaded vendor activities without a mapping (loaded as 1 "Present"), per integration;
-- :integration NULL means every one (the CAST types the parameter for psycopg 3)
SELECT e.integration, e.vendor_activity_id, MIN(e.vendor_activity_name) AS name,
       COUNT(*) AS events, SUM(e.duration_seconds) AS seconds
FROM agent_status_events e
WHERE NOT EXISTS (SELECT 1 FROM activity_mappings m
                  WHERE m.integration = e.integration
                    AND m.vendor_activity_id = e.vendor_activity_id)
  AND (CAST(:integration AS VARCHAR) IS NULL OR e.integration = :integration)
GROUP BY e.integration, e.vendor_activity_id
ORDER BY e.integration, e.vendor_activity_id
