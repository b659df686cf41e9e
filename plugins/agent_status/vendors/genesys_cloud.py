"""Genesys Cloud: what the vendor is, its options and its README rows (the code:
agent_status.connectors.genesys_cloud)."""

from agent_status.connectors.registry import Option, VendorDocs, VendorSpec

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
    connection_type="agent_status_genesys_cloud",
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
