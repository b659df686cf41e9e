"""Paginators: small objects that say which page comes next, or that there is none."""

from __future__ import annotations

from typing import Any


class PageNumberPaginator:
    """Pages numbered from ``start``; ends on an empty page, or when ``page_count`` is reached.

    A short page does not end the loop: vendors drop duplicates after paging, so a page can hold
    fewer records than asked while more pages follow (Genesys Cloud, vendors.md 2.3).
    """

    def __init__(self, start: int = 1):
        self.current = start
        self.has_more = True

    def advance(self, records: list[Any], page_count: int | None = None) -> None:
        if not records or (page_count is not None and self.current >= page_count):
            self.has_more = False
        self.current += 1


class HeaderLinkPaginator:
    """Follows the ``Link: <...>; rel="next"`` header (UJET)."""

    def __init__(self):
        self.next_url: str | None = None
        self.has_more = True

    def advance(self, response) -> None:
        self.next_url = response.links.get("next", {}).get("url")
        self.has_more = self.next_url is not None
