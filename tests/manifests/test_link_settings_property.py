"""Any valid settings mapping builds the one canonical spec: the order of keyed entries and
of an item's keys does not matter, and language and country codes come out in their case."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.apishapes import COUNTRY_CODES, LANGUAGE_CODES
from reconciler.manifests import load_manifests
from reconciler.model import DEVICES, KEYED_MODES, LIST_MODES, DatapointSpec, Destination, Destinations, Expiry

URLS = st.sampled_from([f"https://example.com/{path}" for path in ("a", "b", "c?x=1", "d#top", "")])
KEYS = {"by_language": sorted(LANGUAGE_CODES), "by_country": sorted(COUNTRY_CODES), "by_device": list(DEVICES),
        "first_click": ["first"]}


@st.composite
def any_case(draw: st.DrawFn, code: str) -> str:
    return "".join(draw(st.sampled_from([char.lower(), char.upper()])) for char in code)


@st.composite
def list_mode(draw: st.DrawFn) -> tuple[dict[str, Any], Destinations, str]:
    mode = draw(st.sampled_from(LIST_MODES))
    urls = draw(st.lists(URLS, min_size=2, max_size=4))
    weights = draw(st.lists(st.integers(1, 10_000), min_size=len(urls), max_size=len(urls))
                   if mode == "rotate" and draw(st.booleans()) else st.just([None] * len(urls)))
    written = [draw(st.sampled_from([url, {"url": url}])) if weight is None
               else dict(draw(st.permutations([("url", url), ("weight", weight)])))
               for url, weight in zip(urls, weights, strict=True)]
    entries = tuple(Destination(url, weight=weight) for url, weight in zip(urls, weights, strict=True))
    return {"mode": mode, "urls": written}, Destinations(mode, entries), urls[0]


@st.composite
def keyed_mode(draw: st.DrawFn) -> tuple[dict[str, Any], Destinations, str]:
    mode = draw(st.sampled_from(KEYED_MODES))
    keys = draw(st.lists(st.sampled_from(KEYS[mode]), min_size=1, max_size=4, unique=True))
    urls = draw(st.lists(URLS, min_size=len(keys) + 1, max_size=len(keys) + 1))
    written_keys = [draw(any_case(key)) if mode in ("by_language", "by_country") else key for key in keys]
    pairs = [*zip(written_keys, urls, strict=False), ("default", urls[-1])]
    written = dict(draw(st.permutations(pairs)))
    entries = tuple(sorted((Destination(url, key) for key, url in zip(keys, urls, strict=False)),
                           key=lambda entry: entry.key or ""))
    return {"mode": mode, "urls": written}, Destinations(mode, entries), urls[-1]


EXPIRES = st.one_of(
    st.just((False, Expiry())),
    st.builds(lambda clicks, then: ({"after_clicks": clicks, **then[0]}, Expiry(clicks, None, then[1])),
              st.integers(1, 10**12), st.sampled_from([({}, "pause"), ({"then": "pause"}, "pause"),
                                                       ({"then": "https://example.com/over"},
                                                        "https://example.com/over")])),
    st.builds(lambda on: ({"on": on}, Expiry(on=on)),
              st.dates().map(lambda day: day.isoformat()).filter(lambda text: len(text) == 10)))
CLOAKS = st.sampled_from([(False, False, None), (True, True, None), ({"title": "Sale"}, True, "Sale")])
FLAGS = st.dictionaries(st.sampled_from(["forward_query", "encode_url", "anonymise_ip", "light_tracking",
                                         "public", "redirect_only"]), st.booleans())


def item_text(item: dict[str, Any], plain_date: bool) -> str:
    """The item as YAML flow text; `plain_date` writes `on` unquoted (a YAML date)."""
    text = json.dumps(item)
    on = item.get("expires", {}).get("on") if isinstance(item.get("expires"), dict) else None
    return text.replace(json.dumps(on), on) if plain_date and on else text


def loaded(text: str) -> DatapointSpec:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "links.yaml"
        path.write_text(f"datapoints:\n  - {text}\n")
        [spec] = load_manifests([str(path)]).datapoints.values()
    return spec


@settings(max_examples=200, deadline=None)
@given(st.one_of(list_mode(), keyed_mode()), EXPIRES, CLOAKS, st.sampled_from(["keep", "clean", "myself"]), FLAGS,
       st.randoms(use_true_random=False), st.booleans())
def test_any_valid_settings_build_the_canonical_spec(
        destinations: tuple[dict[str, Any], Destinations, str], expires: tuple[Any, Expiry],
        cloak: tuple[Any, bool, str | None], referrer: str, flags: dict[str, bool], order: Any,
        plain_date: bool) -> None:
    written_destinations, expected_destinations, url = destinations
    pairs = [("name", "x"), ("destinations", written_destinations), ("expires", expires[0]),
             ("cloak", cloak[0]), ("referrer", referrer), *flags.items()]
    order.shuffle(pairs)
    spec = loaded(item_text(dict(pairs), plain_date))
    assert (spec.destinations, spec.url, spec.expires) == (expected_destinations, url, expires[1])
    assert (spec.cloak, spec.cloak_title, spec.referrer) == (cloak[1], cloak[2], referrer)
    assert {key: getattr(spec, key) for key in flags} == flags
