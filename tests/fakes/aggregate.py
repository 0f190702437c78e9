"""Evaluate GitBook insights aggregation queries over events, for the fake GitBook server.

Supports what a docs bot asks of `aggregateSiteEvents` (docs/gitbook.md §10): preset and
`{from, to}` ranges; `where` with `in`/`notIn` on dimensions; `groupBy` and `select` on
`datetime` (hour, day, week, month), `displayContext`, `eventType`, `eventSearchQuery`,
`urlPath`; the metrics `eventsCount`, `sessionsCount`, `visitorsCount`; `order`; `limit`.
Anything else raises `UnsupportedQuery`, so a test fails loudly instead of reading made-up data.

Assumption (docs/gitbook.md §13 lists what is unconfirmed): the question of an
`ask_question` event is the `eventSearchQuery` column, as the query of a search is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

JSON = dict[str, Any]

PRESET_DAYS = {
    "last24Hours": 1,
    "last7Days": 7,
    "last30Days": 30,
    "last3Months": 90,
    "lastYear": 365,
}
METRICS = ("eventsCount", "sessionsCount", "visitorsCount")


class UnsupportedQuery(Exception):
    """The query uses something this evaluator does not implement."""


def event_time(event: Mapping[str, Any], default: dt.datetime) -> dt.datetime:
    """When an event happened (its `timestamp`, else when it was received)."""
    stamp = event.get("timestamp")
    if not isinstance(stamp, str):
        return default
    return dt.datetime.fromisoformat(stamp.upper().replace("Z", "+00:00"))


def _query_text(event: Mapping[str, Any]) -> str:
    return str(event.get("query") or "")


def _url_path(event: Mapping[str, Any]) -> str:
    url = str(event.get("location", {}).get("url") or "")
    return "/" + url.split("://", 1)[-1].partition("/")[2]


_DIMENSIONS: dict[str, Callable[[Mapping[str, Any]], object]] = {
    "displayContext": lambda e: e.get("location", {}).get("displayContext", "site"),
    "eventType": lambda e: e["type"],
    "eventSearchQuery": _query_text,
    "urlPath": _url_path,
}


def _timestamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _bucket(when: dt.datetime, interval: str) -> str:
    when = when.astimezone(dt.UTC)
    if interval == "hour":
        return _timestamp(when.replace(minute=0, second=0, microsecond=0))
    day = dt.datetime.combine(when.date(), dt.time(), dt.UTC)
    if interval == "week":
        day -= dt.timedelta(days=day.weekday())
    elif interval == "month":
        day = day.replace(day=1)
    elif interval != "day":
        raise UnsupportedQuery(f"datetime interval {interval!r}")
    return _timestamp(day)


def _dimension(event: Mapping[str, Any], column: Mapping[str, Any], now: dt.datetime) -> object:
    name = column["column"]
    if name == "datetime":
        return _bucket(event_time(event, now), str(column.get("interval", "day")))
    if name not in _DIMENSIONS:
        raise UnsupportedQuery(f"column {name!r}")
    return _DIMENSIONS[name](event)


def _metric(name: str, events: list[Mapping[str, Any]]) -> int:
    if name == "eventsCount":
        return len(events)
    field = "sessionId" if name == "sessionsCount" else "visitorId"
    return len({e.get("session", {}).get(field) for e in events})


def _range(value: object, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    if isinstance(value, str):
        return now - dt.timedelta(days=PRESET_DAYS[value]), now + dt.timedelta(seconds=1)
    assert isinstance(value, Mapping)
    start, end = (event_time({"timestamp": value[k]}, now) for k in ("from", "to"))
    return start, end


def _keeps(event: Mapping[str, Any], where: Mapping[str, Any], now: dt.datetime) -> bool:
    operator = where.get("operator", "in")
    if operator not in ("in", "notIn"):
        raise UnsupportedQuery(f"operator {operator!r}")
    inside = _dimension(event, where, now) in where["values"]
    return inside if operator == "in" else not inside


def aggregate(
    events: Iterable[Mapping[str, Any]], query: Mapping[str, Any], now: dt.datetime
) -> JSON:
    """Answer one SiteInsightsQueryEventsAggregation, column-oriented."""
    _check_supported(query)
    start, end = _range(query["range"], now)
    where = query.get("where", [])
    chosen = [
        e
        for e in events
        if start <= event_time(e, now) < end and all(_keeps(e, w, now) for w in where)
    ]
    group_by: list[Mapping[str, Any]] = query.get("groupBy", [])
    groups: dict[tuple[object, ...], list[Mapping[str, Any]]] = {} if group_by else {(): []}
    for event in chosen:
        groups.setdefault(tuple(_dimension(event, c, now) for c in group_by), []).append(event)
    select: list[Mapping[str, Any]] = query.get("select") or [*group_by, {"column": "eventsCount"}]
    rows = [_row(key, members, group_by, select) for key, members in groups.items()]
    rows = _ordered(rows, query.get("order"), select)[: query.get("limit", 1000)]
    return {
        "columns": [
            {"column": c["column"], "values": [row[i] for row in rows]}
            for i, c in enumerate(select)
        ]
    }


def _check_supported(query: Mapping[str, Any]) -> None:
    """Refuse what this evaluator does not implement, whether or not any event would reach it."""
    order = query.get("order")
    columns = [
        *query.get("select", []),
        *query.get("groupBy", []),
        *query.get("where", []),
        *([order["by"]] if order else []),
    ]
    for column in columns:
        name = column["column"]
        if name == "datetime":
            _bucket(dt.datetime.now(dt.UTC), str(column.get("interval", "day")))
        elif name not in METRICS and name not in _DIMENSIONS:
            raise UnsupportedQuery(f"column {name!r}")
    for where in query.get("where", []):
        if where.get("operator", "in") not in ("in", "notIn"):
            raise UnsupportedQuery(f"operator {where['operator']!r}")


def _row(
    key: tuple[object, ...],
    members: list[Mapping[str, Any]],
    group_by: list[Mapping[str, Any]],
    select: list[Mapping[str, Any]],
) -> list[object]:
    row: list[object] = []
    for column in select:
        if column["column"] in METRICS:
            row.append(_metric(column["column"], members))
        elif column in group_by:
            row.append(key[group_by.index(column)])
        else:
            raise UnsupportedQuery(f"selecting {column['column']!r} without grouping by it")
    return row


def _ordered(
    rows: list[list[object]], order: Mapping[str, Any] | None, select: list[Mapping[str, Any]]
) -> list[list[object]]:
    if not order:
        return rows
    names = [c["column"] for c in select]
    if order["by"]["column"] not in names:
        raise UnsupportedQuery("ordering by a column that is not selected")
    index = names.index(order["by"]["column"])
    return sorted(rows, key=lambda r: (r[index], str(r)), reverse=order["direction"] == "desc")
