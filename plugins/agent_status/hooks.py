"""Hooks behind the provider's connection types (provider.py): what the Test button runs.

A hook is a connection plus one verb here: ``test_connection``, the same check as
``agent-status check`` (authenticate, the smallest real request, the shape of what comes back).
Secrets never appear in its message.
"""

from __future__ import annotations

from airflow.sdk import BaseHook

from agent_status.provider import FAMILIES, hook_class_name, vendors_of


class _AgentStatusHook(BaseHook):
    conn_name_attr = "conn_id"
    conn_type: str = ""
    hook_name: str = ""

    def __init__(self, conn_id: str = "", **kwargs):
        super().__init__(**kwargs)
        self.conn_id = conn_id

    def get_conn(self):
        from agent_status.connectors.base import ConnectionInfo

        return ConnectionInfo.from_airflow(self.conn_id)

    def test_connection(self) -> tuple[bool, str]:
        from agent_status.check import check_connection

        vendors = vendors_of(self.conn_type)
        try:
            info = self.get_conn()
        except Exception as error:  # noqa: BLE001 - the UI shows the message
            return False, f"connection {self.conn_id!r} cannot be read: {type(error).__name__}"
        return check_connection(info, vendors)


def _hook(conn_type: str) -> type[_AgentStatusHook]:
    return type(hook_class_name(conn_type), (_AgentStatusHook,), {
        "conn_type": conn_type, "default_conn_name": conn_type,
        "hook_name": FAMILIES[conn_type]["hook-name"], "__module__": __name__,
        "__doc__": f"Connection type {conn_type!r}: {FAMILIES[conn_type]['hook-name']}."})


# one hook class per declared connection type, named as get_provider_info lists it
# (GenesysCloudHook, AcdDatabaseHook...): Airflow imports it by that name
for _conn_type in FAMILIES:
    globals()[hook_class_name(_conn_type)] = _hook(_conn_type)
__all__ = [hook_class_name(conn_type) for conn_type in FAMILIES]
