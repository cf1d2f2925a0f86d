"""The software delivery performance levels of the 2023 Accelerate State of DevOps report (pure).

The 2023 report (DORA, Google Cloud, "Accelerate State of DevOps Report 2023", table "Software
delivery performance levels") describes four clusters:

=========  ==================================  ======================  =====  ==================
level      deployment frequency                change lead time        CFR    recovery time
=========  ==================================  ======================  =====  ==================
elite      on demand (multiple deploys a day)  less than one day       5%     less than one hour
high       once a day to once a week           one day to one week     10%    less than one day
medium     once a week to once a month         one week to one month   15%    one day to one week
low        once a week to once a month         one week to one month   64%    one to six months
=========  ==================================  ======================  =====  ==================

The clusters are descriptions of survey answers, not cut-offs, so orgloop turns them into
thresholds one metric at a time (docs/insights-delivery.md explains each choice): a rate or a
duration falls in the best level whose range it reaches; a change failure rate falls in the best
level whose cluster value it does not exceed. Where medium and low share a range (frequency and lead
time), values beyond that range (less than monthly, longer than a month) are low.
"""

from __future__ import annotations

from typing import Literal

Band = Literal["elite", "high", "medium", "low"]
BANDS: tuple[Band, ...] = ("elite", "high", "medium", "low")

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY

# Deployments per day at or above which a level is reached.
FREQUENCY_FLOOR: dict[Band, float] = {"elite": 1.0, "high": 1 / 7, "medium": 1 / 30}
# Median lead time (seconds) below which (elite) or at most which a level is reached.
LEAD_TIME_CEILING: dict[Band, float] = {"elite": DAY, "high": WEEK, "medium": MONTH}
# Change failure rate (a share) at most which a level is reached.
FAILURE_RATE_CEILING: dict[Band, float] = {"elite": 0.05, "high": 0.10, "medium": 0.15}
# Median time to restore (seconds) below which (elite, high) or at most which a level is reached.
RESTORE_CEILING: dict[Band, float] = {"elite": HOUR, "high": DAY, "medium": WEEK}


def frequency_band(deploys_per_day: float) -> Band:
    for band, floor in FREQUENCY_FLOOR.items():
        if deploys_per_day >= floor:
            return band
    return "low"


def lead_time_band(seconds: float) -> Band:
    if seconds < LEAD_TIME_CEILING["elite"]:
        return "elite"
    return _at_most(seconds, LEAD_TIME_CEILING, ("high", "medium"))


def failure_rate_band(rate: float) -> Band:
    return _at_most(rate, FAILURE_RATE_CEILING, ("elite", "high", "medium"))


def restore_band(seconds: float) -> Band:
    if seconds < RESTORE_CEILING["elite"]:
        return "elite"
    if seconds < RESTORE_CEILING["high"]:
        return "high"
    return _at_most(seconds, RESTORE_CEILING, ("medium",))


def overall(bands: list[Band | None]) -> Band | None:
    """The weakest of the known metric levels: a team is as fast as its slowest key."""
    known = [b for b in bands if b is not None]
    return max(known, key=BANDS.index) if known else None


def _at_most(value: float, ceilings: dict[Band, float], order: tuple[Band, ...]) -> Band:
    for band in order:
        if value <= ceilings[band]:
            return band
    return "low"
