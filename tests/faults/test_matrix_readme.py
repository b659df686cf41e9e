"""README's "What survives what" table is the matrix (tests/faults/matrix.py), and every
row names a test that exists; a row marked as a known gap is exactly a test marked xfail."""

from __future__ import annotations

import importlib

import pytest

from tests.conftest import ROOT
from tests.faults.matrix import ROWS, render

BEGIN, END = "<!-- fault-matrix: begin -->", "<!-- fault-matrix: end -->"


def test_readme_table_is_the_matrix():
    readme = (ROOT / "README.md").read_text()
    assert BEGIN in readme and END in readme, "README lacks the fault-matrix markers"
    table = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert table == render(), "regenerate with: .venv/bin/python -m tests.faults.matrix"


def _xfail(function) -> bool:
    marks = getattr(function, "pytestmark", [])
    if any(m.name == "xfail" for m in marks):
        return True
    return any(isinstance(p, type(pytest.param(0))) and any(m.name == "xfail" for m in p.marks)
               for m in marks if m.name == "parametrize" for p in m.args[1])


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.test)
def test_every_row_has_its_test(row):
    module, name = row.test.split("::")
    function = getattr(importlib.import_module(f"tests.faults.{module}"), name)
    assert name.startswith("test_")
    assert _xfail(function) == bool(row.gap), "a known gap is exactly an xfail test"
