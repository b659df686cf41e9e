"""Mitel MiVoice Business: SQL on the MiCC-B CCMData database, in ACD local time (vendors.md 7).

No public source names an event-level agent state table in CCMData (7.1, second audit): the
public sample views are per interval (``AgentEventStats``...), and Mitel's own Power BI models
(``mitel-networks/micc-api-samples``, MiCCDataAnalytics/PowerBI) read views such as
``BI_Voice_V1_AgentShift_OverridingState``, ``BI_MMC_V1_AgentShift_OverridingState`` and
``BI_Voice_V1_AgentNotReady_Trace`` ("Not Ready Start At", "Not Ready End At", "Reason Code")
whose full columns are not published. So the site's query is required input (option ``query``,
as for the generic SQL source); ``include/sql/vendors/mitel.sql`` is its template and lists
these candidates. The query returns one row per agent state: ``user_name`` (the required
identifier, 0.1), ``agent_reporting`` (the reporting number, for messages), ``state``,
``reason_code``, ``start_local`` (ACD local time, the integration's ``source_timezone``, 7.3)
and ``duration`` in seconds (NULL while the state is still running). It may use
``:start_local`` and ``:end_local``, the window widened by a day, as naive local datetimes.

States (7.2): Idle, ACD, ACD Hold, Non ACD, Non ACD Hold, Outbound, Outbound Hold, Do Not
Disturb, Make Busy, System Make Busy, Work Timer, Logged out... any label passes through. Make
Busy and Do Not Disturb carry a reason code, which joins the activity id ("Make Busy/4") so
each reason can be mapped to its own WFM activity.

Declared here: what the vendor is, its options, its connection form and its README
rows; the code is agent_status.connectors.mitel.
"""

from agent_status.connectors.registry import (
    ACD_DATABASE, CHUNK_ROWS, Option, VendorDocs, VendorSpec)

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
    connection=ACD_DATABASE,
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
