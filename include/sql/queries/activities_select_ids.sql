SELECT activity_id FROM activities
