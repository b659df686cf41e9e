"""The fault matrix's fixtures: ``url`` is a fresh warehouse, SQLite then PostgreSQL."""

from __future__ import annotations

import pytest

from tests.faults.harness import WAREHOUSES, warehouse_url


@pytest.fixture(params=WAREHOUSES)
def url(request, tmp_path):
    return warehouse_url(request, tmp_path)
