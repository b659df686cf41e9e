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


def test_a_near_miss_never_points_at_an_agent_present_in_the_data():
    """Numeric agent IDs: 40106 is missing; 40105 is one digit away but is another agent who
    is in the vendor's data and mapped correctly, so changing that mapping would break it."""
    employees = pd.DataFrame({"external_user_id": ["40105", "40200", "Ann"],
                              "employee_id": ["E1005", "E1006", "E1007"]})
    segments = pd.DataFrame({"external_user_id": ["40105", "40106", "40106", "ann", "Ann"],
                             "vendor_activity_id": "A"})
    _mapped, quarantined = split_unmapped(segments, employees)
    hints = dict(zip(quarantined.external_user_id, quarantined.hint))
    assert hints["40106"] == "no employee has this identifier: add it to employee_external_ids"
    assert hints["ann"].startswith("no employee has this identifier")  # 'Ann' is present too
    # a mapping absent from the data is still a likely typo
    assert hint_for("40201", employees, {"40201"}) == "one character from '40200' (employee E1006)"


def test_hints_pick_the_same_near_miss_as_a_scan_of_every_mapping():
    """The hints index the mappings (issue 10); the pick must stay the first mapping, in the
    mappings' order, that a scan with ``_one_edit`` finds: substitution, swap, insertion,
    deletion, at the ends and in the middle, across lengths."""
    import random

    from agent_status.pipeline.quarantine import Hints, _one_edit

    rng = random.Random(7)
    uids = list(dict.fromkeys("".join(rng.choice("ab1") for _ in range(rng.randint(0, 6)))
                              for _ in range(300)))
    employees = pd.DataFrame({"external_user_id": uids,
                              "employee_id": [f"E{i}" for i in range(len(uids))]})
    in_data = set(uids[::7])
    hints = Hints(employees, in_data)
    known = [u for u in uids if u not in in_data]
    probes = {"".join(rng.choice("ab1c") for _ in range(rng.randint(0, 7))) for _ in range(400)}
    checked = 0
    for probe in sorted(probes - set(uids)):
        if any(u.strip().casefold() == probe.strip().casefold() for u in known):
            continue
        scan = next((u for u in known if abs(len(u) - len(probe)) <= 1 and _one_edit(u, probe)),
                    None)
        expected = (f"one character from {scan!r} (employee E{uids.index(scan)})" if scan is not None
                    else "no employee has this identifier: add it to employee_external_ids")
        assert hints(probe) == expected, probe
        checked += scan is not None
    assert checked > 50


import pytest  # noqa: E402


@pytest.mark.parametrize("text", [object, "str"])
def test_join_and_remap_equal_left_merges(text):
    """Issue 10: the employee join and remap look the keys up instead of merging; the frames
    equal those of the left merges they replace (column order, dtypes, NA), whether the
    mappings come as object (read from the warehouse) or as pandas' string dtype. The segments'
    text is object, as normalise makes it (a merge of text keys of two dtypes gives object)."""
    segments = pd.DataFrame({
        "external_user_id": ["ok", "OK", "jsmith", "ok", "JSmith", "ok"],
        "vendor_activity_id": ["A", "A", "B", "C", "D", "A"],
        "start_utc": pd.date_range("2026-11-01", periods=6, freq="h", tz="UTC")},
        index=[5, 4, 3, 2, 1, 0]).astype({"external_user_id": object, "vendor_activity_id": object})
    employees = EMPLOYEES.astype(text)
    mapped, quarantined = split_unmapped(segments, employees)
    joined = segments.merge(employees[["external_user_id", "employee_id"]]
                            .drop_duplicates("external_user_id"), on="external_user_id",
                            how="left")
    pd.testing.assert_frame_equal(mapped, joined[joined.employee_id.notna()]
                                  .reset_index(drop=True))
    pd.testing.assert_frame_equal(quarantined.drop(columns=["quarantine_reason", "hint"]),
                                  joined[joined.employee_id.isna()].drop(columns="employee_id")
                                  .reset_index(drop=True))
    mappings = pd.DataFrame({"vendor_activity_id": ["A", "C", "A"], "activity_id": [10, 11, 12],
                             "classification": [2, 1, 3]})
    mappings["vendor_activity_id"] = mappings.vendor_activity_id.astype(text)
    events, defaulted = remap(mapped.assign(activity_id=0), mappings)
    merged = mapped.merge(mappings.drop_duplicates("vendor_activity_id"),
                          on="vendor_activity_id", how="left")
    assert defaulted == int(merged.activity_id.isna().sum()) == 1
    merged["activity_id"] = merged.activity_id.fillna(1).astype("int64")
    merged["classification"] = merged.classification.fillna(1).astype("int64")
    pd.testing.assert_frame_equal(events, merged)
