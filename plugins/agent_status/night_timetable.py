"""Nights as Airflow data intervals, and run ids that name the night.

A ``CronDataIntervalTimetable`` on the night's cut-over in the integration's zone gives each run
the real interval ``[night start, night end)``. This subclass only names scheduled runs after
their night in that zone (``scheduled__night_2026-11-25``) instead of a UTC timestamp, so the run
list reads like the nights ops think in. It is registered by the plugin (airflow_plugin.py), as
Airflow requires for a timetable that is not built in.
"""

from __future__ import annotations

from airflow.timetables.interval import CronDataIntervalTimetable


class NightTimetable(CronDataIntervalTimetable):
    """The integration's nights; a run id names its night (the local date it covers)."""

    @property
    def summary(self) -> str:
        return f"nightly at {self._expression} {self._timezone.name}"

    def generate_run_id(self, *, run_type, run_after, data_interval, **extra) -> str:
        if data_interval is None:
            return super().generate_run_id(run_type=run_type, run_after=run_after,
                                           data_interval=data_interval, **extra)
        night = data_interval.start.in_timezone(self._timezone).date()
        return run_type.generate_run_id(suffix=f"night_{night.isoformat()}")
