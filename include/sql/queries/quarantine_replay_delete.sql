-- the quarantined events quarantine_replay_insert moved into the events
DELETE FROM agent_status_quarantine
WHERE integration = :integration
  AND EXISTS (SELECT 1 FROM employee_external_ids m
              WHERE m.integration = agent_status_quarantine.integration
                AND m.external_user_id = agent_status_quarantine.external_user_id)
