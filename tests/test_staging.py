"""Staging: one folder per run, files that appear whole or not at all."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from agent_status.nights import Night
from agent_status.staging import (ParquetAppender, RunStaging, read_json, staging_root,
                                  write_json, write_parquet)

NIGHT = Night(dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc),
              dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc), dt.date(2026, 11, 1))


def test_a_run_stages_in_its_own_folder_named_portably(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_STATUS_STAGING_DIR", str(tmp_path))
    assert staging_root() == tmp_path
    staging = RunStaging.for_run("five9_eu", "scheduled__2026-11-02T23:00:00+00:00")
    assert staging.folder == tmp_path / "five9_eu" / "scheduled__2026-11-02T23_00_00_00_00"
    assert RunStaging.for_run("five9_eu", "manual__1").folder != staging.folder
    assert not staging.folder.exists() and staging.create().folder.is_dir()
    assert RunStaging.of(str(staging.raw)) == staging
    assert [p.name for p in (staging.raw, staging.events(NIGHT), staging.quarantine(NIGHT),
                             staging.validation(NIGHT))] == [
        "raw.parquet", "events_2026-11-01.parquet", "quarantine_2026-11-01.parquet",
        "validation_2026-11-01.json"]
    write_json(staging.validation(NIGHT), {"success": True})
    staging.remove()
    assert not staging.folder.exists()
    staging.remove()  # a second removal (a retried load) is no error


def test_json_and_parquet_are_written_aside_then_renamed(tmp_path):
    write_json(tmp_path / "v.json", {"rows": [1, 2]})
    assert read_json(tmp_path / "v.json") == {"rows": [1, 2]}
    frame = pd.DataFrame({"a": [1, 2]})
    write_parquet(tmp_path / "e.parquet", frame)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "e.parquet"), frame)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.parquet", "v.json"]
    with pytest.raises(TypeError):
        write_json(tmp_path / "bad.json", {"not json": object()})
    assert not (tmp_path / "bad.json").exists()


def test_appended_frames_keep_the_first_schema_and_appear_on_success_only(tmp_path):
    path = tmp_path / "raw.parquet"
    first = pd.DataFrame({"user": ["a"], "n": [1.5]})
    with ParquetAppender(path, first.iloc[:0]) as staged:
        staged.append(first)
        assert not path.exists()  # not before the block ends
        staged.append(pd.DataFrame({"user": ["b", "c"], "n": [2.0, 3.0]}))
    assert staged.rows == 3
    assert pd.read_parquet(path).to_dict("list") == {"user": ["a", "b", "c"], "n": [1.5, 2.0, 3.0]}
    with pytest.raises(RuntimeError):
        with ParquetAppender(path, first.iloc[:0]) as staged:
            staged.append(first)
            raise RuntimeError("the vendor went away")
    assert len(pd.read_parquet(path)) == 3  # the earlier file stands, nothing half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw.parquet"]
    with ParquetAppender(tmp_path / "empty.parquet", first.iloc[:0]):
        pass
    assert list(pd.read_parquet(tmp_path / "empty.parquet").columns) == ["user", "n"]
