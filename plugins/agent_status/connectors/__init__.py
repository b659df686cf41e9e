"""Connectors: one module per vendor over shared primitives (auth, paging, windows, retries)."""

from agent_status.connectors.registry import VENDORS, VendorSpec

__all__ = ["VENDORS", "VendorSpec"]
