"""Events whose identifier maps to no employee: split off, kept, and explained.

Matching is exact (case, spelling, spaces; vendors.md 0.1). The hint says what near miss an
operator most likely made, so the mapping can be fixed; the next run replays the quarantine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def split_unmapped(segments: pd.DataFrame, employees: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join on the exact identifier. Returns (mapped events with employee_id, quarantined)."""
    lookup = employees[["external_user_id", "employee_id"]].drop_duplicates("external_user_id")
    joined = segments.reset_index(drop=True).assign(
        employee_id=lookup_column(segments.external_user_id, lookup.external_user_id,
                                  lookup.employee_id))
    unmapped = joined.employee_id.isna()
    quarantined = joined[unmapped].drop(columns="employee_id")
    hint = Hints(lookup, set(segments.external_user_id.unique()))
    hints = {uid: hint(uid) for uid in quarantined.external_user_id.unique()}
    quarantined = quarantined.assign(
        quarantine_reason="unmapped external user id",
        hint=quarantined.external_user_id.map(hints))
    return joined[~unmapped].reset_index(drop=True), quarantined.reset_index(drop=True)


def lookup_column(keys: pd.Series, index: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` at the position of each key in ``index`` (unique; a missing key gives the
    values' NA, in their dtype): a left merge's column, without the merge converting a
    million object keys to the other side's string dtype first (0.1 to 0.2 s a night in
    each of the employee join and remap, issue 10)."""
    where = pd.Index(index).get_indexer(keys)  # -1: no such key, which reindex leaves NA
    return values.reset_index(drop=True).reindex(where).set_axis(pd.RangeIndex(len(keys)))


def hint_for(identifier: str, employees: pd.DataFrame, in_data=frozenset()) -> str:
    """The likeliest mapping mistake behind an unmapped identifier (see ``Hints``)."""
    return Hints(employees, in_data)(identifier)


class Hints:
    """The likeliest mapping mistake behind each unmapped identifier. A mapping whose own
    identifier occurs in the vendor's data (``in_data``) is a different agent mapped
    correctly (numeric agent IDs one digit apart), so it is never offered as the near miss.

    The mappings are indexed once (by folded text, and by length as arrays of code points), so
    each identifier costs a few vectorised comparisons, not a Python loop over every employee
    (10 unmapped agents against 10,000 employees took 0.4 s a night, issue 10)."""

    def __init__(self, employees: pd.DataFrame, in_data=frozenset()):
        self.known: dict[str, str] = {}
        for uid, employee in zip(employees.external_user_id, employees.employee_id):
            if uid not in in_data:
                self.known[uid] = employee
        self.folded: dict[str, str] = {}
        lengths: dict[int, list[str]] = {}
        for uid in self.known:
            self.folded.setdefault(uid.strip().casefold(), uid)
            lengths.setdefault(len(uid), []).append(uid)
        order = {uid: i for i, uid in enumerate(self.known)}
        self.by_length = {length: (_code_points(uids, length),
                                   np.asarray([order[u] for u in uids]), uids)
                          for length, uids in lengths.items()}

    def __call__(self, identifier: str) -> str:
        candidate = self.folded.get(identifier.strip().casefold())
        if candidate is not None:
            return (f"matches employee {self.known[candidate]} ({candidate!r}) but for "
                    f"{_difference(candidate, identifier)}")
        close = self._one_edit_away(identifier)
        if close is not None:
            return f"one character from {close!r} (employee {self.known[close]})"
        return "no employee has this identifier: add it to employee_external_ids"

    def _one_edit_away(self, identifier: str) -> str | None:
        """The first mapping (in the mappings' order) one edit from ``identifier``: the arrays
        pick the few that can be, ``_one_edit`` confirms."""
        size, found = len(identifier), []
        target = _code_points([identifier], size)[0] if size else np.empty(0, np.uint32)
        for length in (size - 1, size, size + 1):
            if length not in self.by_length or length < 0:
                continue
            points, positions, uids = self.by_length[length]
            if length == size:
                maybe = (points != target).sum(axis=1) <= 2
            else:  # one deletion from the longer gives the shorter: prefix + suffix cover it
                longer, shorter = (points, target) if length > size else (target, points)
                common = min(length, size)
                front = np.cumprod(longer[..., :common] == shorter, axis=-1).sum(axis=-1)
                back = np.cumprod((longer[..., 1:] == shorter)[..., ::-1], axis=-1).sum(axis=-1)
                maybe = np.broadcast_to(front + back >= common, positions.shape)
            found += [(positions[i], uids[i]) for i in np.flatnonzero(maybe)
                      if _one_edit(uids[i], identifier)]
        return min(found)[1] if found else None


def _code_points(texts: list[str], length: int) -> np.ndarray:
    """Strings of one length as a (len(texts), length) array of their code points."""
    if length == 0:
        return np.empty((len(texts), 0), np.uint32)
    return np.asarray(texts, dtype=f"U{length}").view(np.uint32).reshape(len(texts), length)


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
