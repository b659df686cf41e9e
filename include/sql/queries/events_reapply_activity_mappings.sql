-- an integration's loaded history remapped with the current activity mappings (unmapped: 1)
UPDATE agent_status_events SET
  activity_id = COALESCE((SELECT am.activity_id FROM activity_mappings am
      WHERE am.integration = agent_status_events.integration
        AND am.vendor_activity_id = agent_status_events.vendor_activity_id), 1),
  classification = COALESCE((SELECT am.classification FROM activity_mappings am
      WHERE am.integration = agent_status_events.integration
        AND am.vendor_activity_id = agent_status_events.vendor_activity_id), 1)
WHERE integration = :integration
