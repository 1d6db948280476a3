"""The settings of issue 12 through the codec: answers shaped like the recorded ones decode to the
model's values (numbers or names, any key case, absent = default, only the current mode's items),
and every value the model can hold encodes to a body that decodes back to it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.clickmeter import wire
from reconciler.clickmeter.decoding import WireError
from reconciler.clickmeter.link_settings import iso_date
from reconciler.model import LINK, PIXEL, Destination, Destinations, Expiry, LiveDatapoint, Secret


class NoNames:
    def name_of(self, kind: str, reference: Any, wire_name: str | None = None) -> str | None:
        return wire_name or f"{kind}-{reference}"

    def names_of(self, kind: str, references: list[Any] | None) -> frozenset[str]:
        return frozenset(str(ref) for ref in references or ())

    def secret(self, value: Any) -> Secret | None:
        return Secret(value) if value else None


def recorded(type_tl: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """A datapoint GET as gem:datapointtest_test_find answered it, with `type_tl` keys added."""
    return {"id": 2027490, "name": "sale", "title": "some", "trackingCode": "http://s87.eu/sale", "tags": [],
            "groupId": 191837, "groupName": "t", "creationDate": "20150312152921",
            "typeTL": {"url": "http://example.com", "firstUrl": "", "redirectType": 301, "domainId": 1921,
                       **(type_tl or {})}, **top}


def decoded(answer: dict[str, Any]) -> LiveDatapoint:
    return LiveDatapoint(id=wire.entity_id(answer), **wire.datapoint_fields(answer, NoNames()))


def test_an_answer_without_settings_has_every_default() -> None:
    live = decoded(recorded())
    assert live == LiveDatapoint(id=2027490, name="sale", type=LINK, url="http://example.com", title="some",
                                 domain="domain-1921", redirect="permanent", group="t", created=None)


@pytest.mark.parametrize(("type_tl", "expected"), [
    ({"destinationMode": 1, "randomDestinationItems": [{"url": "https://a"}, {"url": "https://b"}]},
     Destinations("rotate", (Destination("https://a"), Destination("https://b")))),
    ({"DestinationMode": "WeightedDestination", "WeightedDestinationItems": [{"URL": "https://a", "Weight": 70},
                                                                           {"url": "https://b", "weight": "30"}]},
     Destinations("rotate", (Destination("https://a", weight=70), Destination("https://b", weight=30)))),
    ({"destinationMode": 8, "sequentialDestinationItems": [{"url": "https://1"}, {"url": "https://2"}]},
     Destinations("sequence", (Destination("https://1"), Destination("https://2")))),
    ({"destinationMode": "3", "spilloverDestinationItems": [{"url": "https://1"}, {"url": "https://2"}]},
     Destinations("spillover", (Destination("https://1"), Destination("https://2")))),
    ({"destinationMode": 2, "urlsByLanguage": [{"languageCode": "FR", "url": "https://f"},
                                               {"languageCode": "de", "url": "https://d"}]},
     Destinations("by_language", (Destination("https://d", "de"), Destination("https://f", "fr")))),
    ({"destinationMode": "destinationbynation", "urlsByNation": [{"nation": "it", "url": "https://i"}]},
     Destinations("by_country", (Destination("https://i", "IT"),))),
    ({"destinationMode": 5, "browserDestinationItem": {"spidersDestinationUrl": "https://s",
                                                       "mobileDestinationUrl": "https://m",
                                                       "emailDestinationUrl": None}},
     Destinations("by_device", (Destination("https://m", "mobile"), Destination("https://s", "spider")))),
    ({"destinationMode": 7, "uniqueDestinationItem": {"firstDestinationUrl": "https://w"}},
     Destinations("first_click", (Destination("https://w", "first"),))),
    ({"destinationMode": 4}, Destinations("dynamic_url")),
    ({"destinationMode": 0, "randomDestinationItems": [{"url": "https://left-over"}]}, Destinations()),
    ({"destinationMode": 6, "urlsByNation": [{"nation": "IT", "url": "https://i"}],
      "randomDestinationItems": [{"url": "https://left-over"}]},
     Destinations("by_country", (Destination("https://i", "IT"),))),
])
def test_destinations_decode_from_the_current_mode_only(type_tl: dict[str, Any], expected: Destinations) -> None:
    assert decoded(recorded(type_tl)).destinations == expected


@pytest.mark.parametrize(("type_tl", "expected"), [
    ({"expirationClicks": 1000, "pauseAfterClicksExpiration": True}, Expiry(1000)),
    ({"expirationDate": "20270630000000", "urlAfterDateExpiration": "https://over"},
     Expiry(on="2027-06-30", then="https://over")),
    ({"ExpirationClicks": "5", "expirationDate": "20270630120000", "pauseAfterDateExpiration": True,
      "pauseAfterClicksExpiration": True}, Expiry(5, "2027-06-30T12:00:00")),
    ({"expirationClicks": 0, "expirationDate": "", "urlAfterClicksExpiration": "https://left"}, Expiry()),
    ({"expirationClicks": None, "expirationDate": None}, Expiry()),
])
def test_expiry_decodes_clicks_date_and_what_follows(type_tl: dict[str, Any], expected: Expiry) -> None:
    assert decoded(recorded(type_tl)).expires == expected


def test_flags_referrer_and_note_decode_as_numbers_or_names_in_any_case() -> None:
    live = decoded(recorded({"AppendQuery": True, "encodeurl": 1, "hideUrl": True, "hideUrlTitle": "Sale",
                             "referrerClean": "Myself"}, EncodeIp=True, lightTracking=True, isPublic=1,
                            redirectOnly=True))
    assert (live.forward_query, live.encode_url, live.cloak, live.cloak_title, live.referrer) == (
        True, True, True, "Sale", "myself")
    assert (live.anonymise_ip, live.light_tracking, live.public, live.redirect_only) == (True, True, True, True)
    assert decoded(recorded({"referrerClean": 1})).referrer == "clean"
    pixel = decoded({"id": 7, "name": "open", "type": 1, "typeTP": {"ParameterNote": "campaign in ?c="}})
    assert (pixel.type, pixel.parameter_note) == (PIXEL, "campaign in ?c=")


@pytest.mark.parametrize("type_tl", [{"destinationMode": 42}, {"referrerClean": "Sometimes"},
                                     {"expirationDate": "next tuesday"}])
def test_unknown_values_are_one_clear_error(type_tl: dict[str, Any]) -> None:
    with pytest.raises(WireError, match=r"the API answered an (unreadable|unknown)"):
        decoded(recorded(type_tl))


def test_iso_dates() -> None:
    assert iso_date("20270630000000") == "2027-06-30"
    assert iso_date("2027-06-30T08:30:00") == "2027-06-30T08:30:00"
    assert iso_date("") is None


urls = st.integers(0, 99).map("https://example.com/{}".format)
list_modes = st.builds(lambda mode, items, weighted: Destinations(mode, tuple(
    Destination(url, weight=weight if weighted and mode == "rotate" else None) for url, weight in items)),
    st.sampled_from(["rotate", "sequence", "spillover"]),
    st.lists(st.tuples(urls, st.integers(1, 100)), min_size=2, max_size=4), st.booleans())
keyed_modes = st.one_of(
    st.dictionaries(st.sampled_from(["de", "fr", "it", "pt"]), urls, min_size=1).map(lambda d: ("by_language", d)),
    st.dictionaries(st.sampled_from(["DE", "FR", "IT", "US"]), urls, min_size=1).map(lambda d: ("by_country", d)),
    st.dictionaries(st.sampled_from(["mobile", "email", "spider"]), urls, min_size=1).map(lambda d: ("by_device", d)),
    urls.map(lambda url: ("first_click", {"first": url}))).map(
    lambda pair: Destinations(pair[0], tuple(Destination(url, key) for key, url in sorted(pair[1].items()))))
dates = st.dates().map(lambda day: day.isoformat()) | st.datetimes().filter(
    lambda moment: moment.time() != moment.min.time()).map(lambda moment: moment.replace(microsecond=0).isoformat())
expiries = st.just(Expiry()) | st.builds(Expiry, st.none() | st.integers(1, 10**6), st.none() | dates,
                                         st.just("pause") | urls).filter(lambda e: e.after_clicks or e.on)
settings = st.fixed_dictionaries({}, optional={
    "destinations": st.just(Destinations()) | list_modes | keyed_modes, "expires": expiries,
    "forward_query": st.booleans(), "encode_url": st.booleans(), "cloak": st.booleans(),
    "cloak_title": st.text(min_size=1, max_size=8), "referrer": st.sampled_from(["keep", "clean", "myself"]),
    "anonymise_ip": st.booleans(), "light_tracking": st.booleans(), "public": st.booleans(),
    "redirect_only": st.booleans()})


@given(settings)
def test_every_link_setting_encodes_to_what_decodes_back(values: dict[str, Any]) -> None:
    body = wire.datapoint_update_body(5, LINK, values)
    assert {k: v for k, v in wire.datapoint_fields(body, NoNames(), answer=False).items() if k != "type"} == values
    live = wire.whole_update(recorded({"destinationMode": 1, "randomDestinationItems": [{"url": "https://old"}],
                                       "expirationClicks": 3, "urlAfterClicksExpiration": "https://old"}), body)
    for field, value in values.items():
        assert getattr(decoded(live), field) == value


@given(st.text(min_size=1, max_size=20), st.booleans())
def test_a_pixel_note_and_flags_encode_outside_typetl(note: str, public: bool) -> None:
    body = wire.datapoint_body(PIXEL, {"parameter_note": note, "public": public, "forward_query": True})
    assert "typeTL" not in body
    assert wire.datapoint_fields(body, NoNames(), answer=False) == {"type": PIXEL, "parameter_note": note,
                                                                   "public": public}
