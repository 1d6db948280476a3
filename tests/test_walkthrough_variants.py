"""The README's first walkthrough over HTTP against `serve` as every plausible live service
(`ServiceVariant`: `_expand` honoured or not, updates replacing or merging, text enums
accepted or not, counts with or without deleted entities), on an account seeded in the
recorded shapes: numeric enums, omitted defaults, a deleted group, conversion and link,
a password link, a paused link and a pixel."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.server.app import create_app
from reconciler.server.variant import ServiceVariant
from tests.helpers import SERVICE_VARIANTS, serving_app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(params=SERVICE_VARIANTS)
def served(request: pytest.FixtureRequest, db_path: Path) -> Iterator[str]:
    with serving_app(create_app(db_path, variant=ServiceVariant.parse(request.param))) as url:
        yield url


async def seed_recorded_shapes(url: str, api_key: str) -> None:
    """What someone did by hand before adopting the tool, sent as the recorded clients send it."""
    async with ClickMeterClient(url, api_key) as client:
        domain = (await client.create_domain({"name": "s87.example", "type": "system"}))["id"]
        group = (await client.create_group({"name": "adopted", "preferred": False, "tags": [{"name": "tag10"}]}))["id"]
        gone_group = (await client.create_group({"name": "gone", "preferred": False}))["id"]
        conversion = (await client.create_conversion({"name": "someName", "description": "someDesc"}))["id"]
        await client.delete_conversion((await client.create_conversion({"name": "gone"}))["id"])
        link = {"type": 0, "groupId": group, "typeTL": {"domainId": domain, "redirectType": 301,
                                                        "url": "http://example.com"}}
        made = [(await client.create_datapoint({**link, "name": name, "title": name}))["id"]
                for name in ("kept", "locked", "paused", "deleted")]
        await client.update_datapoint(made[1], {**link, "id": made[1], "name": "locked", "title": "locked",
                                                "typeTL": {**link["typeTL"], "password": "read-in-clear"}})
        await client.update_datapoint(made[2], {**link, "id": made[2], "name": "paused", "title": "paused",
                                                "status": 1})
        await client.patch_conversion_datapoint(conversion, "add", made[0])
        await client.delete_datapoint(made[3])
        await client.create_datapoint({"type": 1, "name": "opens", "groupId": group})
        await client.create_datapoint({**link, "groupId": gone_group, "name": "in-gone", "title": "x"})
        await client.delete_group(gone_group)


PASSWORDS = {"locked": "read-in-clear"}


def password_env(out: Path) -> dict[str, str]:
    """The variables exported manifests read, set to the passwords the links have."""
    return {entry["password"]["env"]: PASSWORDS.get(entry["name"], "spring-secret")
            for path in out.rglob("*.yaml") for entry in yaml.safe_load(path.read_text()).get("datapoints", [])
            if "password" in entry}


def run(url: str, api_key: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--target", url, "--rate", "1000", *args],
                              env={"CLICKMETER_API_KEY": api_key, "SPRING_LINK_PASSWORD": "spring-secret",
                                   **(env or {})}, catch_exceptions=False)


def test_the_walkthrough_and_an_adopted_account_under_every_service(served: str, api_key: str,
                                                                    tmp_path: Path) -> None:
    asyncio.run(seed_recorded_shapes(served, api_key))
    adopted = tmp_path / "adopted"
    exported = run(served, api_key, "export", "--out", str(adopted))
    assert exported.exit_code == 0, exported.output
    written = "".join(path.read_text() for path in adopted.rglob("*.yaml"))
    assert "read-in-clear" not in exported.output + written
    names = {entry["name"] for path in adopted.rglob("*.yaml")
             for kind in ("datapoints", "groups", "conversions")
             for entry in yaml.safe_load(path.read_text()).get(kind, [])}
    assert names == {"adopted", "someName", "kept", "locked", "paused", "opens"}  # the deleted are not live
    env = password_env(adopted)
    assert run(served, api_key, "plan", str(adopted), "--detailed-exitcode", env=env).exit_code == 0

    assert run(served, api_key, "validate", str(EXAMPLES)).exit_code == 0
    planned = run(served, api_key, "plan", str(EXAMPLES), "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    applied = run(served, api_key, "apply", str(EXAMPLES), "--auto-approve")
    assert applied.exit_code == 0 and applied.output.splitlines()[-1] == "converged", applied.output
    again = run(served, api_key, "plan", str(EXAMPLES), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    everything = tmp_path / "everything"
    assert run(served, api_key, "export", "--out", str(everything)).exit_code == 0
    round_trip = run(served, api_key, "plan", str(everything), "--detailed-exitcode", env=password_env(everything))
    assert round_trip.exit_code == 0, round_trip.output

    (edited,) = [path for path in everything.rglob("*.yaml") if "title: kept" in path.read_text()]
    retitled = edited.read_text().replace("title: kept\n  domain: s87.example\n  redirect: permanent\n",
                                          "title: kept, retitled\n  domain: s87.example\n")
    assert "retitled" in retitled  # and its redirect no longer declared: not read in detail to plan
    edited.write_text(retitled)
    saved = tmp_path / "retitle.json"
    env = password_env(everything)
    assert run(served, api_key, "plan", str(everything), "--out", str(saved), env=env).exit_code == 0
    applied = run(served, api_key, "apply", "--plan", str(saved), env=env)  # fingerprints as apply reads them
    assert applied.exit_code == 0 and applied.output.splitlines()[-1] == "converged", applied.output
    assert run(served, api_key, "plan", str(everything), "--detailed-exitcode", env=env).exit_code == 0
