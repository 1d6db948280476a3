"""Reading statistics for declared datapoints with the fewest calls.

The public service allows about 10 requests a second, so calls are the cost:
- figures for the whole declared set: the summary pages (`MAX_LIMIT` a page),
  one pass per datapoint type the manifests use;
- a time series: those summary pages, whose figures tell which datapoints had
  traffic in the window; then, per type, the cheaper of one `aggregated/list`
  per declared datapoint with traffic, or the account-wide `aggregated/list`
  minus one per *undeclared* datapoint with traffic (a single call when the
  declared set holds every busy datapoint of that type);
- one datapoint (hits, reports): a summary page narrowed by `textSearch`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from reconciler.apishapes import MAX_LIMIT
from reconciler.clickmeter import wire
from reconciler.errors import did_you_mean
from reconciler.live.reader import TYPE_FILTER
from reconciler.model import DatapointSpec, DesiredState
from reconciler.stats.options import Timeframe
from reconciler.stats.results import (
    DatapointStats,
    HitRow,
    LiveFigures,
    Period,
    ReportItem,
    Series,
    StatsError,
    kinds_declared,
    match_declared,
    merge_series,
    read_hit,
    read_report_item,
    read_summary_row,
)

if TYPE_CHECKING:
    from reconciler.clickmeter.client import ClickMeterClient


async def read_live_figures(client: ClickMeterClient, kind: str, timeframe: Timeframe,
                            **filters: str) -> list[LiveFigures]:
    """Every live datapoint of one kind with its figures: the summary, paged (its rows
    include deleted datapoints, which are left out)."""
    return [read_summary_row(result) async for result in client.iter_summary_datapoints(
        timeframe.name, type=TYPE_FILTER[kind], **timeframe.days(), **filters)
        if not wire.is_deleted(wire.keyed(result).get("entitydata"))]


async def read_declared_stats(client: ClickMeterClient, specs: list[DatapointSpec],
                              timeframe: Timeframe) -> tuple[list[DatapointStats], date | None]:
    """Figures for each declared datapoint (the ones not live have `id=None`), and the
    last day of the window as the service counted it (None when nothing is live)."""
    live: list[LiveFigures] = []
    for kind in kinds_declared(specs):
        live.extend(await read_live_figures(client, kind, timeframe))
    through = max((row.through for row in live if row.through), default=None)
    return match_declared(specs, live), through


async def read_series(client: ClickMeterClient, specs: list[DatapointSpec], timeframe: Timeframe,
                      grouping: str) -> tuple[list[Period], int]:
    """The declared set's figures period by period, and how many declared datapoints are live."""
    live = {kind: await read_live_figures(client, kind, timeframe) for kind in kinds_declared(specs)}
    return await read_series_of_live(client, specs, live, timeframe, grouping)


async def read_series_of_live(client: ClickMeterClient, specs: list[DatapointSpec],
                              live_by_kind: Mapping[str, list[LiveFigures]], timeframe: Timeframe,
                              grouping: str) -> tuple[list[Period], int]:
    """`read_series` from summary rows already read for `timeframe` (one pass serves several series)."""
    group_by = {} if grouping == "day" else {"groupBy": grouping}
    series: list[Series] = []
    live_declared = 0
    for kind in kinds_declared(specs):
        live = live_by_kind.get(kind, [])
        matched = match_declared([spec for spec in specs if spec.type == kind], live)
        declared_ids = {row.id for row in matched if row.id is not None}
        live_declared += len(declared_ids)
        if declared_ids:
            series += await _kind_series(client, kind, live, declared_ids, timeframe, group_by)
    return merge_series(series, grouping), live_declared


async def _kind_series(client: ClickMeterClient, kind: str, live: list[LiveFigures], declared_ids: set[int],
                       timeframe: Timeframe, group_by: dict[str, str]) -> list[Series]:
    """One kind's series by the cheaper way the summary's figures allow.

    Either each declared datapoint with traffic (at least one, for the
    periods), or the account-wide list minus each undeclared one with traffic.
    Datapoints without traffic in the window add nothing either way.
    """
    busy = [row.id for row in live if row.figures.active]
    own = [row_id for row_id in busy if row_id in declared_ids] or [min(declared_ids)]
    others = [row_id for row_id in busy if row_id not in declared_ids]

    async def one(datapoint_id: int) -> list[Mapping[str, Any]]:
        answer = await client.datapoint_statistics_list(datapoint_id, timeframe.name,
                                                        **timeframe.days(), **group_by)
        return answer.get("entities") or []

    if 1 + len(others) >= len(own):
        return [Series(kind, entries) for entries in await client.map_concurrently(one, own)]
    everything = await client.datapoints_statistics_list(timeframe.name, TYPE_FILTER[kind],
                                                         **timeframe.days(), **group_by)
    taken_away = await client.map_concurrently(one, others)
    return [Series(kind, everything.get("entities") or []),
            *(Series(kind, entries, sign=-1) for entries in taken_away)]


def declared_spec(desired: DesiredState, name: str, option: str) -> DatapointSpec:
    """The datapoint `--hits`/`--report` names; it has to be declared (pinned twins as `name#id`)."""
    spec = desired.datapoints.get(name)
    if spec is not None:
        return spec
    keys = sorted(key for key, twin in desired.datapoints.items() if twin.name == name)
    if keys:
        raise StatsError(f"{option} {name!r}: {len(keys)} declared datapoints have that name; "
                         f"name one by its key: {', '.join(keys)}")
    raise StatsError(f"{option} {name!r}: no datapoint of that name is declared in the manifests"
                     f"{did_you_mean(name, (spec.name for spec in desired.datapoints.values()))}")


async def find_live_id(client: ClickMeterClient, spec: DatapointSpec, option: str) -> int:
    """The live id of one declared datapoint, from as few summary rows as the API allows."""
    narrowed = {} if spec.id is not None or spec.renamed_from else {"textSearch": spec.name}
    live = await read_live_figures(client, spec.type, Timeframe("beginning"), **narrowed)
    (row,) = match_declared([spec], live)
    if row.id is None:
        raise StatsError(f"{option} {spec.name!r}: declared but not live")
    return row.id


async def read_hits(client: ClickMeterClient, datapoint_id: int, timeframe: Timeframe,
                    filter_name: str | None, limit: int, page_size: int = MAX_LIMIT) -> list[HitRow]:
    """Up to `limit` latest events, following `lastKey` page after page."""
    hits: list[HitRow] = []
    last_key: str | None = None
    while len(hits) < limit:
        page = await client.datapoint_hits(
            datapoint_id, timeframe.name, **timeframe.days(), filter=filter_name,
            limit=min(page_size, limit - len(hits)), offset=last_key)
        batch = page.get("hits") or []
        hits.extend(read_hit(hit) for hit in batch)
        last_key = page.get("lastKey")
        if not batch or not last_key:
            break
    return hits[:limit]


async def read_report(client: ClickMeterClient, spec: DatapointSpec, datapoint_id: int,
                      report_type: str, timeframe: Timeframe) -> list[ReportItem]:
    """A top report (`Api.Core.Dto.Tops.Top`): its items, most clicked first."""
    answer = await client.datapoint_report(datapoint_id, report_type, timeframe.name, **timeframe.days())
    if not isinstance(answer, dict):
        raise StatsError(f"GET /datapoints/{datapoint_id}/reports answered no report object")
    shaped = [read_report_item(item, spec.type) for item in answer.get("data") or []]
    return sorted(shaped, key=lambda item: (-item.figures.clicks, item.key))
