-- Avaya CMS agent trace (vendors.md 9): one row per agent state change, in the CMS's local
-- time. row_date is the local date the state started, starttime its local wall time as
-- HHMMSS, duration its length in seconds (NULL while the state is still running).
-- Bound parameters: acd, start_date and end_date (local dates, inclusive), written with a colon.
-- The connector needs these columns back: logid, workmode, auxreason, row_date, starttime,
-- duration. Replace the query (integration option "query") if your CMS names them otherwise.
SELECT logid, workmode, auxreason, row_date, starttime, duration
FROM ag_actv
WHERE acd = :acd
  AND row_date BETWEEN :start_date AND :end_date
ORDER BY logid, row_date, starttime
