-- quarantined events whose identifier now maps to an employee, into the events, remapped with
-- today's activity mappings (an unmapped activity defaults to 1, Present)
INSERT INTO agent_status_events (integration, vendor, night_date, external_user_id, employee_id,
    vendor_activity_id, vendor_activity_name, reason, activity_id, classification, start_utc,
    end_utc, duration_seconds, is_open, run_id, loaded_at)
SELECT q.integration, q.vendor, q.night_date, q.external_user_id, m.employee_id,
       q.vendor_activity_id, q.vendor_activity_name, q.reason,
       COALESCE(am.activity_id, 1), COALESCE(am.classification, 1),
       q.start_utc, q.end_utc, q.duration_seconds, q.is_open, q.run_id, q.quarantined_at
FROM agent_status_quarantine q
JOIN employee_external_ids m
  ON m.integration = q.integration AND m.external_user_id = q.external_user_id
LEFT JOIN activity_mappings am
  ON am.integration = q.integration AND am.vendor_activity_id = q.vendor_activity_id
WHERE q.integration = :integration
