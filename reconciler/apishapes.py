"""The ClickMeter v2 wire format: the one thing the server and the client share.

Names are as `openapi.json` gives them; values are as the live service sends
them (`../shared/clickmeter/REAL-API.md`, recorded exchanges): enums are
numbers in entity answers and in every published client's requests, in the
order `openapi.json` lists their names; statistics rows name the datapoint
type as text. Where the recordings and `openapi.json` disagree, the
recordings win.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

AUTH_HEADER = "X-Clickmeter-AuthKey"
DATE_FORMAT = "%Y%m%d%H%M%S"  # "YmdHis", as every date in the API
DAY_FORMAT = "%Y%m%d"  # fromDay / toDay / createdAfter / createdBefore

DEFAULT_LIMIT = 20  # offset/limit paging default, as the spec gives it
MAX_LIMIT = 100  # the largest page any list or summary endpoint returns
MAX_BATCH = 25  # the most items one batch body (List, Entities, PatchRequests) may carry (REAL-API 13)
MAX_ID = 2 ** 63 - 1  # ids and every integer are .NET Int64s (and SQLite INTEGERs): nothing larger fits
MAX_MONEY = 79228162514264337593543950335  # a conversion value is a .NET decimal: none is larger

TRACKING_LINK = "TrackingLink"
TRACKING_PIXEL = "TrackingPixel"
DATAPOINT_TYPES = (TRACKING_LINK, TRACKING_PIXEL)
TYPE_FILTERS = {"tl": TRACKING_LINK, "tp": TRACKING_PIXEL}

PERMANENT_REDIRECT = "PermanentRedirect"  # answered with 301
TEMPORARY_REDIRECT = "TemporaryRedirect"  # answered with 307
REDIRECT_TYPES = (PERMANENT_REDIRECT, TEMPORARY_REDIRECT)

STATUS_ACTIVE = "Active"
STATUS_PAUSED = "Paused"
STATUS_ABUSE = "Abuse"
STATUS_DELETED = "Deleted"

PROTOCOLS = ("Http", "Https")
DOMAIN_TYPES = ("System", "Go", "Dedicated", "Personal")
DATAPOINT_STATUSES = (STATUS_ACTIVE, STATUS_PAUSED, STATUS_ABUSE, STATUS_DELETED)

# enum name -> the number the live service sends and every published client sends
TYPE_CODES = {name: code for code, name in enumerate(DATAPOINT_TYPES)}  # TrackingLink 0, TrackingPixel 1
STATUS_CODES = {name: code for code, name in enumerate(DATAPOINT_STATUSES)}  # Active 0 ... Deleted 3
REDIRECT_CODES = {PERMANENT_REDIRECT: 301, TEMPORARY_REDIRECT: 307}  # the HTTP status itself
PROTOCOL_CODES = {name: code for code, name in enumerate(PROTOCOLS)}
DOMAIN_TYPE_CODES = {name: code for code, name in enumerate(DOMAIN_TYPES)}

# Where a link sends its visitors (`typeTL.destinationMode`), numbered in the spec's order like
# every other enum, and the `typeTL` key holding each mode's destinations.
DESTINATION_MODES = ("Simple", "RandomDestination", "DestinationByLanguage", "SpilloverDestination",
                     "DynamicUrl", "BrowserDestination", "DestinationByNation", "UniqueDestination",
                     "SequentialDestination", "WeightedDestination")
DESTINATION_MODE_CODES = {name: code for code, name in enumerate(DESTINATION_MODES)}
DESTINATION_ITEM_KEYS = {"RandomDestination": "randomDestinationItems",
                         "DestinationByLanguage": "urlsByLanguage",
                         "SpilloverDestination": "spilloverDestinationItems",
                         "BrowserDestination": "browserDestinationItem",
                         "DestinationByNation": "urlsByNation",
                         "UniqueDestination": "uniqueDestinationItem",
                         "SequentialDestination": "sequentialDestinationItems",
                         "WeightedDestination": "weightedDestinationItems"}
# `browserDestinationItem`'s keys, and `uniqueDestinationItem`'s one key
BROWSER_DESTINATION_KEYS = ("mobileDestinationUrl", "emailDestinationUrl", "spidersDestinationUrl")
FIRST_DESTINATION_KEY = "firstDestinationUrl"
REFERRER_CLEANING = ("None", "Clean", "Myself")  # typeTL.referrerClean
REFERRER_CLEANING_CODES = {name: code for code, name in enumerate(REFERRER_CLEANING)}

NAME_USED_STATUS = 403  # a name already used (or once used by a deleted datapoint)
NAME_USED_CODE = "0013"
DATAPOINT_MISSING_CODE = "0013"  # an update batch item naming no existing datapoint (recorded)

# A datapoint holds at most five conversions, one per slot.
CONVERSION_SLOTS = ("first", "second", "third", "fourth", "fifth")
CONVERSION_ID_FIELDS = tuple(f"{slot}ConversionId" for slot in CONVERSION_SLOTS)
CONVERSION_NAME_FIELDS = tuple(f"{slot}ConversionName" for slot in CONVERSION_SLOTS)

PATCH_ADD = "add"
PATCH_REMOVE = "remove"

TIMEFRAMES = (
    "today", "yesterday", "last7", "last30", "lastmonth", "currentmonth",
    "previousmonth", "last90", "last120", "last180", "last12months", "lastyear",
    "currentyear", "beginning", "custom",
)

MAX_URL_LENGTH = 4000  # a destination url's characters, as the schema and the server allow
URL_SCHEMES = ("http", "https")
# Never in a url: whitespace (`\s` is str.isspace's set) and the controls (C0, DEL, C1).
_URL_FORBIDDEN = re.compile("[\\s\x00-\x1f\x7f-\x9f]")
# The common case, certainly valid without splitting it: a lower-case http(s) scheme, a plain
# host name (no user, port or brackets), then anything that holds no forbidden character.
_PLAIN_URL = re.compile("https?://[A-Za-z0-9.-]+(?:[/?#][^\\s\x00-\x1f\x7f-\x9f]*)?")


def url_problem(url: object) -> str | None:
    """Why the service would refuse `url` as a link's destination, or None when it would take it.

    One rule for `validate`, the planner and the server, so that nothing the
    server refuses passes `validate`: text of 1 to MAX_URL_LENGTH characters,
    no whitespace or control characters (C0, DEL, C1), an http(s) scheme, a
    host (an IPv6 literal must be a valid one in brackets) and a valid port.
    """
    if not isinstance(url, str) or not url:
        return "must be a non-empty text"
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters long (it has {len(url)})"
    if _PLAIN_URL.fullmatch(url):
        return None
    if _URL_FORBIDDEN.search(url):
        return "must not hold spaces or control characters"
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # both raise ValueError on a bad literal or port
    except ValueError as error:
        return f"is not a valid URL ({_url_error(error)})"
    if parts.scheme.lower() not in URL_SCHEMES:
        return "must be an absolute http:// or https:// URL"
    if not host:
        return "must name a host (http://host/...)"
    return None


def _url_error(error: ValueError) -> str:
    """urlsplit's reason without the url it quotes (the caller names the field)."""
    text = str(error)
    if "IPv6" in text or "IPv4" in text:
        return "a bad IPv6 literal in brackets"
    if "Port" in text or "port" in text:
        return "a bad port"
    return "unreadable"


MAX_NAME_LENGTH = 200  # a datapoint's, group's, tag's, conversion's, script's or domain's name
MAX_TEXT_LENGTH = 2000  # a title, a note, a description
# Never in a name: C0 controls (tab, newline, ESC, NUL...), DEL, C1 controls (U+009B is a terminal's
# CSI), the line and paragraph separators, and the bidirectional embeddings, overrides and isolates
# that show text in another order than it is stored. (The marks U+200E/U+200F/U+061C are allowed.)
_NAME_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Never in a text (title, notes, description, code): the controls but tab, newline and carriage return.
_TEXT_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def name_problem(name: object) -> str | None:
    """Why the service would refuse `name` as an entity's name, or None when it would take it.

    One rule for `validate` and the server, so that every name the server holds
    passes `validate` and survives export's YAML round trip unchanged: text of 1
    to MAX_NAME_LENGTH characters, not starting or ending with whitespace, and
    none of the characters that break a line, a terminal or reading order
    (C0, DEL, C1, U+2028/U+2029, bidirectional embeddings/overrides/isolates).
    """
    if not isinstance(name, str) or not name:
        return "must be a non-empty text"
    if len(name) > MAX_NAME_LENGTH:
        return f"must be at most {MAX_NAME_LENGTH} characters long (it has {len(name)})"
    if name != name.strip():
        return "must not start or end with a space"
    if found := _NAME_FORBIDDEN.search(name):
        return ("must not hold control characters, line separators or bidirectional overrides "
                f"(it holds U+{ord(found.group()):04X})")
    return None


def text_problem(text: object, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    """Why the service would refuse `text` as a title, note or description, or None.

    Looser than a name: tabs and line breaks are text here (a note has lines),
    other control characters (NUL, ESC, DEL, C1) are not.
    """
    if not isinstance(text, str):
        return "must be a text"
    if len(text) > max_length:
        return f"must be at most {max_length} characters long (it has {len(text)})"
    if found := _TEXT_FORBIDDEN.search(text):
        return ("must not hold control characters other than tabs and line breaks "
                f"(it holds U+{ord(found.group()):04X})")
    return None


# Destination keys of a link by language and by country (the manifest's `by_language` and
# `by_country`; `urlsByLanguage.languageCode`, `urlsByNation.nation`), static, from the iso-codes
# tables. ISO 639-1, lower case: the 185 two-letter language codes (`bh` and `sh`, withdrawn from
# 639-1 since, are kept: a link the service holds with them still validates).
LANGUAGE_CODES = frozenset((
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "sh", "si",
    "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th",
    "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi",
    "vo", "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
))
# ISO 3166-1 alpha-2, upper case: all 249 officially assigned country codes.
COUNTRY_CODES = frozenset((
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
))
