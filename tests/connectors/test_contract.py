"""The contract every declared vendor keeps: over two nights, one of them the 25 h DST night,
its connector's output as the pipeline keeps it equals its sandbox's truth, night by night.
Parametrised over the discovered declarations (agent_status/vendors/); a vendor's own test file
keeps only its quirks."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from agent_status.config import Integration
from agent_status.connectors.registry import VENDORS
from agent_status.frames import RAW_EVENT_COLUMNS
from agent_status.nights import night_for_date
from agent_status_dev.sandboxes import SANDBOXES, sandbox_class
from agent_status_dev.simulator import Simulator
from tests.connectors.contract import assert_nights_match_truth

ZONE = "Europe/Paris"
FIRST = dt.date(2026, 10, 24)  # the night of 25 October is 25 hours long in Paris


def test_every_vendor_has_a_sandbox_and_every_sandbox_a_vendor():
    assert sorted(SANDBOXES) == sorted(VENDORS)


def integration(vendor: str, sandbox) -> Integration:
    spec = VENDORS[vendor]
    # the sandbox's own options (a SQL site's query); report jobs polled quickly here
    options = {**(sandbox.options() if hasattr(sandbox, "options") else {}),
               **{key: 0.1 for key in spec.options if key == "poll_seconds"}}
    # local times are in the simulator's zone, unless the vendor's options decide it (Five9)
    local = spec.reports_local_time and spec.options_timezone is None
    return Integration(name=f"contract_{vendor}", vendor=vendor, conn_id=f"{vendor}_sandbox",
                       timezone=ZONE, start_date=FIRST, source_timezone=ZONE if local else None,
                       options=options)


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_output_equals_the_truth_over_two_nights_across_dst(vendor, tmp_path):
    simulator = Simulator(seed=11, agent_count=6, timezone=ZONE)
    cls = sandbox_class(vendor)
    if hasattr(cls, "build"):
        sandbox = cls(simulator, path=tmp_path / f"{vendor}.sqlite")
        sandbox.build(FIRST - dt.timedelta(days=3), FIRST + dt.timedelta(days=1))
    else:
        sandbox = cls(simulator)
    with sandbox:
        integ = integration(vendor, sandbox)
        nights = [night_for_date(integ, FIRST + dt.timedelta(days=i)) for i in range(2)]
        assert {(n.end_utc - n.start_utc).total_seconds() for n in nights} == {24 * 3600,
                                                                              25 * 3600}
        connector = VENDORS[vendor].connector_class()(sandbox.connection(), integ)
        try:
            frame = pd.concat(list(connector.extract(nights[0].start_utc, nights[-1].end_utc)),
                              ignore_index=True)
        finally:
            connector.close()
    assert list(frame.columns) == RAW_EVENT_COLUMNS and len(frame) > 0
    assert_nights_match_truth(frame, sandbox, nights, VENDORS[vendor].overlap_rule)
