-- Avaya CMS agent trace (vendors.md 9): one row per agent state change, in the CMS's local
-- time. Every column is read (SELECT *) and the connector picks, case-insensitively:
--   LOGID       the login ID, CHAR(10): matched with its trailing blanks removed (9.3)
--   ROW_DATE    the local date the state started
--   WORKMODE    the work mode: a number (1 AVAIL, 2 ACD, 3 ACW, 4 AUX, 9.2; option
--               workmode_codes for others) or its name, from a view that translates it
--   AUXREASON   the AUX reason code (0..99)
--   EVENT_TIME  the local time of the change (option time_column), encoded as option
--               time_encoding says: hhmmss (default), hhmm or seconds since midnight (9.3)
--   WMODE_SEQ   the order of events within one second (option sequence_column, '' if none)
--   DURATION    seconds in the state (NULL while it is still running)
-- These names follow a public importer schema of AG_ACTV (9.3); the table name ag_actv is
-- not confirmed by Avaya (9.1). Replace the query (integration option "query") if your CMS
-- names them otherwise (or only set time_column, e.g. STARTTIME, for another time column).
-- Bound parameters: acd, start_date and end_date (local dates, inclusive), written with a colon.
SELECT *
FROM ag_actv
WHERE acd = :acd
  AND row_date BETWEEN :start_date AND :end_date
ORDER BY logid, row_date
