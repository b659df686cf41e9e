"""Vonage Contact Center: agent states from the Insights Stats WFM endpoint (vendors.md 8).

Credentials (8.2): OAuth2 client credentials with scope ``stats``, the client id and secret
(connection login and password) sent in the token request body, at extra ``auth_url``
(formerly ``token_url``) or else ``https://{region}.cc.vonage.com/Auth/connect/token`` for extra
``region`` emea, nam or apac. The API is at the connection host, else
``https://{region}.api.newvoicemedia.com``; every call sends
``Accept: application/vnd.newvoicemedia.v3+json``.

The contract:
- ``GET /stats/wfm/agent-states?start&end&include&page&limit`` over windows of at most 31 days
  (a longer one answers 400, 8.3), paged from 1 with ``meta{page, count, pageCount,
  totalCount}`` until the last page or an empty one. Paging can neither end early unseen nor
  run forever (issue 9): an empty page before ``totalCount`` items were read, or a page
  identical to the previous one, is asked again (a transient fault heals) and then fails;
  ``meta.page`` must be the page asked for; more pages than ``totalCount`` needs (plus the
  empty one some answers promise) fail; so does paging that ends short of ``totalCount``.
- ``upTo`` is "the time of the request" (8.3, corrected): it matters for polling, which this
  batch import does not do. A window reaching past it holds every state that existed then;
  states running at that time are open and a later run's lookback re-reads them.
- ``include`` (option): ``Started`` (default) finds states by their start, so the read begins
  ``look_behind`` (3 days: a weekend off) before the window to catch states running into it;
  ``StartedOrEnded`` and ``Processed`` work too (a state found in two windows is one copy
  more, replaced as below).
- A state is keyed on (agentId, start) and a copy fetched later replaces an earlier one: VCC
  revises states near "now" while it processes them (8.6). Across runs the lookback nights
  re-read them and the load replaces those nights.
- ``duration`` is in milliseconds, null while the state is open (8.4).
- The identifier is ``agentId`` (0.1). States are open strings (8.5): ``vendor_activity_id`` is
  ``state/description`` ("Away/Lunch", "Busy/Live"), or the state alone without description, so
  each presence and interaction type maps to its own activity; ``reason`` is None.

Declared here: what the vendor is, its options, its connection form and its README
rows; the code is agent_status.connectors.vonage.
"""

from agent_status.connectors.registry import (
    ConnectionField, ConnectionForm, Option, VendorDocs, VendorSpec)

SPEC = VendorSpec(
    name="vonage", label="Vonage Contact Center", identifier="agent_id", access="rest",
    module="agent_status.connectors.vonage:VonageConnector",
    # states near the end of a window can change later (8.6)
    default_lookback_nights=2,
    options={
        "page_size": Option(int, 5000, "items per page (limit)", 1, 5000),  # sample's (8.2)
        "window_days": Option(int, 31, "days per request", 1, 31),  # 8.3
        "include": Option(str, "Started", "which states a window finds",
                          choices=("Started", "StartedOrEnded", "Processed")),  # 8.3
        "max_pages": Option(int, 10_000, "page cap when an answer has no totalCount", 1),
    },
    connection=ConnectionForm(
        "agent_status_vonage", "Vonage Contact Center (agent status)",
        fields={
            "region": ConnectionField("Region", "emea, nam or apac (vendors.md 8.2)", "emea",
                                      ("emea", "nam", "apac")),
            "auth_url": ConnectionField("Token URL", "Only if not derived from the region"),
        },
        relabeling={"login": "API client id (scope stats)", "password": "Client secret",
                    "host": "API base URL (optional; default by region)"},
        placeholders={"host": "https://emea.api.newvoicemedia.com"}),
    docs=VendorDocs(
        connection=('login = OAuth client id, password = secret; extra `region` emea/nam/apac (or '
                    'host + `auth_url`, form field "Token URL"; `token_url` still read)'),
        account=('API client (client credentials) with scope `stats` (Insights Stats API '
                 '`/stats/wfm/agent-states`); an empty, repeated or endless page, or fewer items '
                 'than `meta.totalCount`, fails the night'),
        confirmed=('OAuth client credentials, scope `stats`; `/stats/wfm/agent-states` over at most'
                   ' 31 days; `duration` in ms; states are open strings'),
        unconfirmed=('what `upTo` means; option `include` (default `Started`); page size (option '
                     '`page_size`)'),
    ),
)
