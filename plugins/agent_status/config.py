"""Integrations are declared in one YAML file; each becomes one DAG.

A wrong file fails loudly with the file, the integration and the field: a typo must never make
DAGs silently disappear.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from agent_status import PROJECT_ROOT

DEFAULT_PATH = PROJECT_ROOT / "include" / "integrations.yaml"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
REQUIRED = ("name", "vendor", "conn_id", "timezone", "start_date")
OPTIONAL = ("schedule", "lookback_nights", "source_timezone", "options", "description", "pool",
            "quality", "alerts")
ALERT_KEYS = ("webhook", "email", "smtp_conn_id", "quarantine_share_above")


class ConfigError(ValueError):
    """The integrations file is wrong; the message names file, integration and field."""


@dataclass(frozen=True)
class Integration:
    name: str
    vendor: str
    conn_id: str
    timezone: str  # nights are calendar nights in this zone
    start_date: dt.date
    schedule: str = "0 0 * * *"  # cron of the night's cut-over, in ``timezone``
    lookback_nights: int = 1  # earlier nights each run re-imports
    source_timezone: str | None = None  # zone of local times the vendor reports, if any
    options: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    # integrations sharing a vendor account share a pool with N slots, so their extracts
    # share the account's rate budget (create it with `airflow pools set NAME N 'desc'`)
    pool: str | None = None
    # Great Expectations ``mostly`` per mapping expectation (quality.py); unset: the defaults
    quality: dict[str, float] = field(default_factory=dict)
    # notifiers on failure and on quarantine above a share (notifiers.py)
    alerts: dict[str, Any] = field(default_factory=dict)

    @property
    def dag_id(self) -> str:
        return f"agent_status__{self.name}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def source_zone(self) -> ZoneInfo:
        """The zone of local times the vendor reports: the integration's source_timezone, else
        the one the vendor's options decide (Five9's data center), else the nights' zone."""
        from agent_status.connectors.registry import VENDORS

        return ZoneInfo(self.source_timezone
                        or VENDORS[self.vendor].timezone_from_options(self.options)
                        or self.timezone)


def config_path() -> Path:
    return Path(os.environ.get("AGENT_STATUS_INTEGRATIONS", DEFAULT_PATH))


def load_integrations(path: Path | str | None = None) -> list[Integration]:
    from agent_status.connectors import VENDORS

    path = Path(path) if path is not None else config_path()
    try:
        # dates stay text, so a wrong one is reported with its integration and field
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDatesLoader)
    except FileNotFoundError as error:
        raise ConfigError(f"{path}: integrations file not found") from error
    except IsADirectoryError as error:
        raise ConfigError(f"{path}: is a directory, not an integrations file") from error
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") \
            from error
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("integrations"), list):
        raise ConfigError(f"{path}: expected a mapping with a list under 'integrations'")
    if not document["integrations"]:
        raise ConfigError(f"{path}: field 'integrations' is empty: no DAG would be created")
    integrations: list[Integration] = []
    seen: dict[str, int] = {}
    for position, entry in enumerate(document["integrations"], start=1):
        where = f"{path}: integration #{position}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(entry).__name__}")
        if isinstance(entry.get("name"), str):
            where = f"{path}: integration '{entry['name']}'"
        for key in REQUIRED:
            if entry.get(key) in (None, ""):
                raise ConfigError(f"{where}: field '{key}' is missing")
        unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {unknown}; allowed: "
                              f"{sorted(REQUIRED + OPTIONAL)}")
        name = entry["name"]
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise ConfigError(f"{where}: field 'name' must be lower-case letters, digits and "
                              f"underscores, starting with a letter (got {name!r})")
        if name in seen:
            raise ConfigError(f"{where}: field 'name' duplicates integration #{seen[name]}")
        seen[name] = position
        vendor = entry["vendor"]
        if vendor not in VENDORS:
            raise ConfigError(f"{where}: field 'vendor' is {vendor!r}, not one of "
                              f"{sorted(VENDORS)}")
        for key in ("timezone", "source_timezone"):
            if entry.get(key) is not None:
                _check_zone(entry[key], where, key)
        start = entry["start_date"]
        if isinstance(start, str):
            try:
                start = dt.date.fromisoformat(start)
            except ValueError as error:
                raise ConfigError(f"{where}: field 'start_date' is not a YYYY-MM-DD date "
                                  f"({start!r})") from error
        if isinstance(start, dt.datetime) or not isinstance(start, dt.date):
            raise ConfigError(f"{where}: field 'start_date' must be a date (YYYY-MM-DD)")
        connector = VENDORS[vendor]
        lookback = entry.get("lookback_nights", connector.default_lookback_nights)
        if not isinstance(lookback, int) or isinstance(lookback, bool) or not 0 <= lookback <= 31:
            raise ConfigError(f"{where}: field 'lookback_nights' must be an integer 0..31")
        schedule = entry.get("schedule", "0 0 * * *")
        _check_cron(schedule, where)
        options = entry.get("options") or {}
        if not isinstance(options, dict):
            raise ConfigError(f"{where}: field 'options' must be a mapping")
        try:
            connector.check_options(options)
        except ValueError as error:
            raise ConfigError(f"{where}: field 'options': {error}") from error
        pool = entry.get("pool")
        if pool is not None and (not isinstance(pool, str) or not pool.strip()):
            raise ConfigError(f"{where}: field 'pool' must be a non-empty string (an Airflow "
                              f"pool name), got {pool!r}")
        integrations.append(Integration(
            name=name, vendor=vendor, conn_id=str(entry["conn_id"]), timezone=entry["timezone"],
            start_date=start, schedule=schedule, lookback_nights=lookback,
            source_timezone=entry.get("source_timezone"), options=options,
            description=str(entry.get("description", "")), pool=pool,
            quality=_check_quality(entry.get("quality"), where),
            alerts=_check_alerts(entry.get("alerts"), where),
        ))
    return integrations


class _TextDatesLoader(yaml.SafeLoader):
    """YAML's safe loader, but ``2026-02-30`` stays a string instead of raising while parsing."""


_TextDatesLoader.add_constructor("tag:yaml.org,2002:timestamp",
                                 lambda loader, node: loader.construct_scalar(node))


def get_integration(name: str, path: Path | str | None = None) -> Integration:
    for integration in load_integrations(path):
        if integration.name == name:
            return integration
    raise ConfigError(f"{path or config_path()}: no integration named {name!r}")


def _check_zone(value: Any, where: str, key: str) -> None:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(f"{where}: field '{key}' is not an IANA time zone ({value!r})") from error


def _check_cron(value: Any, where: str) -> None:
    from croniter import croniter

    if not isinstance(value, str) or not croniter.is_valid(value):
        raise ConfigError(f"{where}: field 'schedule' is not a valid cron expression ({value!r})")
    fields = value.split()
    # one cut-over a day: '0,30 2 * * *' or '*/30 ...' would make runs that replace each other
    if (len(fields) != 5 or fields[2:] != ["*", "*", "*"]
            or not all(f.isdigit() for f in fields[:2])):
        raise ConfigError(f"{where}: field 'schedule' must be one daily cut-over like "
                          f"'0 0 * * *' (a single minute and hour, then * * *), got {value!r}")


def _check_quality(value: Any, where: str) -> dict[str, float]:
    from agent_status.quality import DEFAULT_MOSTLY

    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: field 'quality' must be a mapping of expectation to mostly "
                          f"(0..1), e.g. {{identifiers_mapped: 0.95}}")
    for key, mostly in value.items():
        if key not in DEFAULT_MOSTLY:
            raise ConfigError(f"{where}: field 'quality.{key}' is not an expectation; allowed: "
                              f"{sorted(DEFAULT_MOSTLY)}")
        if isinstance(mostly, bool) or not isinstance(mostly, (int, float)) or not 0 <= mostly <= 1:
            raise ConfigError(f"{where}: field 'quality.{key}' must be a share 0..1 (mostly), "
                              f"got {mostly!r}")
    return {key: float(mostly) for key, mostly in value.items()}


def _check_alerts(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: field 'alerts' must be a mapping (webhook, email, "
                          f"smtp_conn_id, quarantine_share_above)")
    unknown = sorted(set(value) - set(ALERT_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {['alerts.' + k for k in unknown]}; "
                          f"allowed: {list(ALERT_KEYS)}")
    webhook = value.get("webhook")
    if webhook is not None and not (isinstance(webhook, str)
                                    and re.match(r"^https?://[^\s/]+", webhook)):
        raise ConfigError(f"{where}: field 'alerts.webhook' must be an http(s) URL")
    email = value.get("email")
    if isinstance(email, str):
        email = [email]
    if email is not None and (not isinstance(email, list) or not email or not all(
            isinstance(e, str) and re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", e) for e in email)):
        raise ConfigError(f"{where}: field 'alerts.email' must be an e-mail address or a list "
                          f"of them, got {value.get('email')!r}")
    share = value.get("quarantine_share_above")
    if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float))
                              or not 0 <= share <= 1):
        raise ConfigError(f"{where}: field 'alerts.quarantine_share_above' must be a share "
                          f"0..1, got {share!r}")
    smtp = value.get("smtp_conn_id")
    if smtp is not None and not (isinstance(smtp, str) and smtp.strip()):
        raise ConfigError(f"{where}: field 'alerts.smtp_conn_id' must be a connection id")
    return {**value, **({"email": email} if email is not None else {})}
