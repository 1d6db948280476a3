"""Every setting of issue 12 through the whole product on the real local server: a manifest
declaring it is applied, read back, exported as the very same entry, and the export plans clean.

Entries are drawn in export's own form (settings at their default left out, keys in the
manifests' order, a keyed mode's `default` last), so that "identical" is plain equality.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.helpers import run_local

urls = st.integers(0, 999).map("https://shop.example.com/{}".format)
dates = st.dates(date(2031, 1, 1), date(2099, 12, 31)).map(lambda day: day.isoformat())
date_times = st.datetimes(datetime(2031, 1, 1), datetime(2099, 12, 31)).filter(
    lambda moment: moment.time() != moment.min.time()).map(lambda moment: moment.replace(microsecond=0).isoformat())
KEYS = {"by_language": ["de", "fr", "it", "pt"], "by_country": ["DE", "FR", "IT", "US"],
        "by_device": ["email", "mobile", "spider"], "first_click": ["first"]}


@st.composite
def destinations(draw: st.DrawFn) -> dict[str, Any]:
    mode = draw(st.sampled_from(["rotate", "sequence", "spillover", *KEYS]))
    if mode in KEYS:
        keys = sorted(draw(st.sets(st.sampled_from(KEYS[mode]), min_size=1)))
        return {"mode": mode, "urls": {key: draw(urls) for key in [*keys, "default"]}}
    entries = draw(st.lists(urls, min_size=2, max_size=4))
    if mode == "rotate" and draw(st.booleans()):
        return {"mode": mode, "urls": [{"url": url, "weight": draw(st.integers(1, 100))} for url in entries]}
    return {"mode": mode, "urls": entries}


@st.composite
def expiries(draw: st.DrawFn) -> dict[str, Any]:
    expiry = draw(st.fixed_dictionaries({}, optional={"after_clicks": st.integers(1, 10**9),
                                                       "on": dates | date_times}).filter(bool))
    return expiry | draw(st.fixed_dictionaries({}, optional={"then": urls}))


FLAGS = {"anonymise_ip": st.just(True), "light_tracking": st.just(True), "public": st.just(True),
         "redirect_only": st.just(True)}
LINK_SETTINGS = {"expires": expiries(), "forward_query": st.just(True), "encode_url": st.just(True),
                 "cloak": st.just(True) | st.fixed_dictionaries({"title": st.sampled_from(["Sale", "Spring – été"])}),
                 "referrer": st.sampled_from(["clean", "myself"]), **FLAGS}
ORDER = ["name", "type", "url", "destinations", *LINK_SETTINGS, "parameter_note"]


@st.composite
def entries(draw: st.DrawFn, name: str) -> dict[str, Any]:
    if draw(st.integers(0, 3)) == 0:
        entry: dict[str, Any] = {"name": name, "type": "pixel"} | draw(st.fixed_dictionaries({}, optional={
            **FLAGS, "parameter_note": st.sampled_from(["campaign id in ?c=", "note"])}))
    else:
        where = draw(st.just({"url": draw(urls)}) | destinations().map(lambda found: {"destinations": found}))
        entry = {"name": name} | where | draw(st.fixed_dictionaries({}, optional=LINK_SETTINGS))
    return {key: entry[key] for key in ORDER if key in entry}


manifests = st.integers(1, 4).flatmap(lambda count: st.tuples(*(entries(f"link-{n}") for n in range(count))))
A_BIT_OF_EVERYTHING = (
    {"name": "link-0", "destinations": {"mode": "by_country", "urls": {"FR": "https://f", "IT": "https://i",
                                                                       "default": "https://d"}},
     "expires": {"after_clicks": 1000, "on": "2031-06-30", "then": "https://over"}, "forward_query": True,
     "encode_url": True, "cloak": {"title": "Sale"}, "referrer": "myself", "anonymise_ip": True,
     "light_tracking": True, "public": True, "redirect_only": True},
    {"name": "link-1", "destinations": {"mode": "rotate", "urls": [{"url": "https://a", "weight": 70},
                                                                   {"url": "https://b", "weight": 30}]},
     "expires": {"on": "2031-06-30T12:30:00"}, "cloak": True},
    {"name": "link-2", "type": "pixel", "public": True, "parameter_note": "campaign id in ?c="},
)


def round_trip(declared: tuple[dict[str, Any], ...], root: Path) -> None:
    (root / "in").mkdir()
    (root / "in" / "links.yaml").write_text(yaml.safe_dump({"datapoints": list(declared)}, sort_keys=False))
    db_path = root / "local.db"
    applied = run_local(db_path, "apply", str(root / "in"), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert run_local(db_path, "export", "--out", str(root / "out")).exit_code == 0
    exported = yaml.safe_load((root / "out" / "ungrouped.yaml").read_text("utf-8"))["datapoints"]
    assert exported == list(declared)
    planned = run_local(db_path, "plan", str(root / "out"), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(declared=manifests)
@example(declared=A_BIT_OF_EVERYTHING)
def test_any_declared_setting_round_trips_and_its_export_plans_clean(declared: tuple[dict[str, Any], ...]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        round_trip(declared, Path(scratch))


@pytest.mark.slow
@pytest.mark.default_service_only
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(declared=manifests)
def test_many_declared_settings_round_trip(declared: tuple[dict[str, Any], ...]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        round_trip(declared, Path(scratch))
