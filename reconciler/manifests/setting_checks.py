"""The rules of a link's written settings the schema cannot say: a mode's own keys, weights, dates.

Checked on the located document (not the built spec) so that each problem
points at the key or url as written (`destinations.urls.IT`), and so that two
keys one canonical key apart (`it`, `IT`) are both still seen.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterator, Set
from typing import Any

from reconciler.apishapes import COUNTRY_CODES, LANGUAGE_CODES, url_problem
from reconciler.manifests.build import broken_items
from reconciler.manifests.link_settings import canonical_key
from reconciler.manifests.problems import Problem, field_path
from reconciler.manifests.yamldoc import DocPath, LocatedList, LocatedMap, Mark, location
from reconciler.model import DEFAULT_DESTINATION, DEVICES, FIRST_CLICK, LIST_MODES, PAUSE

KEYS_OF_MODE = {
    "by_language": ("ISO 639-1 language codes (de, fr, ...)", LANGUAGE_CODES),
    "by_country": ("ISO 3166-1 alpha-2 country codes (IT, FR, ...)", COUNTRY_CODES),
    "by_device": (", ".join(DEVICES), frozenset(DEVICES)),
    "first_click": (FIRST_CLICK, frozenset({FIRST_CLICK})),
}


def setting_problems(document: LocatedMap, file: str, problem_paths: Set[DocPath]) -> Iterator[Problem]:
    """Every rule of `destinations` and `expires` a schema-valid item of `document` breaks."""
    broken = broken_items(problem_paths)
    written = _Written(file)
    defaults = document.get("defaults")
    if isinstance(defaults, LocatedMap) and ("defaults",) not in broken:
        yield from written.expiry(defaults, ("defaults",))
    items = document.get("datapoints")
    for index, item in enumerate(items if isinstance(items, list) else ()):
        path = ("datapoints", index)
        if path in broken or not isinstance(item, LocatedMap):
            continue
        if "url" in item and "destinations" in item:
            where = location(file, item.value_marks["url"])
            yield written.problem(item.key_marks["destinations"], (*path, "destinations"),
                                  f"`url` (at {where}) and `destinations` exclude each other: `destinations` "
                                  "sets the link's url (its first url, or its default)")
        if isinstance(item.get("destinations"), LocatedMap):
            yield from written.destinations(item["destinations"], (*path, "destinations"))
        yield from written.expiry(item, path)


class _Written:
    """The checks of one file's written settings (the file names every problem)."""

    def __init__(self, file: str) -> None:
        self.file = file

    def problem(self, mark: Mark, path: DocPath, message: str) -> Problem:
        return Problem(location(self.file, mark), field_path(path), message)

    def destinations(self, written: LocatedMap, path: DocPath) -> Iterator[Problem]:
        mode, urls = written["mode"], written["urls"]
        at = (*path, "urls")
        if mode in LIST_MODES and isinstance(urls, LocatedList):
            yield from self.listed(mode, urls, at)
        elif mode not in LIST_MODES and isinstance(urls, LocatedMap):
            yield from self.keyed(mode, urls, at)
        elif mode in LIST_MODES:
            yield self.problem(written.value_marks["urls"], at, f"{mode} takes a list of urls, not a mapping "
                                                               "(keys are for by_language, by_country, by_device "
                                                               "and first_click)")
        else:
            yield self.problem(written.value_marks["urls"], at, f"{mode} takes a mapping of {KEYS_OF_MODE[mode][0]} "
                                                               "and default to urls, not a list")

    def listed(self, mode: str, urls: LocatedList, path: DocPath) -> Iterator[Problem]:
        """rotate, sequence, spillover: good urls; weights in rotate only, on every url or on none."""
        weighted = [isinstance(entry, dict) and "weight" in entry for entry in urls]
        for index, entry in enumerate(urls):
            if isinstance(entry, LocatedMap):
                yield from self.url(entry["url"], entry.value_marks["url"], (*path, index, "url"))
                if weighted[index] and mode != "rotate":
                    yield self.problem(entry.key_marks["weight"], (*path, index, "weight"),
                                       f"a weight is for rotate only; {mode} sends visitors to every url in turn")
            else:
                yield from self.url(entry, urls.item_marks[index], (*path, index))
        if mode == "rotate" and any(weighted) and not all(weighted):
            index = weighted.index(False)
            yield self.problem(urls.item_marks[index], (*path, index),
                               "weights go on every url of a rotation or on none; this one has none")

    def keyed(self, mode: str, urls: LocatedMap, path: DocPath) -> Iterator[Problem]:
        """by_language, by_country, by_device, first_click: the mode's own keys, once each, and a default."""
        described, allowed = KEYS_OF_MODE[mode]
        seen: dict[str, str] = {}
        for key, url in urls.items():
            at = (*path, key)
            canonical = canonical_key(mode, key)
            if key != DEFAULT_DESTINATION and canonical not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1) if len(allowed) < 10 else []
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                yield self.problem(urls.key_marks[key], at, f"{mode} keys are {described} and default; "
                                                           f"got {key!r}{hint}")
            elif canonical in seen:
                yield self.problem(urls.key_marks[key], at, f"{key!r} and {seen[canonical]!r} are the same key "
                                                           f"({canonical}); write it once")
            seen.setdefault(canonical, key)
            yield from self.url(url, urls.value_marks[key], at)
        if DEFAULT_DESTINATION not in urls:
            yield self.problem(urls.mark, path, f"{mode} needs a `default` url, for the visitors no other key matches")
        if not set(urls) - {DEFAULT_DESTINATION}:
            yield self.problem(urls.mark, path, f"{mode} needs at least one url beside `default` "
                                                f"(keys: {described}); a single url is written `url:`")

    def url(self, url: Any, mark: Mark, path: DocPath) -> Iterator[Problem]:
        if reason := url_problem(url):
            yield self.problem(mark, path, f"the url {reason}")

    def expiry(self, holder: LocatedMap, path: DocPath) -> Iterator[Problem]:
        """An expiry names after_clicks, on or both; `on` is a day of the calendar; `then` a good url."""
        expires = holder.get("expires")
        if not isinstance(expires, LocatedMap):
            return
        at = (*path, "expires")
        if "after_clicks" not in expires and "on" not in expires:
            yield self.problem(holder.value_marks["expires"], at, "expires needs after_clicks, on or both "
                                                                  "(expires: false: never expires)")
        on = expires.get("on")
        if isinstance(on, str) and (reason := _date_problem(on)):
            yield self.problem(expires.value_marks["on"], (*at, "on"), reason)
        then = expires.get("then", PAUSE)
        if then != PAUSE:
            yield from self.url(then, expires.value_marks["then"], (*at, "then"))


def _date_problem(on: str) -> str | None:
    try:
        datetime.datetime.fromisoformat(on)
    except ValueError as error:
        return f"{on!r} is not a date of the calendar ({error})"
    return None
