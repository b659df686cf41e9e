"""The generic database contract of WFM products (vendors.md 10.2), and Sikom on it (6).

Any ACD with a database can be imported without code: the customer provides a query (or a
view) returning one row per agent status with the columns

- ``agentidentifier``: the user identifier (vendors.md 0.1: case-, spelling- and space-sensitive),
- ``starttime``: local start, in the database's time zone (the integration's ``source_timezone``),
- ``endtime``: local end, NULL (or empty) while the status is ongoing,
- ``activity``: the status label, which becomes the vendor activity id and name.

The query may use two bind parameters, ``:start_local`` and ``:end_local``: the import window
widened by a day on both sides (so each status's predecessor is read for the DST chain, and the
local-time filter cannot miss a status by the fall-back hour), as naive local datetimes
(``sql.window_params``), e.g.
``WHERE starttime < :end_local AND (endtime IS NULL OR endtime > :start_local)``. Sikom has no
public schema (6): its default query reads a view of this contract, ``wfm_agent_status``.

Declared here: what the vendor is, its options, its connection form and its README
rows; the code is agent_status.connectors.generic_sql.
"""

from agent_status.connectors.registry import (
    ACD_DATABASE, CHUNK_ROWS, Option, VendorDocs, VendorSpec)

SPEC = VendorSpec(
    name="generic_sql", label="Generic SQL source", identifier="user_name", access="sql",
    module="agent_status.connectors.generic_sql:GenericSqlConnector",
    default_lookback_nights=1, reports_local_time=True,
    options={
        "query": Option(str, None, "SQL returning agentidentifier, starttime, endtime, activity "
                       "(include/sql/vendors/generic_sql.sql)", required=True),
        "chunk_rows": CHUNK_ROWS,
    },
    connection=ACD_DATABASE,
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
