-- an import replaces the integration's whole employee mapping: first the old one goes
DELETE FROM employee_external_ids WHERE integration = :i
