"""Sandboxes: local imitations of each vendor's contract, fed by the simulator.

Each renders the simulator's truth the way the vendor would (paging, duplicates, local time,
429s...) so connectors are tested against the contract, and ``expected`` says what a correct
import must produce from it. Found by convention: every ``Sandbox`` subclass of a module of this
package that names its ``vendor`` (``SANDBOXES``: vendor -> class).
"""

import functools
import importlib
import pkgutil


@functools.cache
def _discover() -> dict[str, type]:
    from agent_status_dev.sandboxes.base import Sandbox

    found: dict[str, type] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, Sandbox)
                    and value.__module__ == module.__name__ and "vendor" in value.__dict__
                    and not value.__name__.startswith("_")):
                if found.setdefault(value.vendor, value) is not value:
                    raise TypeError(f"two sandboxes for vendor {value.vendor}: "
                                    f"{found[value.vendor].__qualname__} and {value.__qualname__}")
    return found


def __getattr__(name: str):
    if name == "SANDBOXES":
        return _discover()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def sandbox_class(vendor: str):
    try:
        return _discover()[vendor]
    except KeyError:
        raise KeyError(f"no sandbox for vendor {vendor!r}: a Sandbox subclass with "
                       f"vendor = {vendor!r} in a module of agent_status_dev.sandboxes") from None
