-- Mitel MiVoice Business / MiContact Center Business (vendors.md 7): agent state events from
-- the CCMData database (SQL Server), one row per agent state, in the ACD's local time.
-- MiCC-B documents only per-interval views (AgentEventStats...), not its event-level agent
-- state store (7.1, 7.3), so this default reads tables of the shape below; point it at your
-- installation's agent event / agent trace source with the integration option "query":
--   tblData_AgentStateEvents: AgentReporting (agent reporting number), State (Idle, ACD,
--     ACD Hold, Non ACD, Non ACD Hold, Outbound, Outbound Hold, Do Not Disturb, Make Busy,
--     System Make Busy, Work Timer, Logged out...), ReasonCode (Make Busy / Do Not Disturb
--     reason code), StartTime and EndTime (local, EndTime NULL while running), Duration
--     (seconds, NULL while running)
--   tblConfig_Agent: Reporting, UserName (the agent's user name, the identifier WFM matches)
-- The connector needs these columns back: user_name, agent_reporting, state, reason_code,
-- start_local, duration. Durations, not end times, place states exactly across DST.
-- Bound parameters: start_local and end_local, the import window widened by a day, as naive
-- local datetimes. Portable SQL: runs unchanged on SQL Server and SQLite.
SELECT a.UserName AS user_name,
       e.AgentReporting AS agent_reporting,
       e.State AS state,
       CAST(e.ReasonCode AS VARCHAR(10)) AS reason_code,
       e.StartTime AS start_local,
       e.Duration AS duration
FROM tblData_AgentStateEvents e
LEFT JOIN tblConfig_Agent a ON a.Reporting = e.AgentReporting
WHERE e.StartTime < :end_local
  AND (e.EndTime IS NULL OR e.EndTime > :start_local)
ORDER BY e.AgentReporting, e.StartTime
