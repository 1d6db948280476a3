"""Who a tracking request comes from: address, browser, platform, language, spider or not.

The local server has no GeoIP database and no user-agent library, so the
classification is deliberately small: a few well-known browser and platform
tokens, the usual crawler words, and the country as the region of the
visitor's first Accept-Language tag (`en-GB` -> `GB`). It is enough for the
`reports` endpoint to group real traffic the way the real service does, and
for a link's by_device destinations (`device_of`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from starlette.requests import Request

# Order matters: Edge and Opera carry "Chrome/", Chrome carries "Safari/".
BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
            ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl"),
            ("python-httpx/", "httpx"))
PLATFORMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"),
             ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"))
SPIDER = re.compile(r"bot|crawl|spider|slurp|facebookexternalhit", re.IGNORECASE)
# Mail clients and the image proxies that fetch mail's links and images for them.
MAIL_CLIENT = re.compile(r"GoogleImageProxy|YahooMailProxy|Outlook|Microsoft Office|MSOffice|"
                         r"Thunderbird|Airmail|Postbox|Mailbird|eM Client|Apple ?Mail", re.IGNORECASE)
MOBILE = re.compile(r"Mobi|Android|iPhone|iPad|iPod|Windows Phone|BlackBerry|Opera Mini", re.IGNORECASE)
# by_device's classes, most specific first: a crawler may claim a phone, a mail app runs on one.
DEVICES = (("spider", SPIDER), ("email", MAIL_CLIENT), ("mobile", MOBILE))
OTHER = "Other"


@dataclass(frozen=True)
class Visitor:
    """One tracking request's visitor; `ip` + `user_agent` identify them for uniques."""

    ip: str
    user_agent: str
    referrer: str | None
    language: str | None

    @property
    def is_spider(self) -> bool:
        return bool(SPIDER.search(self.user_agent))


def visitor_of(request: Request) -> Visitor:
    """The visitor of a tracking request.

    The address is the first `X-Forwarded-For` entry when present (a proxy in
    front of `serve`, or a test simulating several visitors), else the peer's.
    """
    forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
    peer = request.client.host if request.client else ""
    languages = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
    return Visitor(ip=forwarded or peer, user_agent=request.headers.get("user-agent", ""),
                   referrer=request.headers.get("referer") or None, language=languages or None)


def country_of(language: str | None) -> str:
    """The region of a language tag (`en-GB` -> `GB`), `Other` without one."""
    parts = (language or "").replace("_", "-").split("-")
    return parts[1].upper() if len(parts) > 1 and len(parts[1]) == 2 else OTHER


def device_of(user_agent: str) -> str | None:
    """`spider`, `email` or `mobile` (a link's by_device classes), or None for anything else."""
    return next((device for device, words in DEVICES if words.search(user_agent)), None)


def anonymised(ip: str) -> str:
    """The address with its last octet (IPv4) or last 80 bits (IPv6) zeroed; "" if it is none."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    kept = 8 if address.version == 4 else 80  # the zeroed bits
    return str(type(address)(int(address) >> kept << kept))


def browser_of(user_agent: str) -> str:
    """The browser family a user agent names (`Other` when unknown)."""
    return _first_token(user_agent, BROWSERS)


def platform_of(user_agent: str) -> str:
    """The operating system a user agent names (`Other` when unknown)."""
    return _first_token(user_agent, PLATFORMS)


def _first_token(user_agent: str, table: tuple[tuple[str, str], ...]) -> str:
    return next((name for token, name in table if token in user_agent), OTHER)
