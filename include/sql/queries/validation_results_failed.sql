-- the failed checks of every load (the summary keeps those of the load each night's data is from)
SELECT DISTINCT integration, night_date, run_id, suite, expectation, column_name,
       unexpected_count, element_count
FROM validation_results
WHERE NOT success
