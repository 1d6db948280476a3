"""The settings of issue 12 applied on every plausible live service: created, read back whole
(with one GET per datapoint declaring one where lists are not expanded, no more), changed in
place with a plan that says which entry changes, and verified; no secret in any output."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.clickmeter.client import ClickMeterClient
from reconciler.live.reader import read_live_state
from reconciler.manifests import load_manifests, resolve_secrets
from reconciler.model import Destination, Destinations, Expiry
from reconciler.plan.run import read_and_plan
from reconciler.server.variant import ServiceVariant
from tests.helpers import run_local
from tests.planner.helpers import edit_datapoint, in_account

PASSWORD = "cloak-and-dagger-9"
LINKS = """\
datapoints:
  - name: spring-ab
    destinations:
      mode: rotate
      urls:
        - {url: https://example.com/a, weight: 70}
        - {url: https://example.com/b, weight: 30}
    password: {env: AB_PASSWORD}
  - name: by-country
    destinations:
      mode: by_country
      urls: {it: https://example.com/it, FR: https://example.com/fr, default: https://example.com/}
    expires: {after_clicks: 1000, on: 2031-06-30, then: https://example.com/over}
    cloak: {title: Spring sale}
    referrer: clean
    forward_query: true
  - name: plain
    url: https://example.com/plain
  - name: open-pixel
    type: pixel
    parameter_note: campaign id in ?c=
    public: true
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AB_PASSWORD", PASSWORD)
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "links.yaml").write_text(LINKS)
    return tmp_path / "manifests"


def test_settings_are_created_read_back_and_plan_clean(repo: Path, db_path: Path, api_key: str,
                                                       service_variant: ServiceVariant) -> None:
    applied = run_local(db_path, "apply", str(repo), "--auto-approve")
    assert applied.exit_code == 0 and "converged" in applied.output, applied.output

    async def plan_and_read(client: ClickMeterClient) -> tuple[int, dict[str, object]]:
        desired = load_manifests([str(repo)])
        resolve_secrets(desired)
        plan = await read_and_plan(client, desired)
        assert not plan.has_changes, plan.changes
        gets = client.calls["get_datapoint"]
        return gets, {dp.name: dp for dp in (await read_live_state(client)).datapoints.values()}

    gets, live = in_account(db_path, api_key, plan_and_read)
    # without _expand, the three declaring a setting (the bare `url` declares none) are fetched, no more
    assert gets == (0 if service_variant.expand else 3)
    by_country = live["by-country"]
    assert by_country.destinations == Destinations("by_country", (Destination("https://example.com/fr", "FR"),
                                                                  Destination("https://example.com/it", "IT")))
    assert (by_country.url, by_country.expires, by_country.cloak, by_country.cloak_title, by_country.referrer,
            by_country.forward_query) == ("https://example.com/", Expiry(1000, "2031-06-30", "https://example.com/over"),
                                          True, "Spring sale", "clean", True)
    assert live["spring-ab"].destinations.entries[0] == Destination("https://example.com/a", weight=70)
    assert (live["open-pixel"].parameter_note, live["open-pixel"].public) == ("campaign id in ?c=", True)


def test_a_changed_destination_is_shown_by_entry_protected_applied_and_verified(
        repo: Path, db_path: Path, api_key: str, tmp_path: Path) -> None:
    assert run_local(db_path, "apply", str(repo), "--auto-approve").exit_code == 0
    (repo / "links.yaml").write_text(LINKS.replace("weight: 30", "weight: 20").replace(
        "FR: https://example.com/fr, ", "").replace("referrer: clean", "referrer: myself"))
    planned = run_local(db_path, "plan", str(repo))
    assert planned.exit_code == 0, planned.output
    for line in ("      destinations:\n        rotate[1].weight: 30 -> 20\n",
                 "      destinations:\n        by_country.FR: removed https://example.com/fr\n",
                 '      referrer: "clean" -> "myself"\n', "! 0 clicks in the last 30 days, re-pointed"):
        assert line in planned.output
    log = tmp_path / "apply.log"
    applied = run_local(db_path, "apply", str(repo), "--auto-approve", "--log", str(log))
    assert applied.exit_code == 0 and "converged" in applied.output, applied.output
    assert PASSWORD not in applied.output + log.read_text() + planned.output
    assert run_local(db_path, "plan", str(repo), "--detailed-exitcode").exit_code == 0


def test_settings_changed_outside_the_manifests_are_put_back(repo: Path, db_path: Path, api_key: str) -> None:
    assert run_local(db_path, "apply", str(repo), "--auto-approve").exit_code == 0

    async def drift(client: ClickMeterClient) -> None:
        ids = {dp.name: dp.id for dp in (await read_live_state(client)).datapoints.values()}
        await edit_datapoint(client, ids["by-country"], {"typeTL": {
            "destinationMode": 1, "randomDestinationItems": [{"url": "https://x"}, {"url": "https://y"}],
            "expirationClicks": None, "expirationDate": None, "hideUrl": False, "referrerClean": 0}})
        await edit_datapoint(client, ids["open-pixel"], {"isPublic": False, "typeTP": {"parameterNote": None}})

    in_account(db_path, api_key, drift)
    planned = run_local(db_path, "plan", str(repo), "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "        mode: rotate -> by_country\n        by_country.FR: added https://example.com/fr\n" in planned.output
    assert "      expires: false -> " in planned.output and "      public: false -> true\n" in planned.output
    assert run_local(db_path, "apply", str(repo), "--auto-approve").exit_code == 0
    assert run_local(db_path, "plan", str(repo), "--detailed-exitcode").exit_code == 0
