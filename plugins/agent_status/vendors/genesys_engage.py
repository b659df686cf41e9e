"""Genesys Engage: SQL on the Genesys Info Mart summarized agent states (vendors.md 3).

GIM keeps one state timeline per agent and media type (voice, chat, e-mail...), in UTC epoch
seconds, and one of reasons/work modes (3.1); WFM wants one state per agent. Option ``source``
says who collapses the media:

- ``media_neutral`` (default): GIM itself, in ``SM_MEDIA_NEUTRAL_STATE_FACT``, under its own
  configured sm-resource-state-priority (3.1, 3.4, corrected): the import ranks nothing, so no
  state spelling is assumed. It has no reason: a reason row (any media) of the same state gives
  a state its reason. GIM fills it only with populate-media-neutral-sm-facts (8.5.002 on): an
  agent with per-media states but no media-neutral state in the window fails the import rather
  than loading a night without it (checked when the default query is used);
- ``per_media``: ranked by the import. At every instant the row whose ``STATE_NAME_CODE``
  comes first in ``media_priority`` wins (default: GIM's option's spelling, ACW, NOT_READY,
  BUSY, READY; no source confirms RESOURCE_STATE uses it, 3.4); an unlisted code fails naming
  it. On equal state a reason row beats the plain state row, then the state entered first, then
  the media name.

Rows cut whenever GIM re-evaluates and at every ETL cycle, then continued unchanged, are merged
back (3.5); consecutive instants with the same label are one status. A label is the
STATE_NAME_CODE plus the reason ("NOT_READY/Break"): the software reason value, else the work
mode (AuxWork...). Active states (ACTIVE_FLAG = 1 or END_TS NULL) are open (NaT) and re-read by
the lookback (3.5). The timeline is exact only where every row was read: it is cut to the window.

Declared here: what the vendor is, its options, its connection form and its README
rows; the code is agent_status.connectors.genesys_engage.
"""

from agent_status.connectors.registry import (
    ACD_DATABASE, CHUNK_ROWS, COLUMN_NAME, Option, VendorDocs, VendorSpec)

SPEC = VendorSpec(
    name="genesys_engage", label="Genesys Engage (Info Mart)", identifier="user_name",
    access="sql", module="agent_status.connectors.genesys_engage:GenesysEngageConnector",
    default_lookback_nights=1,
    options={
        "query": Option(str, None, "SQL over the Info Mart (include/sql/vendors)"),
        "chunk_rows": CHUNK_ROWS,
        "user_name_column": Option(str, "RESOURCE_NAME", "RESOURCE_ column with the user name",
                                   pattern=COLUMN_NAME),
        # who collapses the media into one state (3.1, 3.4): GIM's SM_MEDIA_NEUTRAL_STATE_FACT
        # under its own configured priority, or media_priority here
        "source": Option(str, "media_neutral", "media-neutral states from GIM, or per media",
                         choices=("media_neutral", "per_media")),
        "media_priority": Option(list, None, "source per_media: every STATE_NAME_CODE, highest "
                                 "priority first (default ACW, NOT_READY, BUSY, READY)",
                                 items=str),
    },
    connection=ACD_DATABASE,
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
