-- Genesys Engage, option source: media_neutral: the agents with per-media summarized states in
-- the window (vendors.md 3.1). Each must have media-neutral states too, else
-- SM_MEDIA_NEUTRAL_STATE_FACT is not populated (populate-media-neutral-sm-facts) or lags, and
-- the import fails instead of loading a night without them. Same placeholder and parameters as
-- genesys_engage.sql.
SELECT r.{user_name_column} AS user_name,
       COUNT(*) AS state_rows
FROM SM_RES_STATE_FACT f
JOIN RESOURCE_ r ON r.RESOURCE_KEY = f.RESOURCE_KEY
WHERE f.START_TS < :end_ts
  AND (f.END_TS > :start_ts OR f.END_TS IS NULL OR f.ACTIVE_FLAG = 1)
GROUP BY r.{user_name_column}
