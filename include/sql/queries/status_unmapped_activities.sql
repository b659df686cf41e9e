-- the status view: an integration's unmapped vendor activities, the most time first
SELECT e.vendor_activity_id, MIN(e.vendor_activity_name) AS name, COUNT(*) AS events,
       SUM(e.duration_seconds) AS seconds
FROM agent_status_events e
WHERE e.integration = :integration
  AND NOT EXISTS (SELECT 1 FROM activity_mappings m
                  WHERE m.integration = e.integration
                    AND m.vendor_activity_id = e.vendor_activity_id)
GROUP BY e.vendor_activity_id
ORDER BY SUM(e.duration_seconds) DESC, e.vendor_activity_id
