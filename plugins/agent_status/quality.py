"""How a night went, in one word ops can filter on: passed, warning or failed.

Great Expectations checks each night (pipeline/validate.py). Structure (a status ending before
it starts, a time outside the night) must hold for every row: a break fails the night before
anything loads. Mapping coverage is a matter of degree, set per integration with the
expectation's ``mostly`` (the integrations file's ``quality``): a night whose share of mapped
identifiers or activities falls below it is *failed* (its data still loads, the unmapped part
waits in quarantine, and the run turns red so ops see it); above it but not complete, the night
is a *warning*, shown on the run and in the status view.
"""

from __future__ import annotations

from dataclasses import dataclass

# expectation -> default ``mostly``: a few unmapped agents are a warning, not a failure
DEFAULT_MOSTLY = {
    "identifiers_mapped": 0.8,  # share of a night's events whose identifier maps to an employee
    "activities_mapped": 0.0,   # share whose vendor activity has a mapping (else Present)
}


@dataclass(frozen=True)
class NightQuality:
    night: str
    level: str  # "passed" | "warning" | "failed"
    reasons: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"night": self.night, "level": self.level, "reasons": list(self.reasons)}


def mostly(quality: dict | None) -> dict[str, float]:
    return {**DEFAULT_MOSTLY, **(quality or {})}


def assess(night: str, counts: dict, quality: dict | None) -> NightQuality:
    """The night's level from its counts (loaded, quarantined, defaulted to Present)."""
    thresholds = mostly(quality)
    loaded = int(counts.get("events_loaded") or 0)
    quarantined = int(counts.get("events_quarantined") or 0)
    defaulted = int(counts.get("events_defaulted") or 0)
    total = loaded + quarantined
    reasons, failed = [], False
    if total:
        mapped = loaded / total
        if quarantined:
            below = mapped < thresholds["identifiers_mapped"]
            failed |= below
            reasons.append(f"{quarantined} of {total} events quarantined (identifiers mapped "
                           f"{mapped:.1%}, {'below' if below else 'within'} mostly "
                           f"{thresholds['identifiers_mapped']:.0%})")
    if loaded and defaulted:
        mapped = 1 - defaulted / loaded
        below = mapped < thresholds["activities_mapped"]
        failed |= below
        reasons.append(f"{defaulted} of {loaded} events defaulted to Present (activities mapped "
                       f"{mapped:.1%}, {'below' if below else 'within'} mostly "
                       f"{thresholds['activities_mapped']:.0%})")
    level = "failed" if failed else ("warning" if reasons else "passed")
    return NightQuality(night, level, tuple(reasons))
