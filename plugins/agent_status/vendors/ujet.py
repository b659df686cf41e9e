"""UJET: what the vendor is, its options and its README rows (the code:
agent_status.connectors.ujet)."""

from agent_status.connectors.registry import Option, VendorDocs, VendorSpec

SPEC = VendorSpec(
    name="ujet", label="UJET", identifier="email", access="rest",
    module="agent_status.connectors.ujet:UjetConnector",
    default_lookback_nights=1,
    options={
        # UJET's default and maximum: a larger per is reduced to 100 (5.3)
        "per_page": Option(int, 100, "records per page", 1, 100),
        # deep paging is discouraged (5.3, 5.6): a window needing more pages fails
        "max_pages": Option(int, 1000, "pages read per started_at window before failing", 1),
        "requests_per_second": Option((int, float), 10, "request budget", 0.1, 10),  # 5.3
        "window_days": Option(int, 1, "days per started_at window", 1, 60),
        # records are found by start (5.3): a status begun earlier than this before the night
        # is not read; an agent whose first status read is inside the night is warned about
        "look_behind_days": Option((int, float), 3, "days read before the night to find the "
                                   "statuses running into it", 0, 31),
    },
    connection_type="agent_status_ujet",
    docs=VendorDocs(
        connection=('host = tenant URL (`https://acme.uc1.ccaiplatform.com` or '
                    '`https://acme.ujet.co`); login/password = company key / company secret code, '
                    'or subdomain / API token'),
        account=('Manager API read access to `agent_activity_logs` and `agents`; 10 requests/s per '
                 'customer (option `requests_per_second`); pages of at most 100 records (option '
                 '`per_page`), read until a page shorter than that (a `Per-Page` header that '
                 'differs fails), at most `max_pages` (1000) per day window; statuses are found by '
                 'their start, `look_behind_days` (3) before the night: agents whose first status '
                 'read starts inside the night are named in a warning (task log, `agent-status '
                 'check`) saying to raise it'),
        confirmed=('HTTP Basic (company key/secret or subdomain/token); `agent_activity_logs` with '
                   '`started_at[from]`; 10 requests/s; e-mail from `/agents`'),
        unconfirmed=('`started_at[to]`; paging by `Link` header; the `activity` value of a status '
                     'change'),
    ),
)
