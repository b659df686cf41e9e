"""Events whose identifier maps to no employee: split off, kept, and explained.

Matching is exact (case, spelling, spaces; vendors.md 0.1). The hint says what near miss an
operator most likely made, so the mapping can be fixed; the next run replays the quarantine.
"""

from __future__ import annotations

import pandas as pd


def split_unmapped(segments: pd.DataFrame, employees: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join on the exact identifier. Returns (mapped events with employee_id, quarantined)."""
    lookup = employees[["external_user_id", "employee_id"]].drop_duplicates("external_user_id")
    joined = segments.merge(lookup, on="external_user_id", how="left")
    unmapped = joined.employee_id.isna()
    quarantined = joined[unmapped].drop(columns="employee_id")
    in_data = set(segments.external_user_id.unique())
    hints = {uid: hint_for(uid, lookup, in_data) for uid in quarantined.external_user_id.unique()}
    quarantined = quarantined.assign(
        quarantine_reason="unmapped external user id",
        hint=quarantined.external_user_id.map(hints))
    return joined[~unmapped].reset_index(drop=True), quarantined.reset_index(drop=True)


def hint_for(identifier: str, employees: pd.DataFrame, in_data=frozenset()) -> str:
    """The likeliest mapping mistake behind an unmapped identifier. A mapping whose own
    identifier occurs in the vendor's data (``in_data``) is a different agent mapped
    correctly (numeric agent IDs one digit apart), so it is never offered as the near miss."""
    known = {uid: employee for uid, employee in zip(employees.external_user_id,
                                                    employees.employee_id)
             if uid not in in_data}
    folded = identifier.strip().casefold()
    near = [c for c in known if c.strip().casefold() == folded]
    if near:
        candidate = near[0]
        return (f"matches employee {known[candidate]} ({candidate!r}) but for "
                f"{_difference(candidate, identifier)}")
    close = [c for c in known if abs(len(c) - len(identifier)) <= 1 and _one_edit(c, identifier)]
    if close:
        return f"one character from {close[0]!r} (employee {known[close[0]]})"
    return "no employee has this identifier: add it to employee_external_ids"


def _difference(mapped: str, vendor: str) -> str:
    parts = []
    if mapped.strip() != vendor.strip():
        parts.append("case")
    for side, text in (("the mapping", mapped), ("the vendor's identifier", vendor)):
        if text != text.rstrip():
            parts.append(f"a trailing space in {side}")
        if text != text.lstrip():
            parts.append(f"a leading space in {side}")
    return " and ".join(parts) or "case"


def _one_edit(a: str, b: str) -> bool:
    """True when a and b differ by one substitution, insertion, deletion or swap."""
    if a == b:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    for i in range(len(long_)):
        if long_[:i] + long_[i + 1:] == short:
            return True
    return False
