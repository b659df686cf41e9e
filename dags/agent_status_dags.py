"""One DAG per integration declared in include/integrations.yaml (AGENT_STATUS_INTEGRATIONS).

A wrong file raises here, so Airflow shows an import error instead of dropping DAGs.
"""

from agent_status.config import load_integrations
from agent_status.dag_factory import build_dag

for _integration in load_integrations():
    globals()[_integration.dag_id] = build_dag(_integration)
