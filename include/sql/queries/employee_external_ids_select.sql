-- an integration's employee external IDs (mappings.read_employee_mappings)
SELECT employee_id, external_employee_id, external_user_id
FROM employee_external_ids
WHERE integration = :i
ORDER BY employee_id
