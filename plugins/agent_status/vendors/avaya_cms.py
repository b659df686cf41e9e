"""Avaya CMS: SQL on the CMS agent trace (vendors.md 9), local time with DST.

What the public evidence says about the agent trace table (``ag_actv``, 9.1, 9.3), and what the
connector does about each point:

- WORKMODE is stored as a number (9.2, second audit: "1 = AVAIL, 2 = ACD, 3 = ACW, and 4 = AUX"
  in CentreVu Report Designer); views that translate it give the names. Both are accepted. Codes
  beyond 1..4 are not published: option ``workmode_codes`` adds them; any other value fails,
  naming it.
- The time of the state change: a public importer schema of the trace (Exony/Calabrio's
  ``TB_FCT_CMS_AGENT_STATE_TRACE``, whose columns "map to AG_ACTV.<column>") names it
  ``EVENT_TIME``, "the time of day, in hour, minute, and second format, at which the WORKMODE
  or DIRECTION changed", next to ``WMODE_SEQ`` ("the sequence number for events that occur in
  the same second"), integer ``WORKMODE``, ``DURATION`` and ``AUXREASON``. Hence the defaults
  ``time_column: EVENT_TIME`` and ``time_encoding: hhmmss``; the CMS ODBC guide warns times may
  be seconds or military HHMM / HHMMSS (9.3), so the encoding is an option and a value that
  cannot be in it fails, naming it. HHMM loses the seconds: exact to the minute only.
- ``LOGID`` is CHAR(10) (CentreVu CMS ODBC guide): it comes back blank-padded. The login is
  matched as administered: trailing padding removed, leading zeros kept (9.3).
- Times are CMS local time (9.4): the fall-back hour is placed by ``local_time``.
- AUX carries a reason code 0..99 (0 = system-forced AUX, 9.2); the vendor activity id is the
  work mode, plus the reason for AUX ("AUX/7"), so each reason maps to its own WFM activity.

Declared here: what the vendor is, its options, its connection form and its README
rows; the code is agent_status.connectors.avaya_cms.
"""

from agent_status.connectors.registry import (
    ACD_DATABASE, CHUNK_ROWS, COLUMN_NAME, Option, VendorDocs, VendorSpec)

SPEC = VendorSpec(
    name="avaya_cms", label="Avaya CMS", identifier="user_name", access="sql",
    module="agent_status.connectors.avaya_cms:AvayaCmsConnector",
    default_lookback_nights=1, reports_local_time=True,
    options={
        "query": Option(str, None, "SQL returning the agent trace (include/sql/vendors)"),
        "chunk_rows": CHUNK_ROWS,
        "acd": Option(int, 1, "the CMS ACD number", 1),
        # 9.3: AG_ACTV.EVENT_TIME in a public importer schema; older guesses read STARTTIME
        "time_column": Option(str, "EVENT_TIME", "trace column with the local time of the "
                              "state change", pattern=COLUMN_NAME),
        # 9.3: "hour, minute, and second format" (importer schema); not confirmed by Avaya
        "time_encoding": Option(str, "hhmmss", "how the time column counts: HHMMSS, HHMM or "
                                "seconds since midnight", choices=("hhmmss", "hhmm", "seconds")),
        "sequence_column": Option(str, "WMODE_SEQ", "trace column ordering events of the same "
                                  "second ('' if the trace has none)",
                                  pattern=(f"(|{COLUMN_NAME[0]})", "a plain column name or ''")),
        # 9.2: only 1-4 are published; e.g. {5: OTHER}
        "workmode_codes": Option(dict, None, "more numeric WORKMODE codes -> work mode names"),
    },
    connection=ACD_DATABASE,
    docs=VendorDocs(
        identifier=('user name (login ID), matched as administered: the CHAR(10) blank padding of '
                    "`LOGID` is removed, leading zeros are kept (`'004711    '` matches `004711`)"),
        connection=('the CMS Informix database: extra `{"sqlalchemy_url": ...}`; `source_timezone` '
                    '= CMS time zone; options `time_column` (default `EVENT_TIME`; e.g. '
                    '`STARTTIME`), `time_encoding` (`hhmmss` default, `hhmm` = to the minute only, '
                    '`seconds` since midnight), `sequence_column` (default `WMODE_SEQ`, `""` if '
                    'none), `workmode_codes` (numeric work modes beyond 1 AVAIL, 2 ACD, 3 ACW, 4 '
                    'AUX, e.g. `{5: OTHER}`); option `query` replaces '
                    '`include/sql/vendors/avaya_cms.sql`'),
        account=('SELECT on the agent trace table (`ag_actv`); agent trace activated per agent. '
                 '`WORKMODE` as numbers (the CMS tables) or names (a translating view); an unknown '
                 'code, or a time that cannot be in the chosen encoding, stops the import naming '
                 'the value'),
        confirmed=('Informix database in CMS local time (`source_timezone`); numeric `WORKMODE` in '
                   'the tables (1 AVAIL, 2 ACD, 3 ACW, 4 AUX; names accepted from a translating '
                   'view); work modes and AUX reason codes 0-99; agent trace activated per agent'),
        unconfirmed=('the trace table and columns (`ag_actv`; option `query`); the time column and '
                     'its encoding (options `time_column`, `time_encoding`: `hhmmss`, `hhmm` or '
                     '`seconds`); the same-second order (option `sequence_column`, default '
                     '`WMODE_SEQ`); codes above 4 (option `workmode_codes`)'),
    ),
)
