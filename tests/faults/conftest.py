"""The fault matrix's fixtures: ``url`` is a fresh warehouse, SQLite then PostgreSQL; retries
back off in milliseconds (Retry-After is still honoured) so persistent faults fail fast."""

from __future__ import annotations

import pytest

from agent_status.connectors import http
from tests.faults.harness import WAREHOUSES, warehouse_url


@pytest.fixture(params=WAREHOUSES)
def url(request, tmp_path):
    return warehouse_url(request, tmp_path)


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    from agent_status.connectors import auth, five9

    def quick(**kwargs):
        return http.RetryPolicy(**{"backoff_seconds": 0.01, **kwargs})

    monkeypatch.setattr(http, "DEFAULT_RETRY", quick())
    for module in (auth, five9):  # they build their own policy
        monkeypatch.setattr(module, "RetryPolicy", quick)
