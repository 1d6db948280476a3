"""An async ClickMeter v2 client: every call the reconciler makes, made politely.

Politeness is speed here: the public service throttles to about 10 requests a
second, so the client spaces its own requests (`TokenBucket`), bounds how many
are in flight, retries what is safe to retry and counts every request by
operation so that a plan can say what it cost.

Safety rules for retries:
- idempotent calls (reads, updates, deletes, patches) are retried with
  exponential backoff and full jitter on 5xx and dropped connections;
- a 429 is retried for every call (the service did nothing), after its
  `Retry-After`, during which the whole client pauses;
- a non-idempotent call (a create, the favourite toggle) that got no clear
  answer raises `AmbiguousWriteError` instead: the caller re-reads.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import httpx

from reconciler.apishapes import AUTH_HEADER, MAX_BATCH, MAX_LIMIT
from reconciler.clickmeter.errors import (
    AmbiguousWriteError, TransportError, error_for_status,
)
from reconciler.clickmeter.ratelimit import TokenBucket

T = TypeVar("T")
R = TypeVar("R")
Json = Any
QueryValue = str | int | float | bool | None

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=None)
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Transport failures that happen before a request leaves: safe to repeat any call."""


def _query(filters: dict[str, QueryValue]) -> dict[str, str | int | float]:
    """Drop unset filters and spell booleans as the service does."""
    return {name: (str(value).lower() if isinstance(value, bool) else value)
            for name, value in filters.items() if value is not None}


def _retry_after(response: httpx.Response, fallback: float) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return fallback


@dataclass
class _Tries:
    """How often one call has failed so far, by kind."""

    retry_budget: int
    failures: int = 0  # 5xx and lost connections
    throttled: int = 0  # 429s


def _batch(items: Sequence[T]) -> list[T]:
    if len(items) > MAX_BATCH:
        raise ValueError(f"a batch holds at most {MAX_BATCH} items, got {len(items)}")
    return list(items)


class ClickMeterClient:
    """The ClickMeter v2 API over an `httpx.AsyncClient`.

    `rate` is requests per second (None: unlimited); `concurrency` bounds the
    requests in flight. `calls` counts the requests sent, by operation name
    (retries included: they cost as much as the first try).
    """

    def __init__(self, base_url: str, api_key: str, *, rate: float | None = None,
                 concurrency: int = 4, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT, max_retries: int = 5,
                 backoff: float = 0.25, max_backoff: float = 8.0, max_rate_limited: int = 10,
                 jitter: random.Random | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = TokenBucket(rate)
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_rate_limited = max_rate_limited
        self.calls: Counter[str] = Counter()
        self.retries: Counter[str] = Counter()
        self.rate_limited: Counter[str] = Counter()
        self._jitter = jitter or random.Random()
        self._in_flight = asyncio.Semaphore(concurrency)
        self._http = httpx.AsyncClient(base_url=self.base_url, headers={AUTH_HEADER: api_key},
                                       transport=transport, timeout=timeout)

    def __repr__(self) -> str:
        return (f"ClickMeterClient({self.base_url!r}, rate={self.limiter.rate},"
                f" concurrency={self.concurrency}, requests={self.total_calls})")

    async def __aenter__(self) -> ClickMeterClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    # ------------------------------------------------------------ the engine

    async def call(self, operation: str, method: str, path: str, *, params: dict[str, QueryValue] | None = None,
                   body: Json = None, idempotent: bool = True, max_retries: int | None = None) -> Json:
        """Send one API call, retrying what is safe; the parsed JSON answer."""
        tries = _Tries(retry_budget=self.max_retries if max_retries is None else max_retries)
        async with self._in_flight:  # held across retries: a retried call goes first, not last
            while True:
                await self.limiter.acquire()
                self.calls[operation] += 1
                try:
                    response = await self._http.request(method, path, params=_query(params or {}), json=body)
                except httpx.TransportError as error:
                    delay = self._after_lost_answer(method, path, idempotent, tries, error)
                else:
                    if response.is_success:
                        return response.json() if response.content else None
                    if response.status_code == 404 and tries.failures and method == "DELETE":
                        return None  # an earlier try went through; only its answer was lost
                    delay = self._after_error_answer(operation, method, path, idempotent, tries, response)
                self.retries[operation] += 1
                await asyncio.sleep(delay)

    def _after_lost_answer(self, method: str, path: str, idempotent: bool, tries: _Tries,
                           error: httpx.TransportError) -> float:
        """The delay before trying again after no answer came, or the error to give up with."""
        cause = type(error).__name__
        if not idempotent and not isinstance(error, NOT_SENT):
            raise AmbiguousWriteError(method, path, cause) from None
        if tries.failures >= tries.retry_budget:
            raise TransportError(method, path, cause) from None
        tries.failures += 1
        return self._backoff(tries.failures - 1)

    def _after_error_answer(self, operation: str, method: str, path: str, idempotent: bool, tries: _Tries,
                            response: httpx.Response) -> float:
        """The delay before trying again after an error status, or the error to give up with."""
        status = response.status_code
        answer = _json_or_text(response)
        if status == 429 and tries.throttled < self.max_rate_limited:
            tries.throttled += 1
            self.rate_limited[operation] += 1
            delay = _retry_after(response, self._backoff(tries.throttled))
            self.limiter.pause(delay)
            return delay
        if status >= 500 and not idempotent:
            raise AmbiguousWriteError(method, path, str(status))
        if status >= 500 and tries.failures < tries.retry_budget:
            tries.failures += 1
            return self._backoff(tries.failures - 1)
        raise error_for_status(method, path, status, answer)

    def _backoff(self, failures: int) -> float:
        """Full jitter: uniform in [0, backoff * 2**failures], capped."""
        return self._jitter.uniform(0, min(self.max_backoff, self.backoff * 2 ** failures))

    async def map_concurrently(self, function: Callable[[T], Awaitable[R]], items: Iterable[T]) -> list[R]:
        """`function` over `items` with at most `concurrency` running; results in order."""
        pending = list(enumerate(items))
        results: list[Any] = [None] * len(pending)
        queue = iter(pending)

        async def worker() -> None:
            for index, item in queue:
                results[index] = await function(item)

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(pending)) or 1)))
        return results

    async def iter_pages(self, list_page: Callable[..., Awaitable[list[T]]], *args: Any,
                         **filters: QueryValue) -> AsyncIterator[T]:
        """Every item of a paged list, `MAX_LIMIT` at a time, e.g. `iter_pages(client.list_groups)`."""
        offset = 0
        while True:
            page = await list_page(*args, offset=offset, limit=MAX_LIMIT, **filters)
            for item in page:
                yield item
            if len(page) < MAX_LIMIT:
                return
            offset += len(page)

    async def _entities(self, operation: str, path: str, offset: int, limit: int,
                        filters: dict[str, QueryValue]) -> list[dict[str, Any]]:
        answer = await self.call(operation, "GET", path,
                                 params={"offset": offset, "limit": limit, **filters})
        return list(answer.get("entities") or [])

    async def _count(self, operation: str, path: str, filters: dict[str, QueryValue]) -> int:
        answer = await self.call(operation, "GET", path, params=filters)
        return int(answer["count"])

    # ------------------------------------------------------------ datapoints

    async def list_datapoints(self, offset: int = 0, limit: int = MAX_LIMIT,
                              **filters: QueryValue) -> list[dict[str, Any]]:
        """`GET /datapoints`: `[{id, uri}]`; filters as the API names them (type, status, tags...)."""
        return await self._entities("list_datapoints", "/datapoints", offset, limit, filters)

    async def count_datapoints(self, **filters: QueryValue) -> int:
        return await self._count("count_datapoints", "/datapoints/count", filters)

    async def get_datapoint(self, datapoint_id: int) -> dict[str, Any]:
        return await self.call("get_datapoint", "GET", f"/datapoints/{datapoint_id}")

    async def create_datapoint(self, datapoint: dict[str, Any]) -> dict[str, Any]:
        """`POST /datapoints`: `{id, uri}`. Never retried blindly (see `AmbiguousWriteError`)."""
        return await self.call("create_datapoint", "POST", "/datapoints", body=datapoint,
                               idempotent=False)

    async def update_datapoint(self, datapoint_id: int, datapoint: dict[str, Any]) -> dict[str, Any]:
        """`POST /datapoints/{id}`: fields present replace; tags and conversions are ignored."""
        return await self.call("update_datapoint", "POST", f"/datapoints/{datapoint_id}", body=datapoint)

    async def delete_datapoint(self, datapoint_id: int) -> dict[str, Any] | None:
        return await self.call("delete_datapoint", "DELETE", f"/datapoints/{datapoint_id}")

    async def create_datapoints_batch(self, datapoints: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """`PUT /datapoints/batch`: one result per item, in order. Never retried blindly."""
        answer = await self.call("create_datapoints_batch", "PUT", "/datapoints/batch",
                                 body={"List": _batch(datapoints)}, idempotent=False)
        return answer["results"]

    async def update_datapoints_batch(self, datapoints: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """`POST /datapoints/batch`: each item carries its `id`; one result per item."""
        answer = await self.call("update_datapoints_batch", "POST", "/datapoints/batch",
                                 body={"List": _batch(datapoints)})
        return answer["results"]

    async def delete_datapoints_batch(self, datapoint_ids: Sequence[int]) -> list[dict[str, Any]]:
        answer = await self.call("delete_datapoints_batch", "DELETE", "/datapoints/batch",
                                 body={"Entities": [{"id": i} for i in _batch(datapoint_ids)]})
        return answer["results"]

    async def toggle_datapoint_favourite(self, datapoint_id: int) -> dict[str, Any]:
        """`PUT /datapoints/{id}/favourite` flips the flag: repeating it undoes it, so never retried."""
        return await self.call("toggle_datapoint_favourite", "PUT", f"/datapoints/{datapoint_id}/favourite",
                               idempotent=False)

    async def set_datapoint_notes(self, datapoint_id: int, notes: str) -> dict[str, Any]:
        return await self.call("set_datapoint_notes", "PUT", f"/datapoints/{datapoint_id}/notes",
                               body={"Text": notes})

    # ------------------------------------------------------------ statistics

    async def summary_datapoints_page(self, time_frame: str = "beginning", offset: int = 0,
                                      limit: int = MAX_LIMIT, **filters: QueryValue) -> dict[str, Any]:
        """`GET /aggregated/summary/datapoints`: `{count, offset, limit, result}`, each result
        with its statistics and, in `entityData`, the datapoint itself."""
        return await self.call("summary_datapoints_page", "GET", "/aggregated/summary/datapoints",
                               params={"timeFrame": time_frame, "offset": offset, "limit": limit,
                                       **filters})

    async def iter_summary_datapoints(self, time_frame: str = "beginning",
                                      **filters: QueryValue) -> AsyncIterator[dict[str, Any]]:
        """Every summary result, `MAX_LIMIT` a page, until the answer's `count` is reached."""
        offset = 0
        while True:
            page = await self.summary_datapoints_page(time_frame, offset, MAX_LIMIT, **filters)
            results = page.get("result") or []
            for result in results:
                yield result
            offset += len(results)
            if len(results) < MAX_LIMIT or offset >= int(page.get("count") or 0):
                return

    async def datapoints_statistics(self, time_frame: str, datapoint_type: str,
                                    **filters: QueryValue) -> dict[str, Any]:
        """`GET /datapoints/aggregated`: totals over every datapoint of a type (tl/tp)."""
        return await self.call("datapoints_statistics", "GET", "/datapoints/aggregated",
                               params={"timeFrame": time_frame, "type": datapoint_type, **filters})

    async def datapoints_statistics_list(self, time_frame: str, datapoint_type: str,
                                         **filters: QueryValue) -> dict[str, Any]:
        """`GET /datapoints/aggregated/list`: totals broken down (`groupBy`)."""
        return await self.call("datapoints_statistics_list", "GET", "/datapoints/aggregated/list",
                               params={"timeFrame": time_frame, "type": datapoint_type, **filters})

    async def datapoint_statistics(self, datapoint_id: int, time_frame: str,
                                   **filters: QueryValue) -> dict[str, Any]:
        return await self.call("datapoint_statistics", "GET", f"/datapoints/{datapoint_id}/aggregated",
                               params={"timeFrame": time_frame, **filters})

    async def datapoint_statistics_list(self, datapoint_id: int, time_frame: str,
                                        **filters: QueryValue) -> dict[str, Any]:
        return await self.call("datapoint_statistics_list", "GET",
                               f"/datapoints/{datapoint_id}/aggregated/list",
                               params={"timeFrame": time_frame, **filters})

    async def datapoint_hits(self, datapoint_id: int, timeframe: str, **filters: QueryValue) -> dict[str, Any]:
        """`GET /datapoints/{id}/hits`: one page of the click stream (`offset` is the `lastKey`)."""
        return await self.call("datapoint_hits", "GET", f"/datapoints/{datapoint_id}/hits",
                               params={"timeframe": timeframe, **filters})

    async def datapoint_report(self, datapoint_id: int, report_type: str, timeframe: str,
                               **filters: QueryValue) -> Json:
        """`GET /datapoints/{id}/reports`: a top report (browsers, countries, referrers...)."""
        return await self.call("datapoint_report", "GET", f"/datapoints/{datapoint_id}/reports",
                               params={"type": report_type, "timeframe": timeframe, **filters})

    # ------------------------------------------------------------ groups

    async def list_groups(self, offset: int = 0, limit: int = MAX_LIMIT, **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_groups", "/groups", offset, limit, filters)

    async def count_groups(self, **filters: QueryValue) -> int:
        return await self._count("count_groups", "/groups/count", filters)

    async def get_group(self, group_id: int) -> dict[str, Any]:
        return await self.call("get_group", "GET", f"/groups/{group_id}")

    async def create_group(self, group: dict[str, Any]) -> dict[str, Any]:
        return await self.call("create_group", "POST", "/groups", body=group, idempotent=False)

    async def update_group(self, group_id: int, group: dict[str, Any]) -> dict[str, Any]:
        return await self.call("update_group", "POST", f"/groups/{group_id}", body=group)

    async def delete_group(self, group_id: int) -> dict[str, Any] | None:
        return await self.call("delete_group", "DELETE", f"/groups/{group_id}")

    async def list_group_datapoints(self, group_id: int, offset: int = 0, limit: int = MAX_LIMIT,
                                    **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_group_datapoints", f"/groups/{group_id}/datapoints",
                                    offset, limit, filters)

    async def count_group_datapoints(self, group_id: int, **filters: QueryValue) -> int:
        return await self._count("count_group_datapoints", f"/groups/{group_id}/datapoints/count", filters)

    async def create_group_datapoint(self, group_id: int, datapoint: dict[str, Any]) -> dict[str, Any]:
        """`POST /groups/{id}/datapoints`: a datapoint created in the group. Never retried blindly."""
        return await self.call("create_group_datapoint", "POST", f"/groups/{group_id}/datapoints",
                               body=datapoint, idempotent=False)

    # ------------------------------------------------------------ tags

    async def list_tags(self, offset: int = 0, limit: int = MAX_LIMIT, **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_tags", "/tags", offset, limit, filters)

    async def count_tags(self, **filters: QueryValue) -> int:
        return await self._count("count_tags", "/tags/count", filters)

    async def get_tag(self, tag_id: int) -> dict[str, Any]:
        """`GET /tags/{id}`: `{id, name, datapoints: [ids], groups: [ids]}`."""
        return await self.call("get_tag", "GET", f"/tags/{tag_id}")

    async def create_tag(self, name: str) -> dict[str, Any]:
        return await self.call("create_tag", "POST", "/tags", body={"name": name}, idempotent=False)

    async def delete_tag(self, tag_id: int) -> Json:
        return await self.call("delete_tag", "DELETE", f"/tags/{tag_id}")

    async def rename_tag(self, tag_id: int, name: str) -> dict[str, Any]:
        return await self.call("rename_tag", "PUT", f"/tags/{tag_id}/name", body={"Text": name})

    async def patch_tag_datapoint(self, tag_id: int, action: str, datapoint_id: int) -> dict[str, Any]:
        """`PUT /tags/{tagId}/datapoints/patch`: add (`"add"`) or remove (`"remove"`) one datapoint."""
        return await self.call("patch_tag_datapoint", "PUT", f"/tags/{tag_id}/datapoints/patch",
                               body={"Action": action, "Id": datapoint_id})

    async def patch_tag_group(self, tag_id: int, action: str, group_id: int) -> dict[str, Any]:
        return await self.call("patch_tag_group", "PUT", f"/tags/{tag_id}/groups/patch",
                               body={"Action": action, "Id": group_id})

    async def list_tag_datapoints(self, tag_id: int, offset: int = 0, limit: int = MAX_LIMIT,
                                  **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_tag_datapoints", f"/tags/{tag_id}/datapoints",
                                    offset, limit, filters)

    async def count_tag_datapoints(self, tag_id: int, **filters: QueryValue) -> int:
        return await self._count("count_tag_datapoints", f"/tags/{tag_id}/datapoints/count", filters)

    async def untag_all_datapoints(self, tag_id: int) -> Json:
        """`DELETE /tags/{tagId}/datapoints`: the tag leaves every datapoint (the tag stays)."""
        return await self.call("untag_all_datapoints", "DELETE", f"/tags/{tag_id}/datapoints")

    # ------------------------------------------------------------ conversions

    async def list_conversions(self, offset: int = 0, limit: int = MAX_LIMIT,
                               **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_conversions", "/conversions", offset, limit, filters)

    async def count_conversions(self, **filters: QueryValue) -> int:
        return await self._count("count_conversions", "/conversions/count", filters)

    async def get_conversion(self, conversion_id: int) -> dict[str, Any]:
        return await self.call("get_conversion", "GET", f"/conversions/{conversion_id}")

    async def create_conversion(self, conversion: dict[str, Any]) -> dict[str, Any]:
        return await self.call("create_conversion", "POST", "/conversions", body=conversion,
                               idempotent=False)

    async def update_conversion(self, conversion_id: int, conversion: dict[str, Any]) -> dict[str, Any]:
        return await self.call("update_conversion", "POST", f"/conversions/{conversion_id}", body=conversion)

    async def delete_conversion(self, conversion_id: int) -> dict[str, Any] | None:
        return await self.call("delete_conversion", "DELETE", f"/conversions/{conversion_id}")

    async def list_conversion_datapoints(self, conversion_id: int, offset: int = 0, limit: int = MAX_LIMIT,
                                         **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_conversion_datapoints", f"/conversions/{conversion_id}/datapoints",
                                    offset, limit, filters)

    async def count_conversion_datapoints(self, conversion_id: int, **filters: QueryValue) -> int:
        return await self._count("count_conversion_datapoints",
                                 f"/conversions/{conversion_id}/datapoints/count", filters)

    async def patch_conversion_datapoint(self, conversion_id: int, action: str, datapoint_id: int,
                                         replace_id: int | None = None) -> dict[str, Any]:
        """`PUT /conversions/{id}/datapoints/patch`: link or unlink one datapoint."""
        body: dict[str, Any] = {"Action": action, "Id": datapoint_id}
        if replace_id is not None:
            body["ReplaceId"] = replace_id
        return await self.call("patch_conversion_datapoint", "PUT",
                               f"/conversions/{conversion_id}/datapoints/patch", body=body)

    async def patch_conversion_datapoints_batch(self, conversion_id: int,
                                                changes: Sequence[tuple[str, int]]) -> dict[str, Any]:
        """`PUT /conversions/{id}/datapoints/batch/patch`: `(action, datapoint_id)` pairs."""
        requests = [{"Action": action, "Id": datapoint_id} for action, datapoint_id in _batch(changes)]
        return await self.call("patch_conversion_datapoints_batch", "PUT",
                               f"/conversions/{conversion_id}/datapoints/batch/patch",
                               body={"PatchRequests": requests})

    # ------------------------------------------------------------ domains, retargeting, account

    async def list_domains(self, offset: int = 0, limit: int = MAX_LIMIT, **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_domains", "/domains", offset, limit, filters)

    async def count_domains(self, **filters: QueryValue) -> int:
        return await self._count("count_domains", "/domains/count", filters)

    async def get_domain(self, domain_id: int) -> dict[str, Any]:
        return await self.call("get_domain", "GET", f"/domains/{domain_id}")

    async def create_domain(self, domain: dict[str, Any]) -> dict[str, Any]:
        return await self.call("create_domain", "POST", "/domains", body=domain, idempotent=False)

    async def list_retargeting(self, offset: int = 0, limit: int = MAX_LIMIT,
                               **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_retargeting", "/retargeting", offset, limit, filters)

    async def count_retargeting(self) -> int:
        return await self._count("count_retargeting", "/retargeting/count", {})

    async def get_retargeting(self, script_id: int) -> dict[str, Any]:
        return await self.call("get_retargeting", "GET", f"/retargeting/{script_id}")

    async def create_retargeting(self, script: dict[str, Any]) -> dict[str, Any]:
        return await self.call("create_retargeting", "POST", "/retargeting", body=script, idempotent=False)

    async def delete_retargeting(self, script_id: int) -> dict[str, Any] | None:
        return await self.call("delete_retargeting", "DELETE", f"/retargeting/{script_id}")

    async def list_retargeting_datapoints(self, script_id: int, offset: int = 0, limit: int = MAX_LIMIT,
                                          **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_retargeting_datapoints", f"/retargeting/{script_id}/datapoints",
                                    offset, limit, filters)

    async def count_retargeting_datapoints(self, script_id: int, **filters: QueryValue) -> int:
        return await self._count("count_retargeting_datapoints",
                                 f"/retargeting/{script_id}/datapoints/count", filters)

    async def get_account(self) -> dict[str, Any]:
        return await self.call("get_account", "GET", "/account")


def _json_or_text(response: httpx.Response) -> Json:
    try:
        return response.json()
    except ValueError:
        return [{"errorMessage": response.text[:200]}]
