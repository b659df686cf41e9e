-- a WFM activity named in a mapping file: created, or renamed to the file's name
INSERT INTO activities (activity_id, name) VALUES (:a, :n)
ON CONFLICT (activity_id) DO UPDATE SET name = excluded.name
