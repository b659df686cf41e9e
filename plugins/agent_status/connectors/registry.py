"""What a vendor declaration is (``VendorSpec``, ``Option``), and the registry of them.

Each vendor declares itself once, in ``agent_status/vendors/<name>.py`` (``SPEC``), without
importing its (heavy) connector module: the DAG file reads the declarations at parse time and
the connector module is imported only inside tasks. ``VENDORS`` is every declaration found in
that package (discovery by convention: adding a vendor edits no shared file). Each option is
declared once (type, default, range, choices, description) and checked when the integrations
file loads, so a bad option fails the DAG file naming file, integration and field.
"""

from __future__ import annotations

import importlib
import re
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

IDENTIFIER_LABELS = {"user_name": "user name", "email": "e-mail", "agent_id": "agent ID"}
_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", list: "a list",
               bool: "true or false", dict: "a mapping"}


@dataclass(frozen=True)
class Option:
    """One vendor option: its type, default, bounds or choices, and what it means."""

    type: type | tuple[type, ...]
    default: Any = None
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    required: bool = False
    # a text that must match it whole (e.g. a column name written into a query), described
    pattern: tuple[str, str] | None = None
    items: type | None = None  # a list's element type; such a list must not be empty

    def check(self, key: str, value: Any) -> None:
        types = self.type if isinstance(self.type, tuple) else (self.type,)
        # YAML gives ints for whole numbers; a bool is never a number here
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        if not ok:
            wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
            raise ValueError(f"option {key!r} must be {wanted}, got {value!r}")
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"option {key!r} must be one of {list(self.choices)}, got {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"option {key!r} must be at least {self.minimum}, got {value!r}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"option {key!r} must be at most {self.maximum}, got {value!r}")
        if isinstance(value, str) and self.required and not value.strip():
            raise ValueError(f"option {key!r} must not be empty")
        if self.pattern is not None and not re.fullmatch(self.pattern[0], value):
            raise ValueError(f"option {key!r} must be {self.pattern[1]}, got {value!r}")
        if self.items is not None and (not value or not all(
                isinstance(item, self.items) and not (isinstance(item, bool)
                                                      and self.items is not bool)
                for item in value)):
            raise ValueError(f"option {key!r} must be a non-empty list, each item "
                             f"{_TYPE_NAMES.get(self.items, self.items.__name__)}, got "
                             f"{value!r}")


# a column name written into a vendor query's text (never a value: those are bound)
COLUMN_NAME = (r"[A-Za-z_][A-Za-z0-9_]{0,127}", "a plain column name")

# every SQL vendor's (connectors/sql.py reads its query in chunks of this many rows)
CHUNK_ROWS = Option(int, 200_000, "rows read per chunk", 1)


@dataclass(frozen=True)
class ConnectionField:
    """A field of a connection form kept in the connection's extra, under the name the
    connector reads."""

    label: str
    description: str
    default: str | None = None
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ConnectionForm:
    """The Airflow connection type whose form holds a vendor's credentials (provider.py makes
    the provider's connection types and hooks.py their hooks from these). Vendors that share
    one (the ACD database) declare the same form; ``{vendors}`` in ``hook_name`` becomes their
    labels. The token URL field is ``auth_url``: Airflow's UI masks any extra named "token"."""

    connection_type: str  # agent_status_<family>
    hook_name: str  # the form's name in Airflow's list of connection types
    fields: dict[str, ConnectionField] = field(default_factory=dict)
    hidden: tuple[str, ...] = ("port", "schema")  # standard fields the form does not show
    relabeling: dict[str, str] = field(default_factory=dict)  # standard field -> its label here
    placeholders: dict[str, str] = field(default_factory=dict)


# every SQL vendor's connection (vendors.md 7.3, 9.4 for the zone)
ACD_DATABASE = ConnectionForm(
    "agent_status_acd_database", "ACD database: {vendors} (agent status)",
    fields={
        "sqlalchemy_url": ConnectionField(
            "Database URL", "A SQLAlchemy URL without the password, e.g. "
            "mssql+pyodbc://wfm@ccm-host:1433/CCMData?driver=ODBC+Driver+18+for+SQL+Server "
            "or ibm_db_sa://wfm@cms-host:9089/cms (Avaya CMS on Informix, extra "
            "[informix]); the password field is used"),
        "timezone": ConnectionField(
            "Database time zone", "IANA zone the ACD stores local times in (vendors that "
            "store local time), e.g. Europe/Oslo; an integration's source_timezone wins over "
            "it (vendors.md 7.3, 9.4)"),
    },
    hidden=("host", "port", "schema"),
    relabeling={"login": "Database user (read-only)", "password": "Password"})


@dataclass(frozen=True)
class VendorDocs:
    """The vendor's rows of the README's vendor tables (``python -m agent_status.vendors
    README.md`` writes them): what its connection needs, what
    the vendor account must allow, what public sources confirm and what is assumed."""

    connection: str
    account: str
    confirmed: str
    unconfirmed: str
    identifier: str = ""  # the identifier column, when more than its kind needs saying


@dataclass(frozen=True)
class VendorSpec:
    name: str
    label: str
    identifier: str  # "user_name" | "email" | "agent_id" (vendors.md 0.1)
    access: str  # "rest" | "report_job" | "sql"
    module: str  # "agent_status.connectors.<module>:<Class>"
    default_lookback_nights: int = 1
    options: dict[str, Option] = field(default_factory=dict)
    reports_local_time: bool = False
    # a vendor whose options decide the zone of its local times (Five9: the data center, 1.4):
    # resolved options -> zone; an integration's source_timezone still overrides it
    options_timezone: Callable[[dict[str, Any]], str] | None = None
    # which records a query for [start, end) returns: those overlapping it ("overlap"), or
    # those ENDING in it ("end_time", Talkdesk 4.3): a record that ends late reaches every
    # earlier night it covers through pipeline/extract.py, which reads those nights again
    selects_by: str = "overlap"
    # how two statuses of the same agent that overlap are resolved (pipeline/normalise.py)
    overlap_rule: str = "later_start_wins"
    # the Airflow connection type whose form holds the vendor's credentials (ConnectionForm)
    connection: ConnectionForm | None = None
    docs: VendorDocs | None = None

    @property
    def connection_type(self) -> str:
        if self.connection is None:
            raise ValueError(f"vendor {self.name} declares no connection form")
        return self.connection.connection_type

    def check_options(self, options: dict[str, Any]) -> None:
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            raise ValueError(f"unknown option(s) {unknown} for vendor {self.name}; "
                             f"allowed: {sorted(self.options)}")
        for key, option in self.options.items():
            if options.get(key) is None:
                if option.required:
                    raise ValueError(f"option {key!r} is required for vendor {self.name}"
                                     + (f": {option.description}" if option.description else ""))
                continue
            option.check(key, options[key])

    def resolve_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The integration's options with every declared default filled in."""
        resolved = {key: option.default for key, option in self.options.items()}
        resolved.update({key: value for key, value in options.items() if value is not None})
        return resolved

    def timezone_from_options(self, options: dict[str, Any]) -> str | None:
        """The zone the vendor's options give its local times, if they decide it."""
        if self.options_timezone is None:
            return None
        return self.options_timezone(self.resolve_options(options))

    def connector_class(self):
        module_name, class_name = self.module.split(":")
        return getattr(importlib.import_module(module_name), class_name)


class _Registry(Mapping):
    """Every ``SPEC`` of the modules of ``agent_status.vendors``, read on first use (the vendor
    modules import this one)."""

    def __init__(self, package: str = "agent_status.vendors"):
        self.package = package
        self._specs: dict[str, VendorSpec] | None = None

    def _load(self) -> dict[str, VendorSpec]:
        if self._specs is None:
            specs = {}
            package = importlib.import_module(self.package)
            for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
                if module_info.name.startswith("_"):  # __main__: the README command
                    continue
                module = importlib.import_module(f"{self.package}.{module_info.name}")
                spec = getattr(module, "SPEC", None)
                if not isinstance(spec, VendorSpec):
                    raise TypeError(f"{module.__name__} declares no vendor: it must define "
                                    f"SPEC = VendorSpec(...)")
                if spec.name != module_info.name:
                    raise ValueError(f"{module.__name__}: SPEC.name is {spec.name!r}; a vendor "
                                     f"is declared in the module named for it")
                specs[spec.name] = spec
            self._specs = specs
        return self._specs

    def __getitem__(self, name: str) -> VendorSpec:
        return self._load()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


VENDORS: Mapping[str, VendorSpec] = _Registry()


def readme_tables() -> dict[str, str]:
    """The README's vendor tables, one row per declared vendor, by their marker name."""
    connection = ["| vendor (`vendor:`) | identifier | Airflow connection | vendor account |",
                  "|---|---|---|---|"]
    confirmed = ["| vendor | confirmed by public docs or code | not confirmed: option or your "
                 "input, check it first |", "|---|---|---|"]
    for spec in sorted(VENDORS.values(), key=lambda s: s.label.lower()):
        docs = spec.docs
        if docs is None:
            raise ValueError(f"vendor {spec.name} declares no docs for the README")
        identifier = docs.identifier or IDENTIFIER_LABELS[spec.identifier]
        connection.append(f"| {spec.label} (`{spec.name}`) | {identifier} | {docs.connection} "
                          f"| {docs.account} |")
        confirmed.append(f"| {spec.label} | {docs.confirmed} | {docs.unconfirmed} |")
    return {"vendor-connections": "\n".join(connection), "vendor-sources": "\n".join(confirmed)}


def with_readme_tables(readme: str) -> str:
    """``readme`` with the text between each pair of vendor-table markers replaced."""
    for marker, table in readme_tables().items():
        begin, end = f"<!-- {marker}: begin -->", f"<!-- {marker}: end -->"
        if begin not in readme or end not in readme:
            raise ValueError(f"the README lacks the markers {begin} ... {end}")
        before, rest = readme.split(begin, 1)
        readme = f"{before}{begin}\n{table}\n{end}{rest.split(end, 1)[1]}"
    return readme
