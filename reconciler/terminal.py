"""Strings from outside (names, urls, notes, paths, variable names) made safe to print.

A live name or a file name may hold anything: an escape sequence (ESC, or
U+009B, the one-byte CSI of C1) recolours or rewrites the terminal, a newline,
U+2028 or U+2029 splits one error over lines, a right-to-left override shows
text reversed, and a 1 MB value buries everything else. Every text line the
CLI prints that carries such a string goes through `shown` (escapes) or
`clipped` (escapes and shortens). JSON output keeps exact values: JSON escapes
them itself.
"""

from __future__ import annotations

MAX_SHOWN = 200  # characters of one outside string in a message
MAX_LINE = 2000  # characters of one message line
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\u2028\u2029")
BAR_WIDTH = 24  # cells of a text bar: the apply progress bar, the bars of a stats table


def _escaped(char: str) -> str:
    code = ord(char)
    return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char) or (
        f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


_TABLE = {code: _escaped(chr(code)) for code in (*range(0x20), *range(0x7F, 0xA0))}
_TABLE.update({ord(char): _escaped(char) for char in BIDI_CONTROLS | LINE_BREAKS})


def shown(text: object) -> str:
    """`text` with every control character (C0, DEL, C1), line or paragraph separator and
    bidirectional control written as a visible escape (`\\x1b`, `\\u202e`)."""
    return _text(text).translate(_TABLE)


def clipped(text: object, limit: int = MAX_SHOWN) -> str:
    """`shown(text)`, cut to `limit` characters with how many were left out."""
    safe = shown(text)
    if len(safe) <= limit:
        return safe
    return f"{safe[:limit]}... ({len(safe) - limit} more characters)"


def _text(value: object) -> str:
    try:
        return str(value)
    except ValueError:  # an int beyond Python's 4,300-digit str() limit
        return f"a {value.bit_length()}-bit number" if isinstance(value, int) else "(unprintable)"
