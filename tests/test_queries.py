"""Warehouse SQL lives in include/sql/queries, loaded by name (warehouse.query): every file is
run by some code, every name the code asks for exists, and each file is one statement that the
warehouse of either dialect accepts."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from agent_status.warehouse import QUERIES_DIR, create_warehouse_engine, ensure_schema, query

PACKAGE = Path(__file__).resolve().parents[1] / "plugins" / "agent_status"
DIALECTS = ("postgresql", "sqlite")


def query_files() -> dict[str, set[str | None]]:
    """Name -> the dialects it has a variant for (None: the portable file)."""
    found: dict[str, set[str | None]] = {}
    for path in QUERIES_DIR.glob("*.sql"):
        name, _, dialect = path.name.removesuffix(".sql").partition(".")
        found.setdefault(name, set()).add(dialect or None)
    return found


def names_used() -> dict[str, list[str]]:
    """Name -> where the package calls ``query(name, ...)`` (read from the syntax tree, so a
    name built at run time is reported instead of passing unseen)."""
    used: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        imported = any((isinstance(node, ast.ImportFrom)
                        and node.module == "agent_status.warehouse"
                        and any(alias.name == "query" for alias in node.names))
                       or (isinstance(node, ast.FunctionDef) and node.name == "query"
                           and path.name == "warehouse.py")
                       for node in ast.walk(tree))
        for node in ast.walk(tree):
            if not (imported and isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "query"):
                continue
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            first = node.args[0] if node.args else None
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"{where}: query() takes a literal name, so this test can check it")
            used.setdefault(first.value, []).append(where)
    return used


def test_every_query_file_is_used_and_every_name_used_exists():
    files, used = query_files(), names_used()
    assert used, "no query() call found: the scan is broken"
    assert sorted(set(files) - set(used)) == [], "query files no code runs"
    assert {name: used[name] for name in set(used) - set(files)} == {}, "names without a file"


def test_query_files_hold_one_statement_and_no_stray_variants():
    for path in QUERIES_DIR.glob("*.sql"):
        name, _, dialect = path.name.removesuffix(".sql").partition(".")
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), path
        assert dialect in ("", *DIALECTS), f"{path}: unknown dialect {dialect!r}"
        text = query(name, dialect or None)
        assert text and ";" not in text, f"{path}: one statement, no ';' inside"


def test_a_dialect_variant_wins_and_the_portable_file_is_the_fallback():
    assert "TIMESTAMPTZ" in query("schema_version_create", "postgresql")
    assert "TIMESTAMPTZ" not in query("schema_version_create", "sqlite")
    assert query("schema_version_create") == query("schema_version_create", "sqlite")
    assert query("schema_version", "postgresql") == query("schema_version")
    assert not query("schema_version").lstrip().startswith("--")  # comments are stripped
    with pytest.raises(FileNotFoundError, match="migration_lock.*for sqlite"):
        query("migration_lock", "sqlite")
    with pytest.raises(FileNotFoundError, match="no warehouse statement 'no_such_query'"):
        query("no_such_query")


@pytest.mark.parametrize("warehouse_kind", ["sqlite", "postgres"])
def test_every_query_prepares_against_a_migrated_warehouse(request, tmp_path, warehouse_kind):
    """Each statement names tables and columns the schema has, in SQL the dialect accepts
    (EXPLAIN plans it without running it; binds are given NULL; DDL runs in a transaction
    rolled back)."""
    url = (request.getfixturevalue("postgres_url") if warehouse_kind == "postgres"
           else f"sqlite:///{tmp_path / 'w.sqlite'}")
    engine = create_warehouse_engine(url)
    ensure_schema(engine)
    dialect = engine.dialect.name
    try:
        for name, variants in sorted(query_files().items()):
            if None not in variants and dialect not in variants:
                continue  # a statement for the other dialect only (migration_lock)
            text = query(name, dialect)
            binds = {b: None for b in re.findall(r"(?<!:):([a-z_]+)", text)}
            with engine.connect() as connection:
                prefix = ("" if text.startswith("CREATE")  # no plan: run, then rolled back
                          else "EXPLAIN " if dialect == "postgresql" else "EXPLAIN QUERY PLAN ")
                try:
                    connection.execute(sa.text(prefix + text), binds)
                except sa.exc.DBAPIError as error:
                    raise AssertionError(f"{name} on {dialect}: {error.orig}") from None
                connection.rollback()
    finally:
        engine.dispose()
