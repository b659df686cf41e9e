"""Staging: the files one run's tasks hand each other (Parquet and JSON), never DataFrames.

A run stages in its own folder, ``<AGENT_STATUS_STAGING_DIR>/<integration>/<run_id>``: extract
writes ``raw.parquet``, transform one events, quarantine and validation file per night, load
reads them and removes the folder. Every file appears whole or not at all (written aside, then
renamed), so a retried task never reads what a killed try left half-written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agent_status import PROJECT_ROOT
from agent_status.nights import Night

if TYPE_CHECKING:
    import pandas as pd


def staging_root() -> Path:
    return Path(os.environ.get("AGENT_STATUS_STAGING_DIR", PROJECT_ROOT / "data" / "staging"))


@dataclass(frozen=True)
class RunStaging:
    """One run's staging folder and the names of the files in it."""

    folder: Path

    @classmethod
    def for_run(cls, integration: str, run_id: str) -> RunStaging:
        # run ids hold ':' and '+' (scheduled__2026-11-02T23:00:00+00:00): a portable name
        return cls(staging_root() / integration / re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id))

    @classmethod
    def of(cls, raw_path: str | Path) -> RunStaging:
        """The staging a manifest's ``raw_path`` lies in."""
        return cls(Path(raw_path).parent)

    @property
    def raw(self) -> Path:
        return self.folder / "raw.parquet"

    def events(self, night: Night) -> Path:
        return self.folder / f"events_{night.label}.parquet"

    def quarantine(self, night: Night) -> Path:
        return self.folder / f"quarantine_{night.label}.parquet"

    def validation(self, night: Night) -> Path:
        return self.folder / f"validation_{night.label}.json"

    def create(self) -> RunStaging:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    frame.to_parquet(temporary, index=False)
    temporary.replace(path)


def write_json(path: Path, value) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(value))
    temporary.replace(path)


def read_json(path: str | Path):
    return json.loads(Path(path).read_text())


class ParquetAppender:
    """Frames appended to one Parquet file in order, which appears at ``path`` only when the
    block ends without error. Without any frame the file still appears, empty, with the schema
    of ``empty`` (a closed night stages an empty file, not none)."""

    def __init__(self, path: Path, empty: pd.DataFrame):
        self.path, self.empty = Path(path), empty
        self.temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        self.rows = 0
        self._writer = None

    def append(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.temporary, table.schema)
        self._writer.write_table(table.cast(self._writer.schema))
        self.rows += len(frame)

    def __enter__(self) -> ParquetAppender:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if error is None and self._writer is None:
            self.append(self.empty)
        if self._writer is not None:
            self._writer.close()
        if error is None:
            self.temporary.replace(self.path)
        else:
            self.temporary.unlink(missing_ok=True)
