"""Vonage Contact Center: what the vendor is, its options and its README rows (the code:
agent_status.connectors.vonage)."""

from agent_status.connectors.registry import Option, VendorDocs, VendorSpec

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
    connection_type="agent_status_vonage",
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
