"""Feed dates: whatever a pubDate says, as a moment in UTC (or no date)."""

import calendar
import re
import warnings
from datetime import UTC, datetime, timedelta

import feedparser
from dateutil import parser as dateutil_parser

from core.text import xml_safe

# Zone abbreviations seen in real pubDates, as minutes east of UTC. feedparser's RFC 822 parser
# reads any name it does not know (CET, BST, IST, JST, AEDT) as UTC, so a trailing abbreviation
# from this table is rewritten as a numeric offset before any parser sees the date. Ambiguous
# names get the reading podcast feeds mean most often: CST is US Central (not China), IST is
# India (not Ireland or Israel), BST is British Summer Time (not Bangladesh), AST is Atlantic
# (not Arabia). A name not in the table is left to the parsers, which read it as UTC.
_ZONES = {
    "WET": 0,
    "WEST": 60,
    "BST": 60,
    "CET": 60,
    "MET": 60,
    "CEST": 120,
    "MEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "IST": 330,
    "SGT": 480,
    "HKT": 480,
    "AWST": 480,
    "JST": 540,
    "KST": 540,
    "ACST": 570,
    "ACDT": 630,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
    "HST": -600,
    "AKST": -540,
    "AKDT": -480,
    "PST": -480,
    "PDT": -420,
    "MST": -420,
    "MDT": -360,
    "CST": -360,
    "CDT": -300,
    "EST": -300,
    "EDT": -240,
    "AST": -240,
    "ADT": -180,
    "NST": -210,
    "NDT": -150,
    "BRT": -180,
}
# The earliest moment a podcast episode can have: an older date is a misread (a year 1159 from
# a Unix time read as a date), stored as no date. Dates in the future are the store's to judge
# (episodes.feed_items: first seen instead).
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
MAX_DATE_CHARS = 200
_TRAILING_ZONE = re.compile(r"(?<=\d)\s?([A-Za-z]{1,4})$")
# A time of day without a date: "20:00 CET", "11:00:00 EST", "9:30 -0500".
_TIME_ONLY = re.compile(
    r"\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d+)?\s?(?:[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?"
)
# A Unix time: seconds since 1970, 9 or 10 digits (1973 to 2286; the bounds narrow it).
_EPOCH = re.compile(r"\d{9,10}")
# "09-11-2012 14:38:02", "6/30/2013 10:00:00 -0600", "Sa, 25.08.2012 18:00:00 +0100".
_NUMERIC_DATE = re.compile(r"(?:[A-Za-z]{2,9}\.?,?\s?)?(\d{1,2}([-./])\d{1,2}\2\d{4}(?:[\sT].*)?)")
# The pubDate most feeds write, "Sat, 01 Mar 2025 05:00:00 +0000" (or GMT): read here as
# feedparser's RFC 822 reader reads it (the first of its readers to take it), at a fifth of
# the cost. Anything else, or a value that is no moment ("31 Feb"), goes to the readers below.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_COMMON_DATE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4}) "
    r"(\d{2}):(\d{2}):(\d{2}) (?:GMT|([+-])(\d{2})(\d{2}))"
)


def parse_date(value: str | None) -> datetime | None:
    """The moment a feed's date string means, in UTC; None when it does not say one.

    - A bare 9- or 10-digit number is a Unix time ("1159704938": 2006-10-01 12:15:38).
    - A trailing zone abbreviation is applied (_ZONES): "20:00:00 CET" is 19:00 UTC.
    - Numeric dates: dashed or dotted ones are day first ("09-11-2012" is 9 November, as in
      European feeds), slashed ones month first ("6/30/2013", as in US feeds); where that
      reading is impossible ("12-31-2015", "31/12/2015") the other one is taken.
    - A month and year is the first of the month ("jan 2007"); a year alone is 1 January.
    - No date without a year ("20:00 CET", "EST"), nor before 1990 (a misread); digits alone
      are a year (4), YYYYMMDD (8) or a Unix time (9, 10), else no date: "201208" could be
      YYYYMM or YYMMDD (ISO 8601 forbids the first form for that reason).

    Everything else goes to feedparser's date parsers, then to dateutil's lenient one.
    """
    text = " ".join(xml_safe(value).split())
    if not text or len(text) > MAX_DATE_CHARS:
        return None
    if _EPOCH.fullmatch(text):
        moment = datetime.fromtimestamp(int(text), tz=UTC)
    elif (text.isdigit() and len(text) not in (4, 8)) or _TIME_ONLY.fullmatch(text):
        # feedparser's ISO 8601 reader takes "201208" for YYMMDD and dates a bare time today.
        return None
    else:
        text = _numeric_zone(text)
        if common := _common_date(text):
            moment = common
        elif numeric := _NUMERIC_DATE.fullmatch(text):
            moment = _dateutil_date(numeric.group(1), dayfirst=numeric.group(2) != "/")
        else:
            moment = _date(feedparser.datetimes._parse_date(text)) or _dateutil_date(text)
    return moment if moment is not None and moment >= EARLIEST_DATE else None


def _common_date(text: str) -> datetime | None:
    """The moment of a date in the commonest shape (`_COMMON_DATE`), in UTC; else None."""
    match = _COMMON_DATE.fullmatch(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, zone_hours, zone_minutes = match.groups()
    offset = timedelta(hours=int(zone_hours or 0), minutes=int(zone_minutes or 0))
    try:
        moment = datetime(
            int(year),
            _MONTHS.index(month) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=UTC,
        )
        return moment + offset if sign == "-" else moment - offset
    except (ValueError, OverflowError):
        return None


def _numeric_zone(text: str) -> str:
    """ "Mon, 31 Jan 2015 20:00:00 CET" → "Mon, 31 Jan 2015 20:00:00 +0100"."""
    match = _TRAILING_ZONE.search(text)
    if match is None or (offset := _ZONES.get(match.group(1).upper())) is None:
        return text
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    return f"{text[: match.start()]} {sign}{hours:02d}{minutes:02d}"


def _dateutil_date(text: str, dayfirst: bool = False) -> datetime | None:
    """dateutil's lenient reading in UTC (a naive time is UTC); None without a year."""
    try:
        with warnings.catch_warnings():
            # An unknown zone name leaves the time naive, which is then read as UTC.
            warnings.simplefilter("ignore", dateutil_parser.UnknownTimezoneWarning)
            # Year 1 marks a missing year: the bound refuses it. A missing month is January,
            # a missing day the 1st, a missing time midnight.
            parsed = dateutil_parser.parse(
                text, default=_NO_YEAR, dayfirst=dayfirst, tzinfos=_DATEUTIL_ZONES
            )
    except (ValueError, OverflowError):
        return None
    if parsed.year == _NO_YEAR.year:
        return None
    try:
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


_NO_YEAR = datetime(1, 1, 1)
# For a zone name that is not last ("10:00 am EST, Monday"): dateutil takes offsets in seconds.
_DATEUTIL_ZONES = {name: minutes * 60 for name, minutes in _ZONES.items()}


def _date(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None
