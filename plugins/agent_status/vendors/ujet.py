"""UJET / Google CCAI Platform: agent status history from the Manager API activity log
(vendors.md 5).

Credentials (5.2): HTTP Basic with the connection's login and password, in either of UJET's two
schemes, which are the same thing on the wire: company key + company secret code (Settings >
Developer Settings, older tenants), or subdomain + API token (Settings > Developer Settings >
API Credentials). The connection host is the tenant, e.g. ``https://acme.uc1.ccaiplatform.com``
(legacy ``https://acme.ujet.co``); the API lives under ``/manager/api/v1``.

The contract:
- ``GET /agent_activity_logs`` sorted by ``started_at`` ascending, filtered on
  ``started_at[from]`` and ``started_at[to]``, paged with ``page``/``per`` (5.3), in windows of
  option ``window_days`` so paging stays shallow (5.6). Whether a page follows is not something
  the API reliably says (Google: it "doesn't explicitly indicate" it; tap-ujet: headers missing
  through a client API bug), so pages are asked for until one holds fewer records than the
  ``per`` asked for (``paging.ShortPagePaginator``: a ``Total`` header must be reached, a
  ``Per-Page`` header must equal ``per``, ``Link`` is ignored, a repeated page fails, option
  ``max_pages`` bounds it). ``started_at[to]`` is not confirmed (5.3, 11): the records are
  filtered by the import too and a page reaching past the window ends that window's read.
- 10 requests a second per customer (5.3): one ``RateBudget`` for every request of the connector.
- The log mixes status changes with call/chat events and notifications (5.6), and the
  ``activity`` of a status change is not confirmed (``user_status_changed`` in Google's table,
  ``status_change`` in our notes, ``login``/``logout``): a record is a status interval by its
  own shape, not by a list of activity names: it has a ``status`` object, no ``call_id`` or
  ``chat_id``, and its activity is not of an event family (``call_``, ``chat_``,
  ``deltacast_``, ``multicast_``). A status without a name, or a start that is not ISO-8601,
  fails naming the field, the value and the record.
- Records are found by their start (5.3): option ``look_behind_days`` (3: a weekend off, the
  longest status short of a leave) is read before the window for statuses running into it; an
  agent whose first status read starts inside the window is warned about, naming the option
  (``Source.unseen_beginnings``): a status begun earlier is lost, or the agent is new.
- The identifier is the agent's e-mail (0.1), from ``GET /agents`` by ``agent_id``; an agent_id
  that list lacks fails the import, naming it.
- ``vendor_activity_id`` and name are the status name: the catalogue is the tenant's own (5.5)
  and names are what WFM teams map (``wfm_id`` is often unset); ``reason`` is None. An open
  status has no ``ended_at``.

Declared here: what the vendor is, its options, its connection form and its README
rows; the code is agent_status.connectors.ujet.
"""

from agent_status.connectors.registry import ConnectionForm, Option, VendorDocs, VendorSpec

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
    connection=ConnectionForm(
        "agent_status_ujet", "UJET / CCAI Platform (agent status)",
        relabeling={"host": "Tenant URL", "login": "Company key (or subdomain)",
                    "password": "Company secret code (or API token)"},
        placeholders={"host": "https://acme.uc1.ccaiplatform.com"}),
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
