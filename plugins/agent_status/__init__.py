"""agent-status: nightly import of contact-center agent status history into a warehouse."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "include" / "sql"

try:  # the installed distribution's version (pyproject.toml)
    from importlib.metadata import version as _version

    __version__ = _version("agent-status")
except Exception:  # running from a checkout without installing
    __version__ = "0.0.0"
