"""`Locations`, the compact store of where a datapoint's fields were written, acts as the dict it replaces."""

from __future__ import annotations

import pytest

from reconciler.manifests import load_manifests
from reconciler.manifests.locations import Locations
from reconciler.model import Location

from .conftest import WriteManifest

TEXT = """\
defaults:
  group: spring
  tags: [bench]
datapoints:
  - name: shoes
    url: https://example.com/shoes
    tags: [sale]
  - name: hats
    type: pixel
"""


def test_loaded_datapoints_point_at_their_fields_and_inherited_defaults(write_manifest: WriteManifest) -> None:
    path = str(write_manifest("links.yaml", TEXT))
    shoes, hats = load_manifests([path]).datapoints.values()
    assert isinstance(shoes.locations, Locations)
    assert dict(shoes.locations) == {"": Location(path, 5, 5), "name": Location(path, 5, 11),
                                     "url": Location(path, 6, 10), "tags": Location(path, 7, 11),
                                     "group": Location(path, 2, 10)}
    assert shoes.locations == dict(shoes.locations)  # as the dict it replaces compares
    assert list(hats.locations) == ["", "name", "type", "group", "tags"]
    assert hats.locations["tags"] == Location(path, 3, 9)


def test_set_replace_and_delete_in_this_file_and_another() -> None:
    locations = Locations("a.yaml")
    locations["name"] = Location("a.yaml", 4, 11)
    locations["group"] = Location("settings.yaml", 2, 18)  # the repository settings' default group
    assert locations == {"name": Location("a.yaml", 4, 11), "group": Location("settings.yaml", 2, 18)}
    locations["group"] = Location("a.yaml", 2, 10)  # a file's own default wins over the settings
    locations["name"] = Location("a.yaml", 9, 11)
    assert dict(locations) == {"name": Location("a.yaml", 9, 11), "group": Location("a.yaml", 2, 10)}
    del locations["name"]
    assert "name" not in locations and locations.get("name") is None and len(locations) == 1
    assert repr(locations) == repr({"group": Location("a.yaml", 2, 10)})
    with pytest.raises(KeyError):
        del locations["name"]
    with pytest.raises(KeyError):
        locations["url"]
