"""Pinned twins: one datapoint name declared twice, each entry pinning its own live id."""

from __future__ import annotations

import pytest

from reconciler.manifests import ManifestError, load_manifests

from .conftest import WriteManifest


def pinned(name: str, pin: int | None, url: str, extra: str = "") -> str:
    """One datapoint entry: name on line 1, url on line 2, the `id:` (when given) on line 3."""
    return (f"  - name: {name}\n    url: {url}\n" + (f"    id: {pin}\n" if pin is not None else "") + extra)


def problems_of(write_manifest: WriteManifest, text: str) -> list[str]:
    path = write_manifest("links.yaml", "datapoints:\n" + text)
    with pytest.raises(ManifestError) as raised:
        load_manifests([str(path)])
    return [str(problem).replace(str(path), "links.yaml") for problem in raised.value.problems]


def test_twins_with_distinct_pins_are_keyed_by_name_and_id(write_manifest: WriteManifest) -> None:
    write_manifest("a.yaml", "datapoints:\n" + pinned("twin", 7, "https://a.example/7")
                   + pinned("plain", None, "https://a.example/p"))
    path = write_manifest("b.yaml", "datapoints:\n" + pinned("twin", 3, "https://a.example/3"))
    desired = load_manifests([str(path.parent)])
    assert sorted(desired.datapoints) == ["plain", "twin#3", "twin#7"]
    assert [(spec.name, spec.id, spec.url) for _, spec in sorted(desired.datapoints.items())] == [
        ("plain", None, "https://a.example/p"), ("twin", 3, "https://a.example/3"),
        ("twin", 7, "https://a.example/7")]


def test_a_single_pinned_datapoint_keeps_its_plain_name_as_key(write_manifest: WriteManifest) -> None:
    path = write_manifest("a.yaml", "datapoints:\n" + pinned("solo", 4, "https://a.example/"))
    assert list(load_manifests([str(path)]).datapoints) == ["solo"]


REFUSED = {
    "one pin: a duplicate naming both places": (
        pinned("twin", 1, "https://a.example/1") + pinned("twin", None, "https://a.example/2"),
        "links.yaml:5:11: datapoints[1].name: duplicate datapoint name 'twin' (first declared at links.yaml:2:11); "
        "a name may repeat only with a distinct `id:` pin on every entry"),
    "one id pinned twice: reported once, as that id": (
        pinned("twin", 1, "https://a.example/1") + pinned("twin", 1, "https://a.example/2"),
        "links.yaml:7:9: datapoints[1].id: id 1 is already pinned by 'twin' at links.yaml:4:9"),
    "a plain name equal to a twin's key": (
        pinned("twin", 1, "https://a.example/1") + pinned("twin", 2, "https://a.example/2")
        + pinned("twin#2", None, "https://a.example/3"),
        "links.yaml:8:11: datapoints[2].name: datapoint key 'twin#2' is taken twice: by 'twin#2' here and "
        "by 'twin' at links.yaml:5:11 (pinned twins are keyed name#id); rename one"),
    "a broken twin: its own problem only": (
        pinned("twin", 1, "https://a.example/1") + pinned("twin", 2, "ftp://a.example/2"),
        "links.yaml:6:10: datapoints[1].url: must be an absolute http:// or https:// URL without spaces; "
        "got 'ftp://a.example/2'"),
}


@pytest.mark.parametrize(("text", "problem"), REFUSED.values(), ids=REFUSED)
def test_repeated_names_are_refused_unless_each_entry_pins_its_own_id(
        write_manifest: WriteManifest, text: str, problem: str) -> None:
    assert problems_of(write_manifest, text) == [problem]
