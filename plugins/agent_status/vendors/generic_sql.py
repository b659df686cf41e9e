"""Generic SQL source: what the vendor is, its options and its README rows (the code:
agent_status.connectors.generic_sql)."""

from agent_status.connectors.registry import CHUNK_ROWS, Option, VendorDocs, VendorSpec

SPEC = VendorSpec(
    name="generic_sql", label="Generic SQL source", identifier="user_name", access="sql",
    module="agent_status.connectors.generic_sql:GenericSqlConnector",
    default_lookback_nights=1, reports_local_time=True,
    options={
        "query": Option(str, None, "SQL returning agentidentifier, starttime, endtime, activity "
                       "(include/sql/vendors/generic_sql.sql)", required=True),
        "chunk_rows": CHUNK_ROWS,
    },
    connection_type="agent_status_acd_database",
    docs=VendorDocs(
        identifier='your choice',
        connection='any database; `source_timezone`; option `query` **required**',
        account=('the query returns `agentidentifier`, `starttime`, `endtime` (NULL while ongoing),'
                 ' `activity`, as local timestamps; it may use `:start_local` and `:end_local` (the'
                 ' window widened by a day). Any other ACD with a database imports without code'),
        confirmed='the contract is ours (`include/sql/vendors/generic_sql.sql`)',
        unconfirmed='your `query` and `source_timezone`',
    ),
)
