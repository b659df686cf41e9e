-- Sikom (vendors.md 6): Sikom publishes no schema, so the import reads a view in the generic
-- database contract (see generic_sql.sql for the columns) that the Sikom database
-- administrator creates over the agent status history, in the database's local time:
--   CREATE VIEW wfm_agent_status AS
--     SELECT <user name> AS agentidentifier, <status start> AS starttime,
--            <status end, NULL while ongoing> AS endtime, <status label> AS activity
--     FROM <Sikom agent status table>;
-- Bound parameters: start_local and end_local (naive local datetimes, the window widened by a
-- day). Replace the whole query with the integration option "query" if your view differs.
SELECT agentidentifier, starttime, endtime, activity
FROM wfm_agent_status
WHERE starttime < :end_local
  AND (endtime IS NULL OR endtime > :start_local)
ORDER BY agentidentifier, starttime
