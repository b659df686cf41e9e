-- wait for any other transaction writing this night (integration/night_date)
SELECT pg_advisory_xact_lock(:lock, hashtext(:key))
