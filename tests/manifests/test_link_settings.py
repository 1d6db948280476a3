"""The datapoint settings of manifest v1.1: each key as the model holds it, defaults, notes, warnings."""

from __future__ import annotations

import datetime
import textwrap
from pathlib import Path

import pytest

from reconciler.manifests import expiry_warnings, load_manifests, weight_notes
from reconciler.model import DatapointSpec, Destination, Destinations, Expiry, Location

from .conftest import WriteManifest
from .test_cli import validate


def load_one(write_manifest: WriteManifest, item: str, defaults: str = "") -> DatapointSpec:
    """The datapoint `item` (YAML below `- `) declares, in a file of its own."""
    text = (f"defaults:\n{textwrap.indent(textwrap.dedent(defaults), '  ')}" if defaults else "")
    text += "datapoints:\n  - " + textwrap.indent(textwrap.dedent(item), "    ").lstrip()
    [spec] = load_manifests([str(write_manifest("links.yaml", text))]).datapoints.values()
    return spec


A, B, C = "https://example.com/a", "https://example.com/b", "https://example.com/c"
HOME = "https://example.com/"

MODES = [
    ("rotate", f"[{A}, {B}]", Destinations("rotate", (Destination(A), Destination(B))), A),
    ("rotate", f"[{{url: {A}, weight: 70}}, {{url: {B}, weight: 30}}]",
     Destinations("rotate", (Destination(A, weight=70), Destination(B, weight=30))), A),
    ("sequence", f"[{B}, {{url: {A}}}, {C}]",
     Destinations("sequence", (Destination(B), Destination(A), Destination(C))), B),
    ("spillover", f"[{A}, {B}]", Destinations("spillover", (Destination(A), Destination(B))), A),
    ("by_language", f"{{FR: {B}, de: {A}, default: {HOME}}}",
     Destinations("by_language", (Destination(A, "de"), Destination(B, "fr"))), HOME),
    ("by_country", f"{{it: {A}, FR: {B}, default: {HOME}}}",
     Destinations("by_country", (Destination(B, "FR"), Destination(A, "IT"))), HOME),
    ("by_device", f"{{spider: {C}, mobile: {A}, email: {B}, default: {HOME}}}",
     Destinations("by_device", (Destination(B, "email"), Destination(A, "mobile"), Destination(C, "spider"))), HOME),
    ("first_click", f"{{default: {HOME}, first: {A}}}", Destinations("first_click", (Destination(A, "first"),)), HOME),
]


@pytest.mark.parametrize(("mode", "urls", "expected", "url"), MODES)
def test_each_destination_mode_builds_its_canonical_destinations(
        write_manifest: WriteManifest, mode: str, urls: str, expected: Destinations, url: str) -> None:
    spec = load_one(write_manifest, f"name: x\ndestinations:\n  mode: {mode}\n  urls: {urls}\n")
    assert (spec.destinations, spec.url) == (expected, url)
    assert spec.locations["url"] == spec.locations["destinations"] == Location(spec.locations[""].file, 4, 7)


def test_url_alone_declares_the_simple_mode_and_nothing_leaves_both_undeclared(write_manifest: WriteManifest) -> None:
    spec = load_one(write_manifest, f"name: x\nurl: {A}\n")
    assert (spec.url, spec.destinations) == (A, Destinations())
    pixel = load_one(write_manifest, "name: x\ntype: pixel\n")
    assert (pixel.url, pixel.destinations) == (None, None)
    undeclared = (spec.expires, spec.forward_query, spec.encode_url, spec.cloak, spec.cloak_title, spec.referrer,
                  spec.anonymise_ip, spec.light_tracking, spec.public, spec.redirect_only, spec.parameter_note)
    assert undeclared == (None,) * 11


@pytest.mark.parametrize(("written", "expected"), [
    ("false", Expiry()),
    ("{after_clicks: 1000}", Expiry(after_clicks=1000)),
    ("{on: 2027-06-30}", Expiry(on="2027-06-30")),  # a YAML date: its ISO text
    ("{on: '2027-06-30'}", Expiry(on="2027-06-30")),
    ("{on: 2027-06-30T12:00:00, then: pause}", Expiry(on="2027-06-30T12:00:00")),
    ("{on: 2027-06-30 08:30:00}", Expiry(on="2027-06-30T08:30:00")),
    (f"{{after_clicks: 5, on: 2027-06-30, then: {B}}}", Expiry(5, "2027-06-30", B)),
])
def test_expires_builds_an_expiry(write_manifest: WriteManifest, written: str, expected: Expiry) -> None:
    spec = load_one(write_manifest, f"name: x\nurl: {A}\nexpires: {written}\n")
    assert spec.expires == expected
    assert spec.locations["expires"].line == 4


@pytest.mark.parametrize(("written", "cloak", "title"), [
    ("false", False, None), ("true", True, None), ("{title: Spring sale}", True, "Spring sale")])
def test_cloak_sets_cloak_and_its_title(write_manifest: WriteManifest, written: str, cloak: bool,
                                        title: str | None) -> None:
    spec = load_one(write_manifest, f"name: x\nurl: {A}\ncloak: {written}\n")
    assert (spec.cloak, spec.cloak_title) == (cloak, title)
    assert ("cloak_title" in spec.locations) == (title is not None)


def test_referrer_flags_and_parameter_note_are_taken_as_written(write_manifest: WriteManifest) -> None:
    link = load_one(write_manifest, f"""\
        name: x
        url: {A}
        forward_query: true
        encode_url: false
        referrer: myself
        anonymise_ip: true
        light_tracking: false
        public: true
        redirect_only: false
        """)
    assert (link.forward_query, link.encode_url, link.referrer, link.anonymise_ip, link.light_tracking,
            link.public, link.redirect_only) == (True, False, "myself", True, False, True, False)
    assert link.locations["redirect_only"].line == 10
    pixel = load_one(write_manifest, "name: p\ntype: pixel\nparameter_note: campaign id in ?c=\nanonymise_ip: true\n")
    assert (pixel.parameter_note, pixel.anonymise_ip) == ("campaign id in ?c=", True)


def test_on_and_off_are_text_as_keys_and_booleans_as_values(write_manifest: WriteManifest) -> None:
    spec = load_one(write_manifest, f"name: x\nurl: {A}\nexpires: {{on: 2027-06-30}}\nforward_query: on\n")
    assert (spec.expires, spec.forward_query) == (Expiry(on="2027-06-30"), True)


DEFAULTS = f"""\
    expires: {{on: 2027-06-30, then: {HOME}}}
    forward_query: true
    cloak: {{title: Campaign}}
    referrer: clean
    anonymise_ip: true
    redirect_only: false
    """


def test_defaults_carry_settings_own_values_win_and_link_settings_skip_pixels(write_manifest: WriteManifest) -> None:
    text = f"defaults:\n{textwrap.indent(textwrap.dedent(DEFAULTS), '  ')}datapoints:\n" + textwrap.indent(f"""\
        - name: inherits
          url: {A}
        - name: own
          url: {B}
          expires: false
          cloak: true
          forward_query: false
        - name: view
          type: pixel
        """, "  ")
    desired = load_manifests([str(write_manifest("links.yaml", textwrap.dedent(text)))])
    inherits, own, view = (desired.datapoints[name] for name in ("inherits", "own", "view"))
    assert (inherits.expires, inherits.forward_query, inherits.cloak, inherits.cloak_title, inherits.referrer,
            inherits.anonymise_ip) == (Expiry(on="2027-06-30", then=HOME), True, True, "Campaign", "clean", True)
    assert inherits.locations["cloak_title"] == Location(inherits.locations[""].file, 4, 18)
    assert (own.expires, own.cloak, own.cloak_title, own.forward_query) == (Expiry(), True, None, False)
    assert (view.expires, view.forward_query, view.cloak, view.referrer) == (None, None, None, None)
    assert (view.anonymise_ip, view.redirect_only) == (True, False)  # flags are for pixels too


def test_a_problem_of_an_inherited_setting_names_the_defaults(write_manifest: WriteManifest) -> None:
    path = write_manifest("links.yaml", "defaults:\n  expires: {then: pause}\ndatapoints:\n"
                                        f"  - name: a\n    url: {A}\n")
    code, out, err = validate(str(path))
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == (f"{path}:2:12: defaults.expires: expires needs after_clicks, on or both "
                                   "(expires: false: never expires)")


ROTATIONS = f"""\
datapoints:
  - name: ab
    destinations:
      mode: rotate
      urls: [{{url: {A}, weight: 3}}, {{url: {B}, weight: 1}}]
  - name: even
    destinations: {{mode: rotate, urls: [{A}, {B}]}}
  - name: old-sale
    url: {A}
    expires: {{on: 2020-01-31}}
  - name: next-sale
    url: {A}
    expires: {{on: 2099-01-31T10:00:00, then: {B}}}
"""


def test_validate_notes_a_weighted_rotation_and_warns_of_a_past_expiry(write_manifest: WriteManifest) -> None:
    path = write_manifest("links.yaml", ROTATIONS)
    code, out, err = validate(str(path))
    assert code == 0
    assert out.splitlines() == [
        f"note: {path}:4:7: destinations: 'ab' rotates 2 urls by weight: the weights sum to 4 "
        "(75%, 25% of the visits)",
        "valid: 4 datapoints (4 links, 0 pixels), 0 groups, 0 conversions, 0 tags in 1 file"]
    assert err.splitlines() == [f"warning: {path}:10:14: expires.on: 'old-sale' expires on 2020-01-31, already "
                                "past: once applied it is expired (paused)"]


def test_expiry_warnings_compare_with_the_time_given(write_manifest: WriteManifest) -> None:
    desired = load_manifests([str(write_manifest("links.yaml", ROTATIONS))])
    at = datetime.datetime(2099, 1, 31, 10, 0)
    assert [problem.message.split(",")[0] for problem in expiry_warnings(desired, at)] == [
        "'old-sale' expires on 2020-01-31", "'next-sale' expires on 2099-01-31T10:00:00"]
    assert "visits sent to https://example.com/b" in str(expiry_warnings(desired, at)[1])
    assert expiry_warnings(desired, at - datetime.timedelta(seconds=1))[1:] == []
    assert expiry_warnings(desired, datetime.datetime(2019, 12, 31)) == []
    assert [note.location.line for note in weight_notes(desired)] == [4]


def test_the_examples_show_every_kind_of_setting() -> None:
    desired = load_manifests([str(Path(__file__).resolve().parents[2] / "examples")])
    specs = desired.datapoints.values()
    assert any(spec.destinations and any(entry.weight for entry in spec.destinations.entries) for spec in specs)
    assert any(spec.destinations and spec.destinations.mode == "by_country" for spec in specs)
    assert any(spec.expires and spec.expires.on for spec in specs)
    assert any(spec.cloak and spec.cloak_title for spec in specs)
