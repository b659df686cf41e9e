"""Paginators: small objects that say which page comes next, or that there is none."""

from __future__ import annotations

from typing import Any

from agent_status.connectors.base import VendorError
from agent_status.connectors.http import RetriableError


class RepeatedPageError(RetriableError):
    """A page identical to the one before it: a cache or a server that ignores the page number.
    Retriable, since a transient one heals; a lasting one fails the read (issue 9)."""


class PageNumberPaginator:
    """Pages numbered from ``start``; ends on an empty page, or when ``page_count`` is reached.

    A short page does not end the loop: vendors drop duplicates after paging, so a page can hold
    fewer records than asked while more pages follow (Genesys Cloud, vendors.md 2.3).

    Guards, so that paging can neither end early unseen nor run forever (issue 9): ``check``
    refuses a non-empty page identical to the previous one (``RepeatedPageError``), and
    ``advance`` raises ``VendorError`` once more than ``max_pages`` pages were needed.
    """

    def __init__(self, start: int = 1, *, max_pages: int | None = None, what: str = "paging"):
        self.start = self.current = start
        self.has_more = True
        self.max_pages = max_pages
        self.what = what
        self._previous: list[Any] | None = None

    @property
    def pages_read(self) -> int:
        return self.current - self.start

    def check(self, records: list[Any]) -> None:
        """Before accepting a page: a non-empty page equal to the previous one is a fault."""
        # the records themselves are compared (C-level, stops at the first difference): no
        # serialising and hashing of every page (issue 10)
        if records and records == self._previous:
            raise RepeatedPageError(
                f"{self.what}: page {self.current} repeats page {self.current - 1} "
                f"({len(records)} identical records)")

    def advance(self, records: list[Any], page_count: int | None = None) -> None:
        self._previous = records if records else None
        if not records or (page_count is not None and self.current >= page_count):
            self.has_more = False
        self.current += 1
        if self.has_more and self.max_pages is not None and self.pages_read >= self.max_pages:
            raise VendorError(f"{self.what}: paging did not end after {self.pages_read} pages "
                              f"(at most {self.max_pages} expected); the read is refused")


class HeaderLinkPaginator:
    """Follows the ``Link: <...>; rel="next"`` header (UJET)."""

    def __init__(self):
        self.next_url: str | None = None
        self.has_more = True

    def advance(self, response) -> None:
        self.next_url = response.links.get("next", {}).get("url")
        self.has_more = self.next_url is not None


class ShortPagePaginator:
    """Pages numbered from ``start``, asked for until one holds fewer records than a full page
    (or none): for vendors that do not say whether more pages follow (UJET, vendors.md 5.3).

    A full page is ``page_size``, the size asked for: Google's page says to compare the records
    with "your page size" (5.3). A page size the vendor announces (``announced_size``) is only
    checked against it: a vendor paging by another size would make every page look short.

    Bounded and checked: a ``total`` the pages fall short of is a truncation, a page equal to the
    previous one means the vendor ignores ``page``, a different announced page size, and more
    than ``max_pages`` pages is too deep; each raises ``VendorError`` naming ``what``. A full
    page that reaches ``total`` ends the loop without asking for an empty page.
    """

    def __init__(self, what: str, page_size: int, max_pages: int, start: int = 1):
        self.what, self.page_size, self.max_pages = what, page_size, max_pages
        self.current = start
        self.has_more = True
        self.read = 0
        self._pages = 0
        self._previous: Any = None

    def next_page(self) -> int:
        """The number of the page to ask for; asking for more than ``max_pages`` fails."""
        if self._pages >= self.max_pages:
            raise VendorError(f"{self.what}: more than {self.max_pages} pages of "
                              f"{self.page_size} records; raise max_pages or read shorter "
                              "windows")
        return self.current

    def advance(self, records: list[Any], fingerprint: Any, total: int | None = None,
                announced_size: int | None = None) -> None:
        """``fingerprint`` identifies the page's records (e.g. their ids); ``total`` and
        ``announced_size`` are what the vendor said in this answer, when it said it."""
        if announced_size is not None and announced_size != self.page_size:
            raise VendorError(f"{self.what}: page {self.current} announces pages of "
                              f"{announced_size} records although {self.page_size} were asked "
                              "for: a full page could not be told from the last one")
        self._pages += 1
        self.read += len(records)
        if records and fingerprint == self._previous:
            raise VendorError(f"{self.what}: page {self.current} repeats page {self.current - 1}: "
                              "the vendor ignores the page parameter; the read would not end")
        self._previous = fingerprint
        if len(records) < self.page_size:
            self.has_more = False
            if total is not None and self.read < total:
                raise VendorError(f"{self.what}: page {self.current} is the last (it holds "
                                  f"{len(records)} records, fewer than a page) after {self.read} "
                                  f"of the {total} records the total header announced: the "
                                  "read is truncated")
        elif total is not None and self.read >= total:
            self.has_more = False
        self.current += 1
