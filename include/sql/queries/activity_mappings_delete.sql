-- an import replaces the integration's whole activity mapping: first the old one goes
DELETE FROM activity_mappings WHERE integration = :i
