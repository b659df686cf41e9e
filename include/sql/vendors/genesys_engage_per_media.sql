-- Genesys Engage / Genesys Info Mart (vendors.md 3), option source: per_media: summarized agent
-- states per media type, ranked by the connector. Two kinds of rows, in UTC epoch seconds:
--   SM_RES_STATE_FACT         every state of an agent on one media (Ready, NotReady, Busy, ACW...)
--   SM_RES_STATE_REASON_FACT  the periods in which a state had a reason code or work mode
-- The connector collapses the media into one effective state per agent (media_priority, which
-- must list every STATE_NAME_CODE it meets: no source confirms their spellings, 3.4) and lets
-- a reason row win over the plain state row it lies in.
-- The user name column in braces below is replaced with the integration option
-- user_name_column (default RESOURCE_NAME): the RESOURCE_ column holding the user name WFM
-- matches on; deployments differ (EMPLOYEE_ID, USER_NAME...). A query of your own may use the
-- same placeholder or name the column itself.
-- Bound parameters: start_ts and end_ts, the window as epoch seconds. A state is read when it
-- overlaps the window; an active one (ACTIVE_FLAG = 1 or END_TS NULL) whatever its END_TS.
-- The connector needs these columns back: user_name, media, state_code, state_name,
-- software_reason, workmode, start_ts, end_ts, active_flag.
SELECT r.{user_name_column} AS user_name,
       m.MEDIA_NAME_CODE AS media,
       s.STATE_NAME_CODE AS state_code,
       s.STATE_NAME AS state_name,
       CAST(NULL AS VARCHAR(255)) AS software_reason,
       CAST(NULL AS VARCHAR(64)) AS workmode,
       f.START_TS AS start_ts,
       f.END_TS AS end_ts,
       f.ACTIVE_FLAG AS active_flag
FROM SM_RES_STATE_FACT f
JOIN RESOURCE_ r ON r.RESOURCE_KEY = f.RESOURCE_KEY
JOIN RESOURCE_STATE s ON s.RESOURCE_STATE_KEY = f.RESOURCE_STATE_KEY
JOIN MEDIA_TYPE m ON m.MEDIA_TYPE_KEY = f.MEDIA_TYPE_KEY
WHERE f.START_TS < :end_ts
  AND (f.END_TS > :start_ts OR f.END_TS IS NULL OR f.ACTIVE_FLAG = 1)
UNION ALL
SELECT r.{user_name_column} AS user_name,
       m.MEDIA_NAME_CODE AS media,
       s.STATE_NAME_CODE AS state_code,
       s.STATE_NAME AS state_name,
       rr.SOFTWARE_REASON_VALUE AS software_reason,
       rr.WORKMODE AS workmode,
       f.START_TS AS start_ts,
       f.END_TS AS end_ts,
       f.ACTIVE_FLAG AS active_flag
FROM SM_RES_STATE_REASON_FACT f
JOIN RESOURCE_ r ON r.RESOURCE_KEY = f.RESOURCE_KEY
JOIN RESOURCE_STATE s ON s.RESOURCE_STATE_KEY = f.RESOURCE_STATE_KEY
JOIN RESOURCE_STATE_REASON rr ON rr.RESOURCE_STATE_REASON_KEY = f.RESOURCE_STATE_REASON_KEY
JOIN MEDIA_TYPE m ON m.MEDIA_TYPE_KEY = f.MEDIA_TYPE_KEY
WHERE f.START_TS < :end_ts
  AND (f.END_TS > :start_ts OR f.END_TS IS NULL OR f.ACTIVE_FLAG = 1)
