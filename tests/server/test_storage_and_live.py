"""The database file: accounts, a restart keeping everything, and the API over loopback HTTP."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from reconciler.apishapes import AUTH_HEADER
from reconciler.server.app import create_app
from reconciler.server.db import default_account_key, register_account
from tests.server.openapi_check import checked, checked_batch, failing_properties


def test_default_account_key_creates_one_then_keeps_the_oldest(tmp_path: Path) -> None:
    db_path = tmp_path / "nested" / "local.db"

    created = default_account_key(db_path)
    register_account(db_path, "a-later-key")

    assert default_account_key(db_path) == created
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 2


def test_register_account_is_idempotent(db_path: Path, api_key: str) -> None:
    register_account(db_path, api_key)

    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 1
        assert db.execute("SELECT COUNT(*) FROM domains").fetchone()[0] == 1


@pytest.mark.anyio
async def test_a_restart_keeps_all_data(db_path: Path, api_key: str) -> None:
    headers = {AUTH_HEADER: api_key}
    first_app = create_app(db_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=first_app),
                                 base_url="http://local", headers=headers) as client:
        group_id = (await client.post("/groups", json={"name": "g"})).json()["id"]
        conversion_id = (await client.post("/conversions", json={"name": "c"})).json()["id"]
        await client.post("/retargeting", json={"name": "r"})
        created = (await client.put("/datapoints/batch", json={"List": [
            {"type": 0, "name": f"l{n}", "groupId": group_id, "tags": ["t"],
             "firstConversionId": conversion_id,
             "typeTL": {"url": "https://a.example", "scripts": [{"name": "r"}]}}
            for n in range(3)]})).json()["results"]
        await client.delete(f"/datapoints/{created[2]['result']['id']}")
        before = [(await client.get(f"/datapoints/{item['result']['id']}")).json() for item in created]
    first_app.state.store.close()

    second_app = create_app(db_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=second_app),
                                 base_url="http://local", headers=headers) as client:
        after = [(await client.get(f"/datapoints/{item['result']['id']}")).json() for item in created]
        assert (await client.get("/datapoints/count", params={"status": "active"})).json() == {"count": 2}
        assert (await client.get(f"/groups/{group_id}")).json()["name"] == "g"
    assert [(d["name"], d.get("status")) for d in before] == [("l0", None), ("l1", None), ("l2", 3)]
    assert [([t["name"] for t in d["tags"]], d["firstConversionId"], [s["name"] for s in d["typeTL"]["scripts"]])
            for d in before] == [(["t"], conversion_id, ["r"])] * 3
    assert after == before


@pytest.mark.anyio
async def test_two_apps_share_one_file(db_path: Path, api_key: str) -> None:
    headers = {AUTH_HEADER: api_key}
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(db_path)),
                                 base_url="http://local", headers=headers) for _ in range(2)]
    for n in range(6):
        response = await clients[n % 2].post("/datapoints", json={
            "type": 1, "name": f"p{n}"})
        assert response.status_code == 200, response.text
    clash = await clients[1].post("/datapoints", json={"type": 1, "name": "p0"})

    assert failing_properties(clash, 403) == {"Name"}
    for client in clients:
        assert (await client.get("/datapoints/count")).json() == {"count": 6}
        await client.aclose()


@pytest.mark.anyio
async def test_counts_follow_writes_made_through_either_app(db_path: Path, api_key: str) -> None:
    """Counts are remembered between requests: a write here or in another app must show at once."""
    headers = {AUTH_HEADER: api_key}
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(db_path)),
                                 base_url="http://local", headers=headers) for _ in range(2)]

    async def counts() -> list[tuple[int, int]]:
        answers = []
        for client in clients:
            summary = await client.get("/aggregated/summary/datapoints", params={
                "timeFrame": "today", "type": "tp", "status": "active", "limit": 1})
            live = await client.get("/datapoints/count", params={"status": "active"})
            answers.append((live.json()["count"], summary.json()["count"]))
        return answers

    seen = [await counts()]
    for writer in (0, 1, 1):
        created = await clients[writer].post("/datapoints", json={"type": 1, "name": f"p{len(seen)}"})
        seen.append(await counts())
    deleted = await clients[0].delete(f"/datapoints/{created.json()['id']}")
    seen.append(await counts())

    assert deleted.status_code == 200
    assert seen == [[(n, n), (n, n)] for n in (0, 1, 2, 3, 2)]
    for client in clients:
        await client.aclose()


@pytest.mark.anyio
async def test_an_internal_failure_still_answers_a_failure_list(db_path: Path, api_key: str) -> None:
    app = create_app(db_path)
    app.state.store.connection.close()  # every query now raises sqlite3.ProgrammingError
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://local",
                                 headers={AUTH_HEADER: api_key}) as client:
        response = await client.get("/datapoints")

    assert failing_properties(response, 500) == {None}


def test_over_loopback_http(live_server: str, api_key: str) -> None:
    with httpx.Client(base_url=live_server, headers={AUTH_HEADER: api_key}) as client:
        results = checked_batch(client.put("/datapoints/batch", json={"List": [
            {"type": 0, "name": "live", "typeTL": {"url": "https://a.example", "redirectType": 301}},
            {"type": 0, "name": "live", "typeTL": {"url": "https://a.example"}}]}))
        datapoint_id = results[0]["result"]["id"]

        assert [r["status"] for r in results] == ["Ok", "Error"]
        assert checked(client.get(f"/datapoints/{datapoint_id}/"), "GET", "/datapoints/{id}") \
            == results[0]["entityData"]
        assert checked(client.get("/datapoints/", params={"limit": 1}), "GET", "/datapoints") \
            == {"entities": [{"id": datapoint_id, "uri": f"/datapoints/{datapoint_id}"}]}
        assert failing_properties(client.get("/datapoints", params={"limit": 101})) == {"limit"}
        assert failing_properties(client.get("/datapoints", headers={AUTH_HEADER: "x"}), 401) \
            == {AUTH_HEADER}
