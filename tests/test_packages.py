"""The package Airflow runs (plugins/agent_status) never needs the development package
(dev/agent_status_dev: sandboxes, simulator, demo): production mounts plugins/ only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_runtime_module_imports_the_development_package():
    offenders = []
    for path in sorted((ROOT / "plugins" / "agent_status").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno} imports {n}"
                          for n in names if n.split(".")[0] == "agent_status_dev"]
    assert not offenders, offenders


def test_the_dag_file_and_the_airflow_plugin_load_without_the_development_package(tmp_path):
    """With only plugins/ on the path (as in production), the DAG file parses and the plugin,
    provider and every vendor declaration import."""
    code = ("import sys, importlib.abc\n"
            "class Block(importlib.abc.MetaPathFinder):\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'agent_status_dev':\n"
            "            raise ImportError('development package in production: ' + name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "import runpy\n"
            f"runpy.run_path({str(ROOT / 'dags' / 'agent_status_dags.py')!r})\n"
            "import agent_status.airflow_plugin, agent_status.provider\n"
            "from agent_status.connectors.registry import VENDORS\n"
            "print(sorted(VENDORS))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, env={"PYTHONPATH": str(ROOT / "plugins"),
                                               "PATH": "/usr/bin:/bin",
                                               "AIRFLOW_HOME": str(tmp_path),
                                               "GX_ANALYTICS_ENABLED": "False"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "genesys_cloud" in result.stdout
