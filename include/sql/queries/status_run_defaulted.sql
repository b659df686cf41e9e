-- the status view's run report: what one DAG run loaded as "Present" for want of a mapping
SELECT e.night_date, e.vendor_activity_id, MIN(e.vendor_activity_name) AS name,
       COUNT(*) AS events, SUM(e.duration_seconds) AS seconds
FROM agent_status_events e
WHERE e.integration = :integration AND e.run_id = :run_id
  AND NOT EXISTS (SELECT 1 FROM activity_mappings m
                  WHERE m.integration = e.integration
                    AND m.vendor_activity_id = e.vendor_activity_id)
GROUP BY e.night_date, e.vendor_activity_id
ORDER BY e.night_date, e.vendor_activity_id
