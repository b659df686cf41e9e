"""Talkdesk: agent statuses from Explore ``user_status`` report jobs (vendors.md 4).

The contract, as the API pages tell it:
- OAuth2 client credentials (login/password = client id/secret) with scopes
  ``data-reports:read data-reports:write``, at extra ``auth_url`` (or ``token_url``), else at
  extra ``account``'s token URL in extra ``region``; the API at the host, else the region's (4.2);
- a report job (4.3): ``POST .../user_status/jobs`` in ``timezone`` UTC over at most a month;
  ``GET .../jobs/{id}`` answers the status while the job runs (statuses outside the documented
  list, such as the older API's ``sending``, count as running within the job timeout) and,
  once done, redirects (300 now, 303 in the older guide) to ``.../files/{id}``, never followed
  blindly; a 200 "done" is done too. The file is served directly or redirected (302/303) to a
  short-lived signed URL, fetched without the bearer token (``http.HttpClient.file``); an
  expired link is asked for again. Neither the URL nor the token reaches a message or a log;
- at most ``max_concurrent_jobs`` jobs at once (Talkdesk allows 15); a 429 beyond is retried;
- records are selected by END time (4.3): a status still open at job time is not there, and
  one that ends later comes with a later run, which reads every older night it covers again
  (``VendorSpec.selects_by``, tasks.extract); a status is split at month, team and campaign
  changes (4.6): joined back by the import.
The activity id is the ``status_label`` itself; custom statuses are activities of their own.

Declared here: what the vendor is, its options, its connection form and its README
rows; the code is agent_status.connectors.talkdesk.
"""

from agent_status.connectors.registry import (
    ConnectionField, ConnectionForm, Option, VendorDocs, VendorSpec)

SPEC = VendorSpec(
    name="talkdesk", label="Talkdesk", identifier="email", access="report_job",
    module="agent_status.connectors.talkdesk:TalkdeskConnector",
    # records are filtered by end time: a status open at run time appears once it ends (4.6)
    default_lookback_nights=2, selects_by="end_time",
    options={
        "poll_seconds": Option((int, float), 5.0, "seconds between job-status calls", 0, 300),
        # 15 simultaneous reports per account (engineering-notes A.2)
        "max_concurrent_jobs": Option(int, 15, "report jobs at once", 1, 15),
        "window_days": Option(int, 31, "days per report job", 1, 31),  # a month (4.3)
        # also bounds the wait on a status outside the documented list, e.g. sending (4.3)
        "job_timeout_seconds": Option((int, float), 1800, "seconds from a job's creation to "
                                      "its download", 1, 86400),
    },
    connection=ConnectionForm(
        "agent_status_talkdesk", "Talkdesk (agent status)",
        fields={
            "account": ConnectionField("Account name", "Your Talkdesk account: the token comes "
                                       "from https://<account>.talkdeskid.com (vendors.md 4.2)"),
            "region": ConnectionField("Region", "us, eu or ca", "us", ("us", "eu", "ca")),
            "auth_url": ConnectionField("Token URL",
                                        "Only if not derived from account and region"),
        },
        relabeling={"login": "OAuth client id (client credentials)",
                    "password": "OAuth client secret",
                    "host": "API base URL (optional; default by region)"},
        placeholders={"host": "https://api.talkdeskapp.eu"}),
    docs=VendorDocs(
        connection=('login = OAuth client id, password = secret; extra `account` + `region` '
                    '(us/eu/ca) or `auth_url` (form field "Token URL"; `token_url` still read); '
                    'host optional'),
        account=('OAuth client (Builder → OAuth clients), grant client credentials, scopes '
                 '`data-reports:read data-reports:write`; the import runs Explore `user_status` '
                 'jobs itself (at most 15 at once)'),
        confirmed=('OAuth client credentials with `data-reports` scopes; Explore `user_status` jobs'
                   ' of at most a month, records selected by end time; fields `user_email`, '
                   '`status_label`, `status_start_at`, `status_end_at`'),
        unconfirmed='how a finished job answers (a redirect to the file, or a status); rate limits',
    ),
)
