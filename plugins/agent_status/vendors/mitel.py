"""Mitel MiVoice Business (MiCC-B CCMData): what the vendor is, its options and its README
rows (the code: agent_status.connectors.mitel)."""

from agent_status.connectors.registry import CHUNK_ROWS, Option, VendorDocs, VendorSpec

SPEC = VendorSpec(
    name="mitel", label="Mitel MiVoice Business (MiCC-B CCMData)", identifier="user_name",
    access="sql", module="agent_status.connectors.mitel:MitelConnector",
    default_lookback_nights=1, reports_local_time=True,
    options={
        # 7.1: CCMData publishes no event-level agent state table: the site's query is required
        "query": Option(str, None, "SQL returning user_name, agent_reporting, state, "
                        "reason_code, start_local, duration (include/sql/vendors/mitel.sql)",
                        required=True),
        "chunk_rows": CHUNK_ROWS,
    },
    connection_type="agent_status_acd_database",
    docs=VendorDocs(
        connection=('conn type `mssql`, schema `CCMData`, extra `url_query` `{"driver": "ODBC '
                    'Driver 18 for SQL Server"}`; `source_timezone` = the ACD time zone; option '
                    '`query` **required** (template `include/sql/vendors/mitel.sql`)'),
        account=("SELECT on the site's agent state source (and on CCMStatisticalData if it reads "
                 "Mitel's BI views). No public source names an event-level agent state table in "
                 'CCMData, so there is no default: the query returns `user_name, agent_reporting, '
                 "state, reason_code, start_local, duration`; candidates are Mitel's own "
                 '`BI_Voice_V1_AgentShift_OverridingState` / `BI_MMC_V1_AgentShift_OverridingState`'
                 ' and `BI_Voice_V1_AgentNotReady_Trace` views (see the template)'),
        confirmed='CCMData on SQL Server in ACD local time; state names and reason codes',
        unconfirmed="no public event-level agent state table: your site's `query`",
    ),
)
