"""Recent clicks of live links: what guards a delete or a re-point of a link people use."""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta

from reconciler import apishapes as api
from reconciler.clickmeter.client import ClickMeterClient


async def read_recent_clicks(client: ClickMeterClient, datapoint_ids: Collection[int], days: int,
                             today: date | None = None) -> dict[int, int]:
    """Clicks of each of `datapoint_ids` over the last `days` days (today included).

    Pages of the links' summary over a custom time frame, stopping once every
    id asked for is seen. When fewer ids remain than pages, each remaining id
    costs one `GET /datapoints/{id}/aggregated` instead. Ids not found count 0.
    """
    wanted = set(datapoint_ids)
    if not wanted:
        return {}
    today = today or datetime.now(UTC).date()
    window = {"fromDay": (today - timedelta(days=max(days, 1) - 1)).strftime(api.DAY_FORMAT),
              "toDay": today.strftime(api.DAY_FORMAT)}
    clicks = dict.fromkeys(wanted, 0)
    offset = 0
    while wanted:
        page = await client.summary_datapoints_page("custom", offset, api.MAX_LIMIT, type="tl", **window)
        results = page.get("result") or []
        for result in results:
            entity_id = int(result["entityId"])
            if entity_id in wanted:
                clicks[entity_id] = int(result.get("totalClicks") or 0)
                wanted.discard(entity_id)
        offset += len(results)
        pages_left = math.ceil(max(0, int(page.get("count") or 0) - offset) / api.MAX_LIMIT)
        if len(results) < api.MAX_LIMIT or not pages_left:
            break
        if len(wanted) < pages_left:
            return clicks | await _clicks_one_by_one(client, wanted, window)
    return clicks


async def _clicks_one_by_one(client: ClickMeterClient, datapoint_ids: Collection[int],
                             window: dict[str, str]) -> dict[int, int]:
    async def clicks_of(datapoint_id: int) -> int:
        statistics = await client.datapoint_statistics(datapoint_id, "custom", **window)
        return int(statistics.get("totalClicks") or 0)

    ids = sorted(datapoint_ids)
    return dict(zip(ids, await client.map_concurrently(clicks_of, ids), strict=True))
