"""Nights: the unit of import. A run imports its data interval and re-imports lookback nights."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from agent_status.config import Integration


@dataclass(frozen=True, order=True)
class Night:
    start_utc: dt.datetime
    end_utc: dt.datetime
    night_date: dt.date  # local date on which the night starts, in the integration's zone

    @property
    def label(self) -> str:
        return self.night_date.isoformat()

    def as_json(self) -> dict[str, str]:
        """The night as tasks hand it on (XCom, the staged manifest): ISO text, offsets kept."""
        return {"start_utc": self.start_utc.isoformat(), "end_utc": self.end_utc.isoformat(),
                "night_date": self.night_date.isoformat()}

    @classmethod
    def from_json(cls, item: dict) -> Night:
        """The night ``as_json`` wrote; anything else fails naming the field and the value."""
        try:
            return cls(_utc(item["start_utc"]), _utc(item["end_utc"]),
                       dt.date.fromisoformat(item["night_date"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a staged night ({type(error).__name__}: {error}): "
                             f"{item!r}") from None


def night_of(integration: Integration, interval_start: dt.datetime | str,
             interval_end: dt.datetime | str) -> Night:
    start = _utc(interval_start)
    return Night(start, _utc(interval_end), start.astimezone(integration.zone).date())


def nights_for_run(integration: Integration, interval_start: dt.datetime | str,
                   interval_end: dt.datetime | str) -> list[Night]:
    """The run's own night and its lookback nights, oldest first, never before start_date.
    The interval as Airflow gives it: aware datetimes (pendulum's too) or ISO text."""
    current = night_of(integration, interval_start, interval_end)
    nights = [current]
    for back in range(1, integration.lookback_nights + 1):
        night_date = current.night_date - dt.timedelta(days=back)
        if night_date < integration.start_date:
            break
        nights.append(night_for_date(integration, night_date))
    return sorted(nights)


def night_for_date(integration: Integration, night_date: dt.date) -> Night:
    """The night starting at the cut-over on ``night_date`` (local), DST-aware (23h/25h)."""
    minute, hour = (int(v) for v in integration.schedule.split()[:2])
    cutover = dt.time(hour, minute)
    start = dt.datetime.combine(night_date, cutover, tzinfo=integration.zone)
    end = dt.datetime.combine(night_date + dt.timedelta(days=1), cutover, tzinfo=integration.zone)
    return Night(_utc(start), _utc(end), night_date)


def _utc(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:  # a naive time is no instant: which zone was meant is unknown
        raise ValueError(f"a night's bound needs a time zone, got {value.isoformat()}")
    return dt.datetime.fromtimestamp(value.timestamp(), tz=dt.timezone.utc)


def nights_before(integration: Integration, moment: dt.datetime, first: Night) -> list[Night]:
    """The nights from the one holding ``moment`` up to the night before ``first``, oldest
    first, never before start_date: the older nights a record starting at ``moment`` and
    reaching ``first`` also covers (empty when it starts in ``first`` or later)."""
    night_date = moment.astimezone(integration.zone).date()
    if night_for_date(integration, night_date).start_utc > moment:  # before the cut-over
        night_date -= dt.timedelta(days=1)
    night_date = max(night_date, integration.start_date)
    nights = []
    while night_date < first.night_date:
        nights.append(night_for_date(integration, night_date))
        night_date += dt.timedelta(days=1)
    return nights
