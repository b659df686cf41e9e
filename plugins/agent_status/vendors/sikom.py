"""Sikom: what the vendor is, its options and its README rows (the code:
agent_status.connectors.generic_sql)."""

from agent_status.connectors.registry import (
    ACD_DATABASE, CHUNK_ROWS, Option, VendorDocs, VendorSpec)

SPEC = VendorSpec(
    name="sikom", label="Sikom", identifier="user_name", access="sql",
    module="agent_status.connectors.generic_sql:SikomConnector",
    default_lookback_nights=1, reports_local_time=True,
    options={
        "query": Option(str, None, "SQL returning the agent states (include/sql/vendors)"),
        "chunk_rows": CHUNK_ROWS,
    },
    connection=ACD_DATABASE,
    docs=VendorDocs(
        connection=('the Sikom database; `source_timezone` = database time zone; option `query` '
                    '(default reads view `wfm_agent_status`, template '
                    '`include/sql/vendors/sikom.sql`)'),
        account=('SELECT on the view `wfm_agent_status` the DBA creates with columns '
                 '`agentidentifier, starttime, endtime, activity`'),
        confirmed='a database in a configured time zone; user names',
        unconfirmed=('everything else: the view `wfm_agent_status` your DBA writes, or option '
                     '`query`'),
    ),
)
