import pandas as pd

from agent_status.pipeline.quarantine import hint_for, split_unmapped
from agent_status.pipeline.remap import remap

EMPLOYEES = pd.DataFrame({"external_user_id": ["JSmith", "mlopez ", "jonhson", "ok"],
                          "employee_id": ["E1", "E2", "E3", "E4"]})


def test_hints_name_the_near_miss():
    assert hint_for("jsmith", EMPLOYEES) == "matches employee E1 ('JSmith') but for case"
    assert "trailing space in the mapping" in hint_for("mlopez", EMPLOYEES)
    assert hint_for("johnson", EMPLOYEES) == "one character from 'jonhson' (employee E3)"
    assert hint_for("ok ", EMPLOYEES).endswith("a trailing space in the vendor's identifier")
    assert hint_for("nobody", EMPLOYEES).startswith("no employee has this identifier")


def test_split_is_exact_and_loses_nothing():
    segments = pd.DataFrame({"external_user_id": ["ok", "OK", "jsmith", "ok"],
                             "vendor_activity_id": ["A", "A", "B", "C"]})
    mapped, quarantined = split_unmapped(segments, EMPLOYEES)
    assert list(mapped.employee_id) == ["E4", "E4"]
    assert sorted(quarantined.external_user_id) == ["OK", "jsmith"]
    assert len(mapped) + len(quarantined) == len(segments)


def test_unmapped_activities_default_to_present():
    events = pd.DataFrame({"vendor_activity_id": ["READY", "MEETING", "READY"]})
    mappings = pd.DataFrame({"vendor_activity_id": ["READY"], "activity_id": [10],
                             "classification": [2]})
    out, defaulted = remap(events, mappings)
    assert list(out.activity_id) == [10, 1, 10] and list(out.classification) == [2, 1, 2]
    assert defaulted == 1
