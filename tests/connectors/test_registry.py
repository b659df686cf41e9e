"""The vendor declarations (agent_status/vendors/) are found by convention, light to import, and
the README's vendor tables are rendered from them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agent_status.connectors.registry import VENDORS, VendorSpec, _Registry, readme_tables
from tests.conftest import ROOT


def test_every_module_of_the_package_is_a_vendor_with_its_connector():
    modules = sorted(p.stem for p in (ROOT / "plugins/agent_status/vendors").glob("[!_]*.py"))
    assert sorted(VENDORS) == modules and len(modules) >= 10
    for name, spec in VENDORS.items():
        assert isinstance(spec, VendorSpec) and spec.name == name
        assert spec.connector_class().spec is spec
        assert spec.connector_class().overlap_rule == spec.overlap_rule


def test_five9_declares_its_overlap_rule_and_transform_reads_it_without_the_connector():
    assert VENDORS["five9"].overlap_rule == "shorter_wins"  # vendors.md 1.6
    assert VENDORS["genesys_cloud"].overlap_rule == "later_start_wins"


def test_declarations_import_neither_pandas_nor_requests_nor_connector_code():
    code = ("import sys; from agent_status.connectors.registry import VENDORS; "
            "specs = dict(VENDORS); heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('pandas', 'requests', 'sqlalchemy', 'numpy') or m.startswith("
            "'agent_status.connectors.') and m.rsplit('.', 1)[1] in specs]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT / "plugins")}, check=True)
    assert out.stdout.strip() == "[]"


def _package(tmp_path, monkeypatch, files: dict[str, str]) -> _Registry:
    name = "vendors_" + "".join(c if c.isalnum() else "_" for c in tmp_path.name)
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    for module, text in files.items():
        (package / f"{module}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    return _Registry(name)


DECLARATION = ("from agent_status.connectors.registry import VendorSpec\n"
               "SPEC = VendorSpec(name={name!r}, label='X', identifier='email', access='rest', "
               "module='x:Y')\n")


def test_a_new_module_is_a_new_vendor(tmp_path, monkeypatch):
    registry = _package(tmp_path, monkeypatch, {"acme": DECLARATION.format(name="acme")})
    assert list(registry) == ["acme"] and registry["acme"].identifier == "email"


@pytest.mark.parametrize(("text", "message"), [
    ("X = 1\n", r"vendors_\w+\.acme declares no vendor: it must define SPEC"),
    (DECLARATION.format(name="other"), "SPEC.name is 'other'; a vendor is declared in the "
                                       "module named for it"),
])
def test_a_module_that_is_no_declaration_is_refused_naming_it(tmp_path, monkeypatch, text,
                                                              message):
    registry = _package(tmp_path, monkeypatch, {"acme": text})
    with pytest.raises((TypeError, ValueError), match=message):
        list(registry)


def test_readme_vendor_tables_are_the_declarations():
    readme = (ROOT / "README.md").read_text()
    for marker, table in readme_tables().items():
        begin, end = f"<!-- {marker}: begin -->", f"<!-- {marker}: end -->"
        assert begin in readme and end in readme, f"README lacks the {marker} markers"
        assert readme.split(begin, 1)[1].split(end, 1)[0].strip() == table, \
            "regenerate with: .venv/bin/python -m agent_status.vendors README.md"
    for spec in VENDORS.values():
        assert f"| {spec.label} (`{spec.name}`) |" in readme
