"""The connector interface every vendor module implements."""

from __future__ import annotations

import datetime as dt
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import pandas as pd

    from agent_status.config import Integration
    from agent_status.connectors.registry import VendorSpec


class VendorError(RuntimeError):
    """The vendor answered something we cannot go on with; the message says what and where."""


@dataclass(frozen=True)
class ConnectionInfo:
    """An Airflow Connection's fields: host = base URL, login/password = credentials."""

    conn_id: str
    conn_type: str = ""
    host: str = ""
    login: str = ""
    password: str = field(default="", repr=False)  # never printed
    port: int | None = None
    schema: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_airflow(cls, conn_id: str, *, outside_task: bool = False) -> ConnectionInfo:
        """The Airflow connection ``conn_id``. Outside a task (the CLI) the Task SDK reads only
        ``AIRFLOW_CONN_*`` and secrets backends, so ``outside_task`` asks Airflow's core model,
        which also reads the metadata database (where ``airflow connections add`` writes)."""
        if outside_task:
            from airflow.models.connection import Connection

            conn = Connection.get_connection_from_secrets(conn_id)
        else:
            from airflow.sdk import BaseHook

            conn = BaseHook.get_connection(conn_id)
        extra = conn.extra_dejson if hasattr(conn, "extra_dejson") else json.loads(conn.extra or "{}")
        return cls(conn_id=conn_id, conn_type=conn.conn_type or "", host=conn.host or "",
                   login=conn.login or "", password=conn.password or "", port=conn.port,
                   schema=conn.schema or "", extra=extra)

    def base_url(self, default: str | None = None) -> str:
        """The host as a URL (https unless it says otherwise); without a host, ``default``."""
        if not self.host and default is not None:
            return default
        host = self.host.rstrip("/")
        if "://" not in host:
            host = f"https://{host}"
        if self.port and host.count(":") < 2:
            host = f"{host}:{self.port}"
        return host


class Connector(ABC):
    """Extracts raw status events overlapping an interval.

    ``extract`` yields frames in the canonical raw shape (``frames.RAW_EVENT_COLUMNS``), in UTC,
    keyed on the vendor's user identifier. It may return events that only touch the interval;
    the pipeline clips and de-duplicates. It must never silently drop data: a cap, a
    truncation or an unknown shape raises ``VendorError``.
    """

    spec: ClassVar[VendorSpec]
    # how two statuses of the same agent that overlap are resolved (pipeline/normalise.py):
    # declared with the vendor (VendorSpec.overlap_rule), read here for convenience
    overlap_rule: ClassVar[str] = "later_start_wins"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "spec" in cls.__dict__:
            cls.overlap_rule = cls.spec.overlap_rule

    def __init__(self, connection: ConnectionInfo, integration: Integration):
        self.connection = connection
        self.integration = with_connection_zone(integration, connection)
        self.options = self.spec.resolve_options(integration.options)

    @abstractmethod
    def extract(self, start: dt.datetime, end: dt.datetime) -> Iterator[pd.DataFrame]:
        """Raw events overlapping ``[start, end)`` (UTC), in chunks."""

    def sample(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        """A small real read for ``agent-status check``: the first chunk ``extract`` yields over
        ``[start, end)``, through the same shape checks; later chunks are never read. A vendor
        with a cheaper request (one page, a few rows) may override it."""
        from agent_status.frames import empty_raw_events

        chunks = iter(self.extract(start, end))
        try:
            first = next(chunks, None)
        finally:
            getattr(chunks, "close", lambda: None)()  # a generator stops where it is
        return empty_raw_events() if first is None else first

    def close(self) -> None:
        """Release sessions and engines."""


def with_connection_zone(integration: Integration, connection: ConnectionInfo) -> Integration:
    """The database's time zone may be kept on its connection (extra ``timezone``, the "ACD
    database" connection type's field, as injixo asks for it: vendors.md 7.3, 9.4); the
    integration's own ``source_timezone`` wins."""
    import dataclasses
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    zone = (connection.extra or {}).get("timezone")
    if integration.source_timezone or not zone:
        return integration
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise VendorError(f"connection {connection.conn_id}: extra 'timezone' is not an IANA "
                          f"time zone ({zone!r})") from error
    return dataclasses.replace(integration, source_timezone=str(zone))


def build_connector(integration: Integration, connection: ConnectionInfo) -> Connector:
    from agent_status.connectors.registry import VENDORS

    return VENDORS[integration.vendor].connector_class()(connection, integration)
