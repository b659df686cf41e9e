INSERT INTO activity_mappings (integration, vendor_activity_id, activity_id, classification,
                               updated_at)
VALUES (:integration, :vendor_activity_id, :activity_id, :classification, :now)
