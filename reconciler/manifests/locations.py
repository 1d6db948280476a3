"""Where a declared datapoint's fields were written, held compactly.

At 100,000 datapoints a `dict` of `Location`s per datapoint was about 0.7 KB each,
nearly half of what the loaded manifests hold. Nearly every field of a datapoint is
written in its own file, and most datapoints of a repository are written with the same
fields: `Locations` keeps that file once, the field names as one tuple shared by every
datapoint written with the same ones, and the lines and columns in one array. A
`Location` is made only when one is asked for (to point at a problem or a change).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, MutableMapping

from reconciler.manifests.yamldoc import LocatedMap
from reconciler.model import Location

MAX_SHARED = 10_000  # distinct lists of fields kept: a repository has a few dozen
_SHARED_FIELDS: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per distinct list of fields


def _shared(fields: tuple[str, ...]) -> tuple[str, ...]:
    return _SHARED_FIELDS.setdefault(fields, fields) if len(_SHARED_FIELDS) < MAX_SHARED else fields


class Locations(MutableMapping[str, Location]):
    """A field name ("" for the item itself) -> where it was written, as a `dict` would hold it.

    A location in another file than the item's (the repository settings' default group
    or domain) is kept whole, in `elsewhere`.
    """

    __slots__ = ("_elsewhere", "_fields", "_file", "_positions")

    def __init__(self, file: str, fields: tuple[str, ...] = (), positions: array[int] | None = None) -> None:
        self._file = file
        self._fields = _shared(fields)
        self._positions = array("I") if positions is None else positions  # line, column of each field
        self._elsewhere: dict[str, Location] | None = None

    @classmethod
    def written(cls, file: str, item: LocatedMap, inherited: Mapping[str, Location]) -> Locations:
        """Where `item` and each of its values were written, then the values it `inherited`
        from its file's defaults."""
        positions = array("I", (item.mark.line + 1, item.mark.column + 1))
        for mark in item.value_marks.values():
            positions.extend((mark.line + 1, mark.column + 1))
        for where in inherited.values():
            positions.extend((where.line, where.column))
        return cls(file, ("", *item.value_marks, *inherited), positions)

    def __getitem__(self, key: str) -> Location:
        try:
            index = self._fields.index(key)
        except ValueError:
            raise KeyError(key) from None
        if self._elsewhere is not None and key in self._elsewhere:
            return self._elsewhere[key]
        return Location(self._file, self._positions[2 * index], self._positions[2 * index + 1])

    def __setitem__(self, key: str, where: Location) -> None:
        if where.file == self._file:
            line, column = where.line, where.column
            if self._elsewhere is not None:
                self._elsewhere.pop(key, None)
        else:
            line = column = 0
            self._elsewhere = self._elsewhere or {}
            self._elsewhere[key] = where
        if key in self._fields:
            index = self._fields.index(key)
            self._positions[2 * index:2 * index + 2] = array("I", (line, column))
        else:
            self._fields = _shared((*self._fields, key))
            self._positions.extend((line, column))

    def __delitem__(self, key: str) -> None:
        kept = {field: where for field, where in self.items() if field != key}
        if len(kept) == len(self):
            raise KeyError(key)
        self._fields, self._positions, self._elsewhere = (), array("I"), None
        self.update(kept)

    def __contains__(self, key: object) -> bool:
        return key in self._fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return repr(dict(self.items()))
