"""Paginators: one protocol for every paged vendor API.

A vendor turns each answer into a ``Page`` (its records and the counts it gave with them); a
paginator says which page to ask for (``next_page``), whether another follows (``has_more``)
and checks each page before moving on (``advance``). ``advance`` checks first and moves only
when the page passed, so a ``RetriableError`` it raises (a fault that a transient cache or
gateway heals) can be answered by asking for the same page again: ``source.RestSource.pages``
owns that loop. Paging can neither end early unseen nor run forever (issue 9).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from agent_status.connectors.base import VendorError
from agent_status.connectors.http import RetriableError


class RepeatedPageError(RetriableError):
    """A page identical to the one before it: a cache or a server that ignores the page number.
    Retriable, since a transient one heals; a lasting one fails the read (issue 9)."""


@dataclass(frozen=True)
class Page:
    """One answer: its records and what the vendor said with them (None: not said).

    ``total``: records there are; ``page_count``: pages there are; ``size``: records per page
    the vendor says it pages by; ``key``: what identifies the page for the repeat check (the
    records themselves when None)."""

    records: list[Any]
    total: int | None = None
    page_count: int | None = None
    size: int | None = None
    key: Any = None


class Paginator:
    """Pages numbered from ``start`` (the protocol): ``next_page``, ``advance``, ``has_more``.

    Shared guards: more than ``max_pages`` pages fail; a non-empty page equal to the previous
    one fails (``repeat_heals``: as a ``RepeatedPageError``, asked again; else at once)."""

    repeat_heals = True

    def __init__(self, what: str, page_size: int, max_pages: int, start: int = 1):
        self.what, self.page_size, self.max_pages = what, page_size, max_pages
        self.current = start
        self.has_more = True
        self.read = 0  # records
        self.pages_read = 0
        self._previous: Any = None

    def next_page(self) -> int:
        """The number of the page to ask for; asking for more than ``max_pages`` fails."""
        if self.pages_read >= self.max_pages:
            raise VendorError(f"{self.what}: more than {self.max_pages} pages of "
                              f"{self.page_size} records; raise max_pages or read shorter "
                              "windows")
        return self.current

    def advance(self, page: Page) -> None:
        """Check ``page`` (raising leaves the paginator as it was), then move past it."""
        key = page.records if page.key is None else page.key
        if page.records and key == self._previous:  # C-level compare, no hashing (issue 10)
            message = f"{self.what}: page {self.current} repeats page {self.current - 1}"
            if self.repeat_heals:
                raise RepeatedPageError(f"{message} ({len(page.records)} identical records)")
            raise VendorError(f"{message}: the vendor ignores the page parameter; the read "
                              "would not end")
        self._check(page)
        self._previous = key if page.records else None
        self.pages_read += 1
        self.read += len(page.records)
        self.has_more = self._more(page)
        if self.has_more:
            self._bound(page)
        else:
            self._ended(page)
        self.current += 1

    def _check(self, page: Page) -> None:
        """Vendor-independent checks of a page before it is taken."""

    def _more(self, page: Page) -> bool:
        raise NotImplementedError

    def _bound(self, page: Page) -> None:
        """Another page follows: fail if paging has gone further than it can."""

    def _ended(self, page: Page) -> None:
        """The last page was read: fail if the pages fall short of what was announced."""


class PageNumberPaginator(Paginator):
    """Ends on an empty page, or at the announced ``page_count``; a short page does not end
    it: vendors drop duplicates after paging, so a page can hold fewer records than asked
    while more follow (Genesys Cloud, vendors.md 2.3).

    Bounded by the announced ``total`` (named ``total_name`` in messages): an empty page before
    it is reached is asked again, then fails; pages beyond what it allows (plus the empty page
    some answers promise) fail; paging that ends short of it is a truncation. ``tolerance``
    (0..1) widens the bound; an ``approximate`` total (Genesys' ``totalHits``) is compared with
    the pages read counted as full, not the records, and within ``tolerance``, and a read
    ending short of it is no truncation. Without a total, ``max_pages`` bounds paging.
    """

    def __init__(self, what: str, page_size: int, max_pages: int, *, noun: str = "records",
                 total_name: str = "total", tolerance: float = 0.0, approximate: bool = False,
                 start: int = 1):
        super().__init__(what, page_size, max_pages, start)
        self.noun, self.total_name, self.tolerance = noun, total_name, tolerance
        self.approximate = approximate

    def next_page(self) -> int:
        return self.current  # bounded in _bound, by the total where there is one

    def _covered(self) -> float:
        return self.pages_read * self.page_size if self.approximate else self.read

    def _check(self, page: Page) -> None:
        total, slack = page.total, self.tolerance if self.approximate else 0.0
        if not page.records and total is not None and self._covered() < total * (1 - slack):
            counted = f"about {self._covered()}" if self.approximate else f"{self.read}"
            raise RetriableError(
                f"{self.what}: page {self.current} has no {self.noun} after {counted} of the "
                f"{total} {self.noun} {self.total_name} announces at page size "
                f"{self.page_size}: paging would end early")

    def _more(self, page: Page) -> bool:
        return bool(page.records) and not (page.page_count is not None
                                           and self.current >= page.page_count)

    def _bound(self, page: Page) -> None:
        if page.total is None:
            limit, allows = self.max_pages, f"(at most {self.max_pages} expected)"
        else:  # every page full but the last, plus the empty page some answers promise
            limit = math.ceil(page.total * (1 + self.tolerance) / self.page_size) + 1
            allows = (f"although {self.total_name} {page.total} at page size "
                      f"{self.page_size} allows {limit}")
        if self.pages_read >= limit:
            raise VendorError(f"{self.what}: paging did not end after {self.pages_read} pages "
                              f"{allows}: the read is refused")

    def _ended(self, page: Page) -> None:
        if not self.approximate and page.total is not None and self.read < page.total:
            raise VendorError(f"{self.what}: paging ended after {self.read} of {page.total} "
                              f"{self.noun} ({self.total_name}): the read is truncated")


class ShortPagePaginator(Paginator):
    """Asked for until a page holds fewer records than a full page (or none): for vendors that
    do not say whether more pages follow (UJET, vendors.md 5.3).

    A full page is ``page_size``, the size asked for: Google's page says to compare the records
    with "your page size" (5.3). A page size the vendor announces (``Page.size``) is only
    checked against it: a vendor paging by another size would make every page look short.
    A ``total`` the pages fall short of is a truncation; a page equal to the previous one means
    the vendor ignores ``page`` (fails at once); more than ``max_pages`` pages is too deep. A
    full page that reaches ``total`` ends the loop without asking for an empty page.
    """

    repeat_heals = False

    def _check(self, page: Page) -> None:
        if page.size is not None and page.size != self.page_size:
            raise VendorError(f"{self.what}: page {self.current} announces pages of "
                              f"{page.size} records although {self.page_size} were asked "
                              "for: a full page could not be told from the last one")

    def _more(self, page: Page) -> bool:
        full = len(page.records) >= self.page_size
        return full and not (page.total is not None and self.read >= page.total)

    def _ended(self, page: Page) -> None:
        if len(page.records) < self.page_size and page.total is not None \
                and self.read < page.total:
            raise VendorError(f"{self.what}: page {self.current} is the last (it holds "
                              f"{len(page.records)} records, fewer than a page) after "
                              f"{self.read} of the {page.total} records the total header "
                              "announced: the read is truncated")
