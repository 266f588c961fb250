"""Schedule expressions as EventBridge Scheduler reads them: `rate(...)`, `cron(...)` and `at(...)` in an IANA zone.

Fire times follow Scheduler's daylight-saving rules: a cron time that does not exist on the day clocks go forward
is skipped, and a time that happens twice when they go back fires once. Cron matching uses `cronsim` on wall-clock
times; AWS's six fields (with year, `?`, and Sunday = 1) are translated to its five.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
# The shapes above as one pattern, and Scheduler's length limits, for the API's models (and so its document).
EXPRESSION_PATTERN = "|".join(pattern.pattern for pattern in (_RATE, _CRON, _AT))
EXPRESSION_MAX_LENGTH = 256
ZONE_PATTERN = r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$"
ZONE_MAX_LENGTH = 50
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


class InvalidSchedule(ValueError):
    """A schedule expression or time zone that Scheduler would refuse; the message says which part."""


@dataclass(frozen=True)
class Schedule:
    expression: str
    timezone: str = "UTC"
    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        self.zone()
        self._kind()
        for bound in (self.start, self.end):
            if bound is not None and bound.tzinfo is None:
                raise InvalidSchedule("start and end dates need a UTC offset")
        if self.start and self.end and self.end <= self.start:
            raise InvalidSchedule("the end date must come after the start date")

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise InvalidSchedule(f"unknown IANA time zone {self.timezone!r}") from error

    def _kind(self) -> str:
        rate = _RATE.match(self.expression)
        if rate:
            if int(rate.group(1)) < 1:
                raise InvalidSchedule("a rate must be at least 1")
            return "rate"
        at = _AT.match(self.expression)
        if at:
            try:
                datetime.fromisoformat(at.group(1))
            except ValueError as error:
                raise InvalidSchedule(f"{at.group(1)} is not a date and time: {error}") from None
            return "at"
        cron = _CRON.match(self.expression)
        if cron:
            _to_five_fields(cron.group(1))
            return "cron"
        raise InvalidSchedule("a schedule is rate(N minutes|hours|days), cron(6 fields) or at(yyyy-mm-ddThh:mm:ss)")

    def fire_times(self, after: datetime) -> Iterator[datetime]:
        """Every fire time strictly after `after` (aware), in UTC, up to the end date."""
        kind = self._kind()
        times = {"rate": self._rate_times, "cron": self._cron_times, "at": self._at_times}[kind](after)
        for moment in times:
            if self.end is not None and moment > self.end:
                return
            yield moment

    def _rate_times(self, after: datetime) -> Iterator[datetime]:
        match = _RATE.match(self.expression)
        assert match is not None
        period = timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")])
        anchor = (self.start or after).astimezone(UTC)
        moment = anchor if after < anchor else anchor + period * ((after - anchor) // period + 1)
        while True:
            yield moment
            moment += period

    def _at_times(self, after: datetime) -> Iterator[datetime]:
        match = _AT.match(self.expression)
        assert match is not None
        moment = datetime.fromisoformat(match.group(1)).replace(tzinfo=self.zone()).astimezone(UTC)
        if moment > after and (self.start is None or moment >= self.start):
            yield moment

    def _cron_times(self, after: datetime) -> Iterator[datetime]:
        match = _CRON.match(self.expression)
        assert match is not None
        five_fields, years = _to_five_fields(match.group(1))
        zone = self.zone()
        begin = max(after, self.start - timedelta(microseconds=1)) if self.start else after
        wall_clock = begin.astimezone(zone).replace(tzinfo=None, fold=0)
        seen: set[datetime] = set()
        for local in CronSim(five_fields, wall_clock.replace(second=0, microsecond=0)):
            if years is not None and local.year not in years:
                if local.year > max(years):
                    return
                continue
            moment = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
            if moment.astimezone(zone).replace(tzinfo=None) != local:
                continue  # the clocks skipped this wall-clock time
            if moment <= after or moment in seen:
                continue
            seen.add(moment)
            yield moment


def checked_expression(expression: str) -> str:
    """The expression, if Scheduler would take it; else a ValueError saying why (for pydantic validators)."""
    try:
        Schedule(expression)
    except InvalidSchedule as error:
        raise ValueError(str(error)) from None
    return expression


def checked_zone(timezone: str) -> str:
    """The IANA time zone, if known; else a ValueError saying so (for pydantic validators)."""
    try:
        Schedule("rate(1 hour)", timezone=timezone)
    except InvalidSchedule as error:
        raise ValueError(str(error)) from None
    return timezone


def _to_five_fields(aws_cron: str) -> tuple[str, set[int] | None]:
    fields = aws_cron.split()
    if len(fields) != 6:
        raise InvalidSchedule("cron() takes 6 fields: minutes hours day-of-month month day-of-week year")
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise InvalidSchedule("cron() needs '?' in exactly one of day-of-month and day-of-week")
    cron_day_of_week = "*" if day_of_week == "?" else _shift_day_numbers(day_of_week)
    expression = " ".join([minutes, hours, "*" if day_of_month == "?" else day_of_month, month, cron_day_of_week])
    try:
        CronSim(expression, datetime(2000, 1, 1))
    except CronSimError as error:
        raise InvalidSchedule(f"cron({aws_cron}) is not valid: {error}") from error
    return expression, _years(year)


def _shift_day_numbers(day_of_week: str) -> str:
    """AWS numbers Sunday 1 … Saturday 7; cron numbers Sunday 0 … Saturday 6."""

    def shift(match: re.Match[str]) -> str:
        number = int(match.group(0))
        if not 1 <= number <= 7:
            raise InvalidSchedule(f"day-of-week {number} is outside 1-7 (SUN-SAT)")
        return _DAY_NAMES[number - 1]

    return re.sub(r"(?<![#/])\b\d+\b", shift, day_of_week)


def _years(field: str) -> set[int] | None:
    if field == "*":
        return None
    years: set[int] = set()
    for part in field.split(","):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise InvalidSchedule(f"year field {field!r} takes years, ranges and lists")
        years.update(range(int(low), int(high or low) + 1))
    return years
