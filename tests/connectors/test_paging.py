"""The paginators on their own: when they stop, when they fail (issue 9, vendors.md 2.3, 5.3)."""

from __future__ import annotations

import pytest

from agent_status.connectors.base import VendorError
from agent_status.connectors.http import RetriableError
from agent_status.connectors.paging import (Page, PageNumberPaginator, RepeatedPageError,
                                            ShortPagePaginator)


def read(pager, pages: list[list[int]], **said):
    """Feed ``pages`` (record ids) to ``pager`` as a vendor would; the page numbers asked."""
    asked = []
    while pager.has_more:
        number = pager.next_page()
        asked.append(number)
        pager.advance(Page(pages[number - 1] if number <= len(pages) else [], **said))
    return asked


def short(page_size=3, max_pages=10):
    return ShortPagePaginator("Vendor thing", page_size, max_pages)


def numbered(page_size=3, max_pages=10, **kwargs):
    return PageNumberPaginator("Vendor thing", page_size, max_pages, noun="items",
                               total_name="meta.total", **kwargs)


def test_short_pages_stop_after_a_short_page_or_an_empty_one():
    assert read(short(), [[1, 2, 3], [4, 5]]) == [1, 2]
    assert read(short(), [[1, 2, 3], [4, 5, 6]]) == [1, 2, 3]  # the third is empty


def test_short_pages_a_full_page_reaching_the_total_is_the_last():
    assert read(short(), [[1, 2, 3], [4, 5, 6]], total=6) == [1, 2]


def test_short_pages_the_page_size_asked_for_decides_what_a_full_page_is():
    """Issue 8 finding 6: an announced page size only confirms the one asked for (5.3)."""
    assert read(short(3), [[1, 2, 3], [4, 5, 6], [7]], size=3) == [1, 2, 3]
    with pytest.raises(VendorError, match=r"Vendor thing: page 1 announces pages of 3 records "
                                          r"although 5 were asked for"):
        read(short(5), [[1, 2, 3], [4, 5, 6], [7]], size=3)


def test_short_pages_exactly_max_pages_is_allowed_one_more_fails():
    assert read(short(max_pages=2), [[1, 2, 3], [4]]) == [1, 2]
    with pytest.raises(VendorError, match=r"Vendor thing: more than 2 pages of 3 records"):
        read(short(max_pages=2), [[1, 2, 3], [4, 5, 6], [7]])


def test_short_pages_a_page_short_of_the_total_fails():
    with pytest.raises(VendorError, match=r"page 2 is the last .* after 5 of the 9 records"):
        read(short(), [[1, 2, 3], [4, 5]], total=9)


def test_short_pages_a_repeated_page_fails_at_once():
    with pytest.raises(VendorError, match=r"page 2 repeats page 1") as raised:
        read(short(), [[1, 2, 3], [1, 2, 3]])
    assert not isinstance(raised.value, RetriableError)


def test_a_repeat_is_told_by_the_key_when_there_is_one():
    pager = short()
    pager.advance(Page([{"id": 1}, {"id": 2}, {"id": 3}], key=(1, 2, 3)))
    with pytest.raises(VendorError, match="repeats"):
        pager.advance(Page([{"id": 1, "x": 9}, {"id": 2}, {"id": 3}], key=(1, 2, 3)))


def test_numbered_pages_end_on_an_empty_page_not_a_short_one():
    assert read(numbered(), [[1, 2, 3], [4], [5, 6]]) == [1, 2, 3, 4]


def test_numbered_pages_end_at_the_announced_page_count():
    assert read(numbered(), [[1, 2, 3], [4], [5, 6]], page_count=2) == [1, 2]


def test_numbered_pages_a_repeated_page_is_retriable_and_leaves_the_pager_where_it_was():
    pager = numbered()
    pager.advance(Page([1, 2, 3]))
    with pytest.raises(RepeatedPageError, match=r"page 2 repeats page 1 \(3 identical"):
        pager.advance(Page([1, 2, 3]))
    assert (pager.current, pager.read, pager.pages_read) == (2, 3, 1)
    pager.advance(Page([4, 5, 6]))  # asked again: the real page 2
    assert (pager.current, pager.read) == (3, 6)


def test_numbered_pages_an_empty_page_before_the_total_is_retriable():
    pager = numbered()
    pager.advance(Page([1, 2, 3], total=5))
    with pytest.raises(RetriableError, match=r"page 2 has no items after 3 of the 5 items "
                                             r"meta.total announces"):
        pager.advance(Page([], total=5))
    assert pager.has_more and pager.current == 2


def test_numbered_pages_ending_short_of_an_exact_total_is_a_truncation():
    with pytest.raises(VendorError, match=r"paging ended after 4 of 5 items \(meta.total\): "
                                          r"the read is truncated"):
        read(numbered(), [[1, 2, 3], [4]], total=5, page_count=2)


def test_numbered_pages_an_approximate_total_counts_pages_within_its_tolerance():
    # 2 full-size pages read (6) cover 5.5 * 0.9: the empty page ends paging, short pages or not
    assert read(numbered(approximate=True, tolerance=0.1), [[1], [2]], total=6) == [1, 2, 3]
    pager = numbered(approximate=True, tolerance=0.1)
    pager.advance(Page([1], total=9))
    with pytest.raises(RetriableError, match=r"page 2 has no items after about 3 of the 9"):
        pager.advance(Page([], total=9))


def test_numbered_pages_beyond_what_the_total_allows_fail():
    """ceil(total / size) full pages plus the empty one some answers promise."""
    endless = [[i, i, i] for i in range(1, 50)]
    with pytest.raises(VendorError, match=r"paging did not end after 3 pages although "
                                          r"meta.total 6 at page size 3 allows 3"):
        read(numbered(), endless, total=6)
    with pytest.raises(VendorError, match=r"allows 4"):  # 6 * 1.5 / 3 + 1
        read(numbered(tolerance=0.5, approximate=True), endless, total=6)
    with pytest.raises(VendorError, match=r"paging did not end after 5 pages \(at most 5"):
        read(numbered(max_pages=5), endless)
