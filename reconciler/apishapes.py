"""The ClickMeter v2 wire format: the one thing the server and the client share.

Names and enum values are exactly as `openapi.json` gives them. The server
answers only in these forms (while accepting looser input); the client sends
only these forms.
"""

from __future__ import annotations

AUTH_HEADER = "X-Clickmeter-AuthKey"
DATE_FORMAT = "%Y%m%d%H%M%S"  # "YmdHis", as every date in the API
DAY_FORMAT = "%Y%m%d"  # fromDay / toDay / createdAfter / createdBefore

DEFAULT_LIMIT = 20  # offset/limit paging default, as the spec gives it
MAX_LIMIT = 100  # the largest page any list or summary endpoint returns
MAX_BATCH = 100  # the most items one batch body (List, Entities, PatchRequests) may carry

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
