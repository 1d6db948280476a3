"""Where a datapoint is reached: a link's short URL, a pixel's HTML snippet.

A link is `http://<domain>/<name>` (its `trackingCode`); a pixel is requested by id at the
tracking server's `/pixel/<id>` (what `serve` answers with a 1x1 GIF and counts as a view).
The tracking server is `target.tracking_base`.
"""

from __future__ import annotations

from reconciler.model import LINK, LiveDatapoint, LiveState
from reconciler.plan.calls import default_domain


def short_url(link: LiveDatapoint, account_domain: str | None) -> str:
    """`http://<domain>/<name>`; `account_domain` for a link whose domain is not known."""
    return f"http://{link.domain or account_domain}/{link.name}"


def address(datapoint: LiveDatapoint, live: LiveState, tracking_base: str) -> str:
    """The short URL of a link, the `<img>` snippet of a pixel."""
    if datapoint.type == LINK:
        return short_url(datapoint, default_domain(live.domains))
    return f'<img src="{tracking_base}/pixel/{datapoint.id}" width="1" height="1" alt="">'


def addresses_by_name(names: set[str], live: LiveState, tracking_base: str) -> dict[str, str]:
    """`address` of each live datapoint named in `names` (all of one name, when twins)."""
    found: dict[str, str] = {}
    for datapoint in sorted(live.datapoints.values(), key=lambda d: d.id):
        if datapoint.name in names:
            shown = address(datapoint, live, tracking_base)
            found[datapoint.name] = f"{found[datapoint.name]}, {shown}" if datapoint.name in found else shown
    return found
