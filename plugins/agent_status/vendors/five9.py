"""Five9: agent states from a report run through the Configuration Web Service (vendors.md 1).

The contract, as the API pages tell it:
- SOAP ``AdminWebService`` with HTTP Basic auth (connection login and password), at the
  connection host, else at the data center of extra ``region``, else of option ``data_center``
  (1.2); a Five9 host of another data center than the option fails: the option decides the
  zone report times are read in;
- a report job (1.3): ``runReport(folder, report, criteria.time)`` -> identifier,
  ``isReportRunning(identifier, timeout)`` (a long poll) until false, ``getReportResultCsv``;
- the report (a custom Agent State Details-style one, 1.1) gives one row per state: AGENT (the
  user name), DATE and TIME of its start in the data center's wall time (contested, 1.4: US
  Pacific per Five9's docs, Europe/London, America/Vancouver, Europe/Berlin for UK, CA, EU per
  Matatika's tap; ``source_timezone`` overrides it), STATE, REASON CODE, AGENT STATE TIME;
- criteria select rows by state START: a lookback is read for states running into the
  interval (1.6); a result holds at most 50,000 rows and has no paging (1.3);
- domain quotas are rate budgets (1.3); faults are told by their typed SOAP ``<detail>``
  (1.4), by the faultstring's words only when none came (unconfirmed: ours for quotas);
- the repeated autumn hour (1.6): whether ``criteria.time`` is read as an instant or as wall
  time is undocumented: windows' wall times never go back (``local_time.WallWindows``) and rows
  are placed by each agent's chain of states (``local_time.chain_to_utc``).
The activity id is STATE, plus the reason code when there is one ("Not Ready/Break").

Declared here: what the vendor is, its options, its connection form and its README
rows; the code is agent_status.connectors.five9.
"""

from agent_status.connectors.registry import (
    ConnectionField, ConnectionForm, Option, VendorDocs, VendorSpec)

SPEC = VendorSpec(
    name="five9", label="Five9", identifier="user_name", access="report_job",
    module="agent_status.connectors.five9:Five9Connector",
    default_lookback_nights=1, reports_local_time=True,
    # report times are in the data center's zone (1.4): US Pacific per Five9's docs; UK, CA and
    # EU as Matatika's tap localises them (contested: set source_timezone if yours differ)
    options_timezone=lambda options: {"us": "America/Los_Angeles", "uk": "Europe/London",
                                      "ca": "America/Vancouver",
                                      "eu": "Europe/Berlin"}[options["data_center"]],
    options={
        "data_center": Option(str, "us", "the domain's data center (1.2): its host when the "
                              "connection has none, and the zone of report times (1.4)",
                              choices=("us", "uk", "ca", "eu")),
        "folder_name": Option(str, "Agent Reports", "report folder"),
        "report_name": Option(str, "Agent State Details", "report with one row per state"),
        "window_hours": Option(int, 24, "hours per report run", 1, 24),
        "min_window_minutes": Option(int, 15, "smallest window when splitting at the row cap", 1),
        "poll_seconds": Option((int, float), 1.0, "isReportRunning timeout", 0, 300),
    },
    overlap_rule="shorter_wins",  # 1.6: the longer state starts where the shorter one ends
    connection=ConnectionForm(
        "agent_status_five9", "Five9 (agent status)",
        fields={"region": ConnectionField(
            "Data center", "us, uk, ca or eu: the Web Services host and the time zone of its "
            "reports (vendors.md 1.2, 1.4)", "us", ("us", "uk", "ca", "eu"))},
        relabeling={"login": "Five9 user (Administrator + Reporting roles)",
                    "password": "Password",
                    "host": "Web Services host (optional; default by data center)"},
        placeholders={"host": "api.five9.eu"}),
    docs=VendorDocs(
        connection=('login/password = the API user; host optional (e.g. `api.five9.eu`) else extra '
                    '`region`, else option `data_center`; options `data_center` us/uk/ca/eu '
                    '(default us; must match the host or region; report times are read in its zone:'
                    ' us America/Los_Angeles, uk Europe/London, ca America/Vancouver, eu '
                    "Europe/Berlin; `source_timezone` overrides it if your domain's reports "
                    'differ), `folder_name` (default "Agent Reports"), `report_name` (default '
                    '"Agent State Details")'),
        account=('a user with Administrator + Reporting roles and Web Services access; a custom '
                 'report in that folder, one row per agent state, columns AGENT, DATE (`YYYY/MM/DD`'
                 ' or `Tue, 07 May 2024`), TIME, STATE, REASON CODE, AGENT STATE TIME. Uses a few '
                 "of the domain's runReport quota (16/min, 120/h, 800/day)"),
        confirmed=('SOAP `runReport` / `isReportRunning` / `getReportResultCsv`, HTTP Basic, '
                   'data-center hosts; 50,000-row cap; domain quotas; typed faults in `<detail>`'),
        unconfirmed=('the report (options `folder_name`, `report_name`) and its columns; the DATE '
                     "format; the report's time zone outside the US data center (Pacific in the "
                     'US); whether `criteria.time` is read as an instant or as wall time (both '
                     'handled); the wording of faults without a typed detail'),
    ),
)
