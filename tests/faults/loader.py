"""Run by the crash rows in a subprocess: ``tasks.load`` of a staged manifest, pausing inside
the night's transaction (after the night's events are written, before the commit) until a
``go`` file appears. ``marker`` is touched when the pause starts, so the test knows the load
is mid-transaction and can SIGKILL this process or restart the warehouse server.

    python -m tests.faults.loader MANIFEST.json MARKER GO
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(manifest_path: str, marker: str, go: str) -> None:
    from agent_status import tasks
    from agent_status.config import get_integration
    from agent_status.pipeline import load

    original = load.bulk_insert

    def pausing_insert(connection, table, frame, constants=None):
        original(connection, table, frame, constants)
        if table == "agent_status_events":
            Path(marker).touch()
            deadline = time.monotonic() + 300
            while not Path(go).exists() and time.monotonic() < deadline:
                time.sleep(0.05)

    load.bulk_insert = pausing_insert
    manifest = json.loads(Path(manifest_path).read_text())
    tasks.load(get_integration(manifest["integration"]), manifest)


if __name__ == "__main__":
    main(*sys.argv[1:4])
