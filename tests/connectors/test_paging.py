"""ShortPagePaginator on its own: when it stops, when it fails (vendors.md 5.3)."""

from __future__ import annotations

import pytest

from agent_status.connectors.base import VendorError
from agent_status.connectors.paging import ShortPagePaginator


def read(pages: list[list[int]], *, page_size=3, max_pages=10, total=None, header_size=None):
    """Feed ``pages`` (record ids) to a paginator as a vendor would; the page numbers asked."""
    pager, asked = ShortPagePaginator("Vendor thing", page_size, max_pages), []
    while pager.has_more:
        number = pager.next_page()
        asked.append(number)
        records = pages[number - 1] if number <= len(pages) else []
        pager.advance(records, fingerprint=tuple(records), total=total,
                      announced_size=header_size)
    return asked


def test_stops_after_a_short_page_or_an_empty_one():
    assert read([[1, 2, 3], [4, 5]]) == [1, 2]
    assert read([[1, 2, 3], [4, 5, 6]]) == [1, 2, 3]  # the third is empty


def test_a_full_page_reaching_the_total_is_the_last():
    assert read([[1, 2, 3], [4, 5, 6]], total=6) == [1, 2]


def test_the_page_size_asked_for_decides_what_a_full_page_is():
    """Issue 8 finding 6: an announced page size only confirms the one asked for (5.3)."""
    assert read([[1, 2, 3], [4, 5, 6], [7]], page_size=3, header_size=3) == [1, 2, 3]
    # asked for 5, the vendor pages by 3: every page would look like the last one
    with pytest.raises(VendorError, match=r"Vendor thing: page 1 announces pages of 3 records "
                                          r"although 5 were asked for"):
        read([[1, 2, 3], [4, 5, 6], [7]], page_size=5, header_size=3)


def test_exactly_max_pages_is_allowed_one_more_fails():
    assert read([[1, 2, 3], [4]], max_pages=2) == [1, 2]
    with pytest.raises(VendorError, match=r"Vendor thing: more than 2 pages of 3 records"):
        read([[1, 2, 3], [4, 5, 6], [7]], max_pages=2)


def test_a_page_short_of_the_total_fails():
    with pytest.raises(VendorError, match=r"page 2 is the last .* after 5 of the 9 records"):
        read([[1, 2, 3], [4, 5]], total=9)


def test_a_repeated_page_fails():
    with pytest.raises(VendorError, match=r"page 2 repeats page 1"):
        read([[1, 2, 3], [1, 2, 3]])
