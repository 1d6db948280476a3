"""The server pages by key while nothing changes, and the pages are still the OFFSET pages
(the same rows), also when the account changes between two pages."""

from __future__ import annotations

import pytest

from reconciler.clickmeter.client import ClickMeterClient

pytestmark = pytest.mark.anyio


async def seeded(client: ClickMeterClient, count: int) -> list[int]:
    ids = []
    for start in range(0, count, 25):
        results = await client.create_datapoints_batch(
            [{"type": 0, "name": f"page-{n}", "typeTL": {"url": f"https://shop.example.com/{n}"}}
             for n in range(start, min(count, start + 25))])
        ids += [result.id for result in results]
    return ids


async def test_pages_in_a_row_are_the_list_in_id_order(client: ClickMeterClient) -> None:
    ids = await seeded(client, 250)
    pages = [await client.list_datapoints(offset=offset, limit=100) for offset in (0, 100, 200)]
    assert [entry["id"] for page in pages for entry in page] == sorted(ids)
    again = await client.list_datapoints(offset=100, limit=100)  # asked twice: the same page
    assert again == pages[1]


async def test_a_change_between_pages_shifts_them_as_offsets_do(client: ClickMeterClient) -> None:
    ids = sorted(await seeded(client, 250))
    first = await client.list_datapoints(offset=0, limit=100, status="active")
    await client.delete_datapoint(ids[10])
    second = await client.list_datapoints(offset=100, limit=100, status="active")
    assert [entry["id"] for entry in first] == ids[:100]
    assert [entry["id"] for entry in second] == [i for i in ids if i != ids[10]][100:200]
