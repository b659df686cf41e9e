"""Browser tests: each test's outcome is kept on its item, so the page fixture can take a
screenshot of what the browser showed when a test failed."""

from __future__ import annotations

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)
