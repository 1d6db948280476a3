"""Loader semantics: defaults, settings, merging, locations, digest, secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.manifests import EnvPassword, ManifestError, load_manifests, resolve_secrets
from reconciler.model import Location, Secret

from .conftest import WriteManifest

LINK = "  - name: {name}\n    url: https://shop.example.com/{name}\n"


def test_undeclared_fields_stay_none(write_manifest: WriteManifest) -> None:
    path = write_manifest("a.yaml", "datapoints:\n" + LINK.format(name="spring"))
    spec = load_manifests([str(path)]).datapoints["spring"]
    assert (spec.type, spec.url) == ("link", "https://shop.example.com/spring")
    undeclared = (spec.title, spec.domain, spec.redirect, spec.group, spec.tags, spec.conversions,
                  spec.retargeting, spec.favourite, spec.notes, spec.status, spec.password, spec.id)
    assert undeclared == (None,) * 12
    assert spec.renamed_from == ()


def test_own_values_win_over_defaults_but_tags_add_up(write_manifest: WriteManifest) -> None:
    write_manifest("a.yaml", (
        "defaults:\n  group: spring\n  tags: [seasonal]\n  redirect: permanent\n  status: paused\n"
        "datapoints:\n"
        "  - name: own\n    url: https://x.example.com/\n    group: summer\n    tags: [news]\n"
        "    status: active\n"
        "  - name: bare\n    url: https://y.example.com/\n"))
    desired = load_manifests([str(write_manifest("b.yaml", "datapoints:\n" + LINK.format(name="other")).parent)])
    own, bare, other = (desired.datapoints[name] for name in ("own", "bare", "other"))
    assert (own.group, own.tags, own.redirect, own.status) == ("summer", {"news", "seasonal"}, "permanent", "active")
    assert (bare.group, bare.tags, bare.redirect, bare.status) == ("spring", {"seasonal"}, "permanent", "paused")
    assert (other.group, other.tags, other.redirect) == (None, None, None)  # defaults stay in their file


def test_link_only_defaults_skip_pixels(write_manifest: WriteManifest) -> None:
    path = write_manifest("a.yaml", (
        "defaults:\n  redirect: temporary\n  domain: go.clickmeter.test\n  retargeting: [site]\n  favourite: true\n"
        "datapoints:\n" + LINK.format(name="link") + "  - name: view\n    type: pixel\n"))
    desired = load_manifests([str(path)])
    link, pixel = desired.datapoints["link"], desired.datapoints["view"]
    assert (link.redirect, link.domain, link.retargeting) == ("temporary", "go.clickmeter.test", {"site"})
    assert (pixel.redirect, pixel.domain, pixel.retargeting, pixel.favourite) == (None, None, None, True)


def test_settings_fill_group_and_domain_after_file_defaults(write_manifest: WriteManifest) -> None:
    write_manifest("settings.yaml", (
        "settings:\n  default_group: evergreen\n  default_domain: go.clickmeter.test\n"
        "  max_delete_percent: 10\n  protect_active_days: 7\n"))
    write_manifest("a.yaml", "defaults:\n  group: spring\ndatapoints:\n" + LINK.format(name="in-spring"))
    path = write_manifest("b.yaml", "datapoints:\n" + LINK.format(name="loose") + "  - name: view\n    type: pixel\n")
    desired = load_manifests([str(path.parent)])
    assert desired.datapoints["in-spring"].group == "spring"
    loose, view = desired.datapoints["loose"], desired.datapoints["view"]
    assert (loose.group, loose.domain) == ("evergreen", "go.clickmeter.test")
    assert (view.group, view.domain) == ("evergreen", None)
    assert loose.locations["group"] == Location(str(path.parent / "settings.yaml"), 2, 18)
    settings = desired.settings
    assert (settings.max_delete_percent, settings.max_update_percent, settings.protect_active_days) == (10.0, 30.0, 7)
    assert isinstance(settings.max_delete_percent, float)
    assert settings.location == Location(str(path.parent / "settings.yaml"), 1, 1)


def test_locations_point_at_each_value(write_manifest: WriteManifest, monkeypatch: pytest.MonkeyPatch) -> None:
    write_manifest("team/links.yaml", (
        "defaults:\n  tags: [spring]\n"
        "datapoints:\n  - name: spring\n    url: https://x.example.com/\n    title: Spring\n"))
    monkeypatch.chdir(write_manifest("x.txt", "").parent)
    spec = load_manifests(["team"]).datapoints["spring"]
    where = {key: (str(value.file), value.line, value.column) for key, value in spec.locations.items()}
    file = os.path.join("team", "links.yaml")
    assert where == {"": (file, 4, 5), "name": (file, 4, 11), "url": (file, 5, 10), "title": (file, 6, 12),
                     "tags": (file, 2, 9)}


def test_files_merge_in_path_order_and_tags_are_implied(write_manifest: WriteManifest) -> None:
    write_manifest("z/groups.yml", "groups:\n  - name: spring\n    tags: [seasonal]\n    prune: true\n")
    write_manifest("a/conversions.yaml", "conversions:\n  - name: signup\n    value: 12\n    protocol: https\n"
                                         "tags:\n  - name: declared\n")
    root = write_manifest("m/links.yaml", "datapoints:\n" + LINK.format(name="x") + "    tags: [news]\n").parent.parent
    desired = load_manifests([str(root)])
    assert desired.files == tuple(str(root / name) for name in ("a/conversions.yaml", "m/links.yaml", "z/groups.yml"))
    assert desired.groups["spring"].prune is True and desired.groups["spring"].tags == {"seasonal"}
    assert desired.conversions["signup"].value == 12.0 and desired.conversions["signup"].protocol == "https"
    assert sorted(desired.tags) == ["declared", "news", "seasonal"]
    assert desired.tags["news"].locations[""] == Location(str(root / "m/links.yaml"), 4, 11)


def test_hidden_paths_are_skipped_and_each_file_is_read_once(write_manifest: WriteManifest) -> None:
    path = write_manifest("links.yaml", "datapoints:\n" + LINK.format(name="x"))
    write_manifest(".github/workflows/ci.yml", "on: push\n")
    write_manifest(".hidden.yaml", "nonsense: true\n")
    write_manifest("notes.txt", "not a manifest\n")
    desired = load_manifests([str(path.parent), str(path)])
    assert desired.files == (str(path),)


def test_special_files_are_not_read(write_manifest: WriteManifest) -> None:
    path = write_manifest("links.yaml", "datapoints:\n" + LINK.format(name="x"))
    os.mkfifo(path.parent / "pipe.yaml")
    assert load_manifests([str(path.parent)]).files == (str(path),)
    with pytest.raises(ManifestError, match=r"pipe\.yaml:1:1: path: not a file or a directory"):
        load_manifests([str(path.parent / "pipe.yaml")])


def test_an_explicit_file_is_read_whatever_its_name(write_manifest: WriteManifest) -> None:
    path = write_manifest("links.manifest", "datapoints:\n" + LINK.format(name="x"))
    assert list(load_manifests([str(path)]).datapoints) == ["x"]


def test_empty_file_is_an_empty_manifest(write_manifest: WriteManifest) -> None:
    path = write_manifest("empty.yaml", "# nothing yet\n")
    desired = load_manifests([str(path)])
    assert (desired.datapoints, desired.files) == ({}, (str(path),))


def test_anchors_and_merge_keys(write_manifest: WriteManifest) -> None:
    path = write_manifest("a.yaml", (
        "datapoints:\n"
        "  - &base\n    name: a\n    url: https://x.example.com/\n    tags: [x]\n"
        "  - <<: *base\n    name: b\n"))
    b = load_manifests([str(path)]).datapoints["b"]
    assert (b.url, b.tags) == ("https://x.example.com/", {"x"})
    assert b.locations["url"] == Location(str(path), 4, 10)


def test_digest_depends_on_relative_paths_and_bytes_only(tmp_path: Path) -> None:
    text = "datapoints:\n" + LINK.format(name="x")
    for folder in ("one", "two/deeper"):
        (tmp_path / folder / "team").mkdir(parents=True)
        (tmp_path / folder / "team" / "a.yaml").write_text(text)
        (tmp_path / folder / "b.yaml").write_text("groups:\n  - name: g\n")
    one, two = tmp_path / "one", tmp_path / "two" / "deeper"
    digest = load_manifests([str(one)]).digest
    assert len(digest) == 64
    assert load_manifests([str(two) + os.sep]).digest == digest
    (two / "b.yaml").write_text("groups:\n  - name: g\n\n")  # one byte more
    assert load_manifests([str(two)]).digest != digest
    (two / "b.yaml").write_text("groups:\n  - name: g\n")
    (two / "team" / "a.yaml").rename(two / "team" / "c.yaml")
    assert load_manifests([str(two)]).digest != digest


def test_problems_of_all_files_come_at_once_sorted(write_manifest: WriteManifest) -> None:
    write_manifest("b.yaml", "datapoints:\n  - name: b\n    url: nowhere\n")
    path = write_manifest("a.yaml", "groups:\n  - name: g\n    prune: maybe\ndatapoints:\n  - name: a\n")
    with pytest.raises(ManifestError) as raised:
        load_manifests([str(path.parent)])
    assert [(problem.location.file, problem.location.line, problem.field) for problem in raised.value.problems] == [
        (str(path), 3, "groups[0].prune"), (str(path), 5, "datapoints[0]"),
        (str(path.parent / "b.yaml"), 3, "datapoints[0].url")]


PASSWORDS = ("datapoints:\n"
             "  - name: private\n    url: https://x.example.com/\n    password: {env: PRIVATE_PASSWORD}\n"
             "  - name: preview\n    url: https://y.example.com/\n"
             "    password: {env: PREVIEW_PASSWORD, optional: true}\n")


def test_passwords_are_named_not_read_when_loading(write_manifest: WriteManifest) -> None:
    desired = load_manifests([str(write_manifest("a.yaml", PASSWORDS))])
    password = desired.datapoints["private"].password
    assert isinstance(password, EnvPassword)
    assert (password.env, password.optional, repr(password)) == ("PRIVATE_PASSWORD", False, "(sensitive)")


def test_resolve_secrets_reads_the_environment(write_manifest: WriteManifest) -> None:
    desired = load_manifests([str(write_manifest("a.yaml", PASSWORDS))])
    notes = resolve_secrets(desired, {"PRIVATE_PASSWORD": "s3cret", "PREVIEW_PASSWORD": "other"})
    assert notes == []
    private = desired.datapoints["private"].password
    assert type(private) is Secret and private.reveal() == "s3cret" and private.env == "PRIVATE_PASSWORD"
    assert desired.datapoints["preview"].password == Secret("other")


def test_resolve_secrets_names_a_missing_variable_and_skips_optional_ones(write_manifest: WriteManifest) -> None:
    path = write_manifest("a.yaml", PASSWORDS)
    desired = load_manifests([str(path)])
    with pytest.raises(ManifestError) as raised:
        resolve_secrets(desired, {"PRIVATE_PASSWORD": ""})
    assert str(raised.value) == (f"{path}:4:15: password: environment variable PRIVATE_PASSWORD is not set "
                                 "(or empty); export it with the password of 'private'")
    desired = load_manifests([str(path)])
    notes = resolve_secrets(desired, {"PRIVATE_PASSWORD": "s3cret"})
    assert notes == [f"{path}:7:15: password of 'preview' not managed: environment variable "
                     "PREVIEW_PASSWORD is not set"]
    assert desired.datapoints["preview"].password is None


def test_a_literal_password_never_appears_in_messages(write_manifest: WriteManifest) -> None:
    path = write_manifest("a.yaml", "datapoints:\n  - name: a\n    url: https://x.example.com/\n"
                                    "    password: hunter2-literal\n"
                                    "  - name: b\n    url: https://x.example.com/\n"
                                    "    password: {env: 'hunter3 oops'}\n")
    with pytest.raises(ManifestError) as raised:
        load_manifests([str(path)])
    assert len(raised.value.problems) == 2
    assert "hunter" not in str(raised.value)
