"""``python -m agent_status.warm_airflow scheduler``: the Airflow CLI with the task code imported
first.

A task's own work on a demo night takes well under a second; importing what it needs takes
seconds (Great Expectations alone 3 to 8 s on this machine, pandas, pyarrow and SQLAlchemy about
2 s more), once per task. The LocalExecutor forks its workers from the scheduler and each task
from a worker (``os.fork``, Airflow's default), so whatever the scheduler imported before it
started is already in every task. The local Airflow (``make demo``, ``make airflow``) starts its
scheduler through this module. In production the same holds for a LocalExecutor scheduler, and
Celery's prefork workers can do the same from ``celery worker`` start-up; it costs about 300 MB
in the parent, shared copy-on-write by the children.
"""

from __future__ import annotations

import sys

# what extract, transform, load and quality import (tasks import them inside the task)
PRELOAD = (
    "pandas", "pyarrow", "pyarrow.parquet", "sqlalchemy", "requests", "great_expectations",
    "agent_status.pipeline.extract", "agent_status.pipeline.transform",
    "agent_status.pipeline.normalise", "agent_status.pipeline.validate",
    "agent_status.pipeline.remap", "agent_status.pipeline.load", "agent_status.tasks",
)


def preload() -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)


def main() -> None:
    preload()
    from airflow.__main__ import main as airflow

    sys.argv = ["airflow", *sys.argv[1:]]
    airflow()


if __name__ == "__main__":
    main()
