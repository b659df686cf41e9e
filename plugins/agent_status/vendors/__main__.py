"""``python -m agent_status.vendors README.md``: rewrite the README's vendor tables from the
declarations (tests/test_vendors.py fails while they differ)."""

import sys
from pathlib import Path

from agent_status.connectors.registry import with_readme_tables

target = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
target.write_text(with_readme_tables(target.read_text()))
