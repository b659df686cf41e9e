-- Generic SQL source (vendors.md 10.2): the contract a customer's query (integration option
-- "query", required for vendor generic_sql) must meet. This file is the template to copy; the
-- connector never runs it by itself.
--
-- Return one row per agent status with exactly these column names (any order, any case):
--   agentidentifier  text      the user identifier WFM matches on (user name; case-, spelling-
--                              and space-sensitive, vendors.md 0.1)
--   starttime        datetime  local start, in the database's time zone (the integration's
--                              source_timezone; daylight saving time is resolved by the importer:
--                              in the repeated autumn hour each status is placed so the agent's
--                              timeline stays whole; a session entirely inside that hour, between
--                              two logouts, fits both occurrences and stops the import, named)
--   endtime          datetime  local end; NULL while the status is still ongoing
--                              (both plain local timestamps, without time zone: convert a
--                              timestamp with time zone in the query, e.g. AT TIME ZONE)
--   activity         text      the status label; becomes the vendor activity to map in WFM
-- Bound parameters (optional, written with a colon): start_local and end_local, the import
-- window widened by one day on both sides, as naive local datetimes. Filter on overlap so a
-- status that started before the window but runs into it is read:
SELECT agentidentifier, starttime, endtime, activity
FROM wfm_agent_status
WHERE starttime < :end_local
  AND (endtime IS NULL OR endtime > :start_local)
ORDER BY agentidentifier, starttime
