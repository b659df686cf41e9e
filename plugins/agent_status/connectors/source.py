"""The loop every vendor shares, so that a vendor module declares only its contract.

``Source.extract``: the interval -> ``windows`` (step, lookback, lookahead, granularity) ->
``read(window)`` yields pages of records -> ``parse(pages)`` turns them into a frame (a chunk at
a time, so a night is never held as records) -> ``events(frame)`` makes them canonical raw
events (keyed on the vendor's own user key) -> ``overlapping`` keeps those overlapping the
interval -> ``identify`` puts the identifier statuses are matched on (vendors.md 0.1) ->
``conform_raw_events``. ``RestSource`` adds an HTTP client and the paging loop;
``report_job.ReportJobSource`` runs a report job per window; ``sql.SqlConnector`` reads one
query's chunks over the interval whole.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from agent_status.connectors.base import Connector, VendorError
from agent_status.connectors.fields import utc
from agent_status.connectors.http import HttpClient
from agent_status.connectors.paging import Page, Paginator
from agent_status.connectors.windows import Windows
from agent_status.frames import conform_raw_events, empty_raw_events, overlapping


class Directory:
    """A vendor's user key -> the identifier its statuses are matched on, read once, when first
    needed. ``unknown``: the message for keys it lacks, with ``{count}``; they fail the read
    rather than dropping those agents' statuses."""

    def __init__(self, read: Callable[[], dict[str, str]], unknown: str):
        self._read, self.unknown = read, unknown
        self._entries: dict[str, str] | None = None

    @property
    def entries(self) -> dict[str, str]:
        if self._entries is None:
            self._entries = self._read()
        return self._entries

    def identify(self, keys: pd.Series) -> pd.Series:
        entries = self.entries
        codes, distinct = pd.factorize(keys)  # each key looked up once (issue 10)
        unknown = sorted(set(distinct) - entries.keys())
        if unknown:
            raise VendorError(f"{self.unknown.format(count=len(unknown))}: "
                              f"{', '.join(unknown[:10])}")
        found = np.asarray([entries[key] for key in distinct] + [None], dtype=object)
        return pd.Series(found[codes], index=keys.index, dtype=object)  # code -1: missing


class Source(Connector):
    """A vendor declares ``windows`` (from its options, in ``__init__``) and implements
    ``read`` and ``parse``; ``events`` and ``identify`` are hooks with plain defaults."""

    windows: Windows
    # records parsed at once: None, all of them (a vendor whose records must meet first)
    chunk_records: ClassVar[int | None] = None
    directory: Directory | None = None  # user key -> identifier, when the records lack it
    # options checked again here, against their declaration: those a vendor would not refuse
    # with a clear answer of its own (the integrations file checks them all when it loads)
    checked_options: ClassVar[tuple[str, ...]] = ()
    # the option setting ``windows.lookback`` of a vendor whose records are found by their
    # start: agents whose first status read starts inside the interval are warned about
    lookback_option: ClassVar[str | None] = None
    warnings: list[str]  # what the last extract could not tell (``check`` shows them)
    http: HttpClient | None = None  # the source's HTTP client, closed by ``close``

    def __init__(self, connection, integration):
        super().__init__(connection, integration)
        self.warnings = []
        for key in self.checked_options:
            try:
                self.spec.options[key].check(key, self.options[key])
            except ValueError as error:
                raise VendorError(f"integration {integration.name}: {error}") from None

    def read(self, window: tuple[dt.datetime, dt.datetime]) -> Iterable[Sized]:
        """The window's records, in pages (lists of records, or frames of rows)."""
        raise NotImplementedError

    def parse(self, pages: list[Any]) -> pd.DataFrame:
        """Pages of records (one chunk) as a frame."""
        raise NotImplementedError

    def events(self, frame: pd.DataFrame, start: dt.datetime, end: dt.datetime
               ) -> pd.DataFrame:
        """Every chunk's frame, together, as raw events keyed on the vendor's user key."""
        return frame

    def identify(self, events: pd.DataFrame) -> pd.DataFrame:
        if self.directory is None:
            return events
        return events.assign(
            external_user_id=self.directory.identify(events.external_user_id))

    def read_windows(self, windows: list[tuple[dt.datetime, dt.datetime]]) -> Iterable[Sized]:
        """Every window's pages, in window order: one window after the other (a report-job
        source runs several jobs at once)."""
        for window in windows:
            yield from self.read(window)

    def unseen_beginnings(self, events: pd.DataFrame, start: dt.datetime) -> list[str]:
        """Agents whose first status read starts after ``start``: either a status begun before
        the lookback was not read, or they are new. The log cannot tell which, so this is a
        warning (task log and ``agent-status check``), not a failure that would stop every
        night a new agent joins."""
        first = events.groupby("external_user_id").start_utc.min()
        late = first[first > utc(start)].sort_values()
        if late.empty:
            return []
        known = self.directory.entries if self.directory else {}
        named = [f"{known.get(key, key)} (from {moment:%Y-%m-%d %H:%M}Z)"
                 for key, moment in late.items()]
        option = self.lookback_option
        message = (f"{self.spec.label}: {len(late)} agent(s) have no status starting in the "
                   f"{self.windows.lookback.total_seconds() / 86400:g} day(s) read before "
                   f"{utc(start):%Y-%m-%dT%H:%M:%SZ} (option {option}), so their status at "
                   f"that time is unknown until their first one: a status begun earlier is "
                   f"missing, unless they are new; raise {option} if it covers a longer "
                   f"absence: {', '.join(named[:10])}{' ...' if len(named) > 10 else ''}")
        logging.getLogger(type(self).__module__).warning("%s", message)
        return [message]

    def close(self) -> None:
        if self.http is not None:
            self.http.close()

    def extract(self, start: dt.datetime, end: dt.datetime) -> Iterator[pd.DataFrame]:
        parsed, pages, held = [], [], 0
        for page in self.read_windows(self.windows.over(start, end)):
            pages.append(page)
            held += len(page)
            if self.chunk_records and held >= self.chunk_records:
                parsed.append(self.parse(pages))
                pages, held = [], 0
        if pages or not parsed:
            parsed.append(self.parse(pages))
        frame = parsed[0] if len(parsed) == 1 else pd.concat(parsed, ignore_index=True)
        yield self.finish(frame, start, end)

    def finish(self, frame: pd.DataFrame, start: dt.datetime, end: dt.datetime
               ) -> pd.DataFrame:
        """The parsed frame as conformed raw events overlapping ``[start, end)``."""
        events = self.events(frame, start, end) if len(frame) else empty_raw_events()
        if self.lookback_option:
            self.warnings = self.unseen_beginnings(events, start)
        events = overlapping(events, start, end) if len(events) else events
        return conform_raw_events(self.identify(events)) if len(events) else empty_raw_events()


class RestSource(Source):
    """A source over one ``HttpClient``: ``pages`` owns the paging loop; ``call`` names the
    vendor (``vendor``) in whatever a request fails with."""

    vendor: ClassVar[str]
    http: HttpClient

    def call(self, what: str, send: Callable[[], Any]) -> Any:
        try:
            return send()
        except VendorError as error:
            raise VendorError(f"{self.vendor} {what}: {error}") from error

    def pages(self, pager: Paginator, fetch: Callable[[int], Page]) -> Iterator[list[Any]]:
        """Each page's records: ``fetch(number)`` answers as a ``Page``, the paginator checks it;
        a content fault it calls retriable (a page repeated, empty too early) is asked again
        under the shared retry policy, and then fails."""
        while pager.has_more:
            number = pager.next_page()

            def attempt() -> Page:
                page = fetch(number)
                pager.advance(page)
                return page

            yield self.http.retry.run(attempt, pager.what, self.http.sleep).records
