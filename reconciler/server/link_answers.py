"""What a visitor's browser gets back from a link once its destination is chosen.

* `appendQuery`: the tracking request's query string (without `password`) is
  added to the destination's; a parameter of the same name replaces the
  destination's own, the others are kept as written;
* `encodeUrl`: the destination is sent strictly encoded: its host in IDNA
  (`xn--...`), and in the path, query and fragment every character but the
  RFC 3986 unreserved ones and the component's own delimiters (`/`; `&`, `=`)
  percent-encoded as UTF-8 (`(` is `%28`, `é` is `%C3%A9`). Without it only
  the characters a url may not hold raw are encoded (quotes, `<>{}|\\^`,
  non-ASCII...: Starlette's `RedirectResponse`), the rest goes as written;
* `hideUrl` (cloak): a 200 HTML page titled `hideUrlTitle` (else the link's
  title, else its name) that shows the destination in a full-window iframe;
* `referrerClean`: None (0) a plain redirect, the destination sees the
  visitor's referrer; Clean (1) the redirect says `Referrer-Policy:
  no-referrer`, so it sees none; Myself (2) a 200 page that refreshes to the
  destination with `Referrer-Policy: unsafe-url`, so it sees the tracking link;
* otherwise a 301 or 307 redirect, as the link's `redirectType` says.

Every page escapes what it shows (`html.escape`); every answer is `no-store`.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from starlette.responses import HTMLResponse, RedirectResponse, Response

from reconciler.apishapes import PERMANENT_REDIRECT, REFERRER_CLEANING

NO_CACHE = {"Cache-Control": "no-store"}
CLEAN, MYSELF = REFERRER_CLEANING[1:]
REFERRER_POLICIES = {CLEAN: "no-referrer", MYSELF: "unsafe-url"}

CLOAK_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>html,body,iframe{{margin:0;padding:0;border:0;width:100%;height:100%;overflow:hidden}}</style>
</head><body><iframe src="{url}" title="{title}" referrerpolicy="{policy}"></iframe></body></html>
"""
REFRESH_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="referrer" content="unsafe-url">
<meta http-equiv="refresh" content="0; url={url}"><title>Redirecting</title></head>
<body><a href="{url}">{url}</a></body></html>
"""


def link_answer(link: Any, destination: str, query: list[tuple[str, str]]) -> Response:
    """The answer to a click that goes to `destination`, shaped by the link's settings."""
    url = forwarded(destination, query) if link["append_query"] else destination
    if link["encode_url"]:
        url = strictly_encoded(url)
    referrer = link["referrer_clean"]
    headers = dict(NO_CACHE)
    if referrer in REFERRER_POLICIES:
        headers["Referrer-Policy"] = REFERRER_POLICIES[referrer]
    if link["hide_url"]:
        title = link["hide_url_title"] or link["title"] or link["name"]
        page = CLOAK_PAGE.format(title=escape(title), url=escape(url),
                                 policy=REFERRER_POLICIES.get(referrer, "strict-origin-when-cross-origin"))
        return HTMLResponse(page, headers=headers)
    if referrer == MYSELF:
        return HTMLResponse(REFRESH_PAGE.format(url=escape(url)), headers=headers)
    status = 301 if link["redirect_type"] == PERMANENT_REDIRECT else 307
    return RedirectResponse(url, status_code=status, headers=headers)


def forwarded(destination: str, query: list[tuple[str, str]]) -> str:
    """`destination` with the request's query parameters added, replacing any of the same name."""
    if not query:
        return destination
    parts = urlsplit(destination)
    names = {name for name, _ in query}
    kept = [piece for piece in parts.query.split("&")
            if piece and unquote(piece.partition("=")[0].replace("+", " ")) not in names]
    return urlunsplit(parts._replace(query="&".join([*kept, urlencode(query)])))


def strictly_encoded(url: str) -> str:
    """`url` with an IDNA host and every character of its path, query and fragment that is
    neither unreserved nor the component's delimiter percent-encoded (existing escapes kept)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, _ascii_netloc(parts.netloc), quote(parts.path, safe="/%"),
                       quote(parts.query, safe="&=%"), quote(parts.fragment, safe="%")))


def _ascii_netloc(netloc: str) -> str:
    """The netloc with a non-ASCII host in IDNA (percent-encoded if IDNA cannot spell it)."""
    if netloc.isascii():
        return netloc
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = quote(host, safe="")
    return f"{quote(userinfo, safe='%:')}{at}{ascii_host}{colon}{port}"
