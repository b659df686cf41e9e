"""Genesys Engage (Info Mart): what the vendor is, its options and its README rows (the code:
agent_status.connectors.genesys_engage)."""

from agent_status.connectors.registry import CHUNK_ROWS, Option, VendorDocs, VendorSpec

SPEC = VendorSpec(
    name="genesys_engage", label="Genesys Engage (Info Mart)", identifier="user_name",
    access="sql", module="agent_status.connectors.genesys_engage:GenesysEngageConnector",
    default_lookback_nights=1,
    options={
        "query": Option(str, None, "SQL over the Info Mart (include/sql/vendors)"),
        "chunk_rows": CHUNK_ROWS,
        "user_name_column": Option(str, "RESOURCE_NAME", "RESOURCE_ column with the user name"),
        # who collapses the media into one state (3.1, 3.4): GIM's SM_MEDIA_NEUTRAL_STATE_FACT
        # under its own configured priority, or media_priority here
        "source": Option(str, "media_neutral", "media-neutral states from GIM, or per media",
                         choices=("media_neutral", "per_media")),
        "media_priority": Option(list, None, "source per_media: every STATE_NAME_CODE, highest "
                                 "priority first (default ACW, NOT_READY, BUSY, READY)"),
    },
    connection_type="agent_status_acd_database",
    docs=VendorDocs(
        connection=('conn type `mssql`/`oracle`/`postgres`, host, port, login, password, schema = '
                    'Info Mart database (extra `url_query` for driver options); option '
                    '`user_name_column` (default `RESOURCE_NAME`; deployments differ: '
                    '`EMPLOYEE_ID`, `USER_NAME`...); option `source`: `media_neutral` (default: '
                    "GIM's `SM_MEDIA_NEUTRAL_STATE_FACT`, ranked by GIM's own "
                    '`sm-resource-state-priority`) or `per_media` (ranked here by `media_priority`,'
                    ' default ACW, NOT_READY, BUSY, READY, which must list every `STATE_NAME_CODE` '
                    'of your `RESOURCE_STATE`: an unlisted one fails naming it)'),
        account=('SELECT on `SM_MEDIA_NEUTRAL_STATE_FACT`, `SM_RES_STATE_FACT`, '
                 '`SM_RES_STATE_REASON_FACT`, `RESOURCE_`, `RESOURCE_STATE`, '
                 '`RESOURCE_STATE_REASON`, `MEDIA_TYPE`. `media_neutral` needs GIM option '
                 '`populate-media-neutral-sm-facts = true` (8.5.002+; else the import fails naming '
                 'it) and, before GIM 8.5.116.26 (no `ACTIVE_FLAG` in that table), a `query` of '
                 'your own selecting `0 AS active_flag` there'),
        confirmed=('Info Mart tables `SM_RES_STATE_FACT`, `SM_RES_STATE_REASON_FACT`, '
                   '`RESOURCE_STATE`; UTC epoch seconds; one timeline per media'),
        unconfirmed=('the `RESOURCE_` column with the user name (option `user_name_column`); state '
                     'code spellings (option `media_priority`); option `query`'),
    ),
)
