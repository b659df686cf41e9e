"""Talkdesk: what the vendor is, its options and its README rows (the code:
agent_status.connectors.talkdesk)."""

from agent_status.connectors.registry import Option, VendorDocs, VendorSpec

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
    connection_type="agent_status_talkdesk",
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
