"""agent-status: nightly import of contact-center agent status history into a warehouse."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "include" / "sql"
