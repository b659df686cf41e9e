-- an integration's activity mappings with the WFM activity's name (mappings.read_activity_mappings)
SELECT m.vendor_activity_id, m.activity_id, m.classification, a.name AS activity_name
FROM activity_mappings m
JOIN activities a ON a.activity_id = m.activity_id
WHERE m.integration = :i
ORDER BY m.vendor_activity_id
