"""Genesys Cloud: agent status history from the analytics user-details query (vendors.md 2).

The contract, as the API pages tell it:
- OAuth2 client credentials (connection login/password) at ``https://login.{region}/oauth/token``
  (or extra ``auth_url``, formerly ``token_url``); the API at the connection host, else
  ``https://api.{region}`` (2.2).
- ``GET /api/v2/users`` maps ``userId`` to ``username``, the identifier statuses are matched on
  (0.1, 2.4); ``state=any`` so that agents deactivated since still resolve.
- ``POST /api/v2/analytics/users/details/query`` over windows of at most 7 days, the limit of
  an unfiltered query (2.3), paged until an EMPTY page: a status spanning several days is
  stored on its start day and on its end day and de-duplicated after paging, so pages come
  back short while more follow (2.3). The same status comes back on several pages and in
  every window it overlaps (even one it spans whole), always with its full start and end; it
  is kept once per (userId, kind, startTime) (2.6).
- Paging can neither end early unseen nor run forever (issue 9, ``PageNumberPaginator``):
  ``totalHits`` is approximate (2.3), so the pages read are held to it within option
  ``total_hits_tolerance``; ``max_pages`` bounds an answer without it. The users listing stops
  at its ``pageCount`` and must list its ``total``.

One effective timeline per user (2.6, the rule Verint applies; ``timeline.layered_timeline``):
outside an ON_QUEUE presence the ``systemPresence`` (AVAILABLE, BREAK, MEAL...) is the state,
its ``organizationPresenceId`` the reason; within one, each routing-status segment is
(``ON_QUEUE/IDLE``, ``ON_QUEUE/INTERACTING``...; OFF_QUEUE, the instant around going on queue,
counts as none), and uncovered parts are plain ``ON_QUEUE`` inside the extracted interval.
Segments without ``endTime`` stay open. A ``userId`` the directory does not list fails the
extraction rather than dropping that agent's statuses.

Declared here: what the vendor is, its options, its connection form and its README
rows; the code is agent_status.connectors.genesys_cloud.
"""

from agent_status.connectors.registry import (
    ConnectionField, ConnectionForm, Option, VendorDocs, VendorSpec)

SPEC = VendorSpec(
    name="genesys_cloud", label="Genesys Cloud", identifier="user_name", access="rest",
    module="agent_status.connectors.genesys_cloud:GenesysCloudConnector",
    # Genesys reprocesses data at least 48 h old (vendors.md 2.6): re-read three nights
    default_lookback_nights=3,
    options={
        # 100 as rohit554/Work (2.3)
        "page_size": Option(int, 100, "users per details-query page", 1, 100),
        "users_page_size": Option(int, 500, "users per GET /api/v2/users page", 1, 500),
        # at most 7 days without filters (2.3)
        "window_days": Option(int, 7, "days per details query", 1, 7),
        # totalHits is approximate (2.3): paging ending this far short of it, or running this
        # far past it, fails the night (issue 9); 1 disables the shortfall check
        "total_hits_tolerance": Option((int, float), 0.1, "allowed error of totalHits", 0, 1),
        "max_pages": Option(int, 10_000, "page cap when the answer has no total", 1),
    },
    connection=ConnectionForm(
        "agent_status_genesys_cloud", "Genesys Cloud (agent status)",
        fields={
            "region": ConnectionField(
                "Region", "Genesys Cloud region domain: the token comes from login.<region>, "
                "the API is api.<region> (vendors.md 2.2)", "mypurecloud.com"),
            "auth_url": ConnectionField("Token URL", "Only if not derived from the region"),
        },
        relabeling={"login": "OAuth client id", "password": "OAuth client secret",
                    "host": "API base URL (optional; default api.<region>)"},
        placeholders={"host": "https://api.mypurecloud.de"}),
    docs=VendorDocs(
        connection=('login = OAuth client id, password = secret; extra `{"region": '
                    '"mypurecloud.de"}` (token from `login.<region>`, API `api.<region>`), or host '
                    '= API base URL + extra `auth_url` (form field "Token URL"; `token_url` still '
                    'read)'),
        account=('OAuth client, grant *client credentials*, role with `analytics:userDetail:view` '
                 'and `directory:user:view`. Paging that ends short of `totalHits`, repeats a page '
                 'or never ends fails the night (option `total_hits_tolerance`, default 0.1: '
                 "`totalHits` is approximate; 1 turns the shortfall check off if a tenant's "
                 '`totalHits` counts something else than paged records)'),
        confirmed=('OAuth client credentials per region; users details query (at most 7 days '
                   'unfiltered, paged to an empty page); `username` from `/api/v2/users`; UTC '
                   'times; 429 with `Retry-After`'),
        unconfirmed='rate-limit numbers; page sizes (options `page_size`, `users_page_size`)',
    ),
)
