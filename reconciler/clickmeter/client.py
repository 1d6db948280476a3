"""The ClickMeter v2 API: one method per operation the reconciler uses.

Method names say what each call does (`get_datapoint`, `create_datapoints_batch`,
`patch_tag_datapoint`, `summary_datapoints_page`...); wrappers are written and
batch answers read by `wire`, entities are passed as the wire has them.
Everything about sending (rate limit, concurrency, retries, counting) is
`ApiSession`'s; here only creates and the favourite toggle are marked
non-idempotent, so that they are never retried blindly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, TypeVar

from reconciler.apishapes import MAX_BATCH, MAX_LIMIT
from reconciler.clickmeter import wire
from reconciler.clickmeter.session import ApiSession, Json, QueryValue
from reconciler.clickmeter.wire import BatchResult

T = TypeVar("T")


def _results(answer: Any) -> list[BatchResult]:
    results = wire.batch_results(answer)
    if results is None:
        raise wire.WireError("a batch call was answered without `results`")
    return results


def _batch(items: Sequence[T]) -> list[T]:
    if len(items) > MAX_BATCH:
        raise ValueError(f"a batch holds at most {MAX_BATCH} items, got {len(items)}")
    return list(items)


class ClickMeterClient(ApiSession):
    """The ClickMeter v2 API; `calls` counts requests under each method's name."""

    async def _object(self, operation: str, method: str, path: str, **sending: Any) -> dict[str, Any]:
        """`call` for an operation answered with one JSON object; anything else is a `WireError`."""
        answer = await self._object_or_none(operation, method, path, **sending)
        if answer is None:
            raise wire.WireError(f"{method} {path} was answered without a JSON object")
        return answer

    async def _object_or_none(self, operation: str, method: str, path: str,
                              **sending: Any) -> dict[str, Any] | None:
        """`call` for an operation answered with one JSON object or nothing (a delete)."""
        answer = await self.call(operation, method, path, **sending)
        if answer is None or isinstance(answer, dict):
            return answer
        raise wire.WireError(f"{method} {path} was answered with {type(answer).__name__}, not a JSON object")

    # ------------------------------------------------------------ datapoints

    async def list_datapoints(self, offset: int = 0, limit: int = MAX_LIMIT,
                              **filters: QueryValue) -> list[dict[str, Any]]:
        """`GET /datapoints`: `[{id, uri}]`; filters as the API names them (type, status, tags...)."""
        return await self._entities("list_datapoints", "/datapoints", offset, limit, filters)

    async def count_datapoints(self, **filters: QueryValue) -> int:
        return await self._count("count_datapoints", "/datapoints/count", filters)

    async def get_datapoint(self, datapoint_id: int) -> dict[str, Any]:
        return await self._object("get_datapoint", "GET", f"/datapoints/{datapoint_id}")

    async def create_datapoint(self, datapoint: dict[str, Any]) -> dict[str, Any]:
        """`POST /datapoints`: `{id, uri}`. Never retried blindly (see `AmbiguousWriteError`)."""
        return await self._object("create_datapoint", "POST", "/datapoints", body=datapoint,
                                  idempotent=False)

    async def update_datapoint(self, datapoint_id: int, datapoint: dict[str, Any]) -> dict[str, Any]:
        """`POST /datapoints/{id}`: fields present replace; tags and conversions are ignored."""
        return await self._object("update_datapoint", "POST", f"/datapoints/{datapoint_id}", body=datapoint)

    async def delete_datapoint(self, datapoint_id: int) -> dict[str, Any] | None:
        return await self._object_or_none("delete_datapoint", "DELETE", f"/datapoints/{datapoint_id}")

    async def create_datapoints_batch(self, datapoints: Sequence[dict[str, Any]]) -> list[BatchResult]:
        """`PUT /datapoints/batch`: one result per item, in order. Never retried blindly."""
        answer = await self.call("create_datapoints_batch", "PUT", "/datapoints/batch",
                                 body=wire.batch_body(_batch(datapoints)), idempotent=False)
        return _results(answer)

    async def update_datapoints_batch(self, datapoints: Sequence[dict[str, Any]]) -> list[BatchResult]:
        """`POST /datapoints/batch`: each item carries its `id`; one result per item."""
        answer = await self.call("update_datapoints_batch", "POST", "/datapoints/batch",
                                 body=wire.batch_body(_batch(datapoints)))
        return _results(answer)

    async def delete_datapoints_batch(self, datapoint_ids: Sequence[int]) -> list[BatchResult]:
        answer = await self.call("delete_datapoints_batch", "DELETE", "/datapoints/batch",
                                 body=wire.delete_batch_body(_batch(datapoint_ids)))
        return _results(answer)

    async def toggle_datapoint_favourite(self, datapoint_id: int) -> dict[str, Any]:
        """`PUT /datapoints/{id}/favourite` flips the flag: repeating it undoes it, so never retried."""
        return await self._object("toggle_datapoint_favourite", "PUT", f"/datapoints/{datapoint_id}/favourite",
                                  idempotent=False)

    async def set_datapoint_notes(self, datapoint_id: int, notes: str) -> dict[str, Any]:
        return await self._object("set_datapoint_notes", "PUT", f"/datapoints/{datapoint_id}/notes",
                                  body={"Text": notes})

    # ------------------------------------------------------------ statistics

    async def summary_datapoints_page(self, time_frame: str = "beginning", offset: int = 0,
                                      limit: int = MAX_LIMIT, **filters: QueryValue) -> dict[str, Any]:
        """`GET /aggregated/summary/datapoints`: `{count, offset, limit, result}`, each result
        with its statistics and, in `entityData`, the datapoint itself."""
        return await self._object("summary_datapoints_page", "GET", "/aggregated/summary/datapoints",
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
        return await self._object("datapoints_statistics", "GET", "/datapoints/aggregated",
                                  params={"timeFrame": time_frame, "type": datapoint_type, **filters})

    async def datapoints_statistics_list(self, time_frame: str, datapoint_type: str,
                                         **filters: QueryValue) -> dict[str, Any]:
        """`GET /datapoints/aggregated/list`: totals broken down (`groupBy`)."""
        return await self._object("datapoints_statistics_list", "GET", "/datapoints/aggregated/list",
                                  params={"timeFrame": time_frame, "type": datapoint_type, **filters})

    async def datapoint_statistics(self, datapoint_id: int, time_frame: str,
                                   **filters: QueryValue) -> dict[str, Any]:
        return await self._object("datapoint_statistics", "GET", f"/datapoints/{datapoint_id}/aggregated",
                                  params={"timeFrame": time_frame, **filters})

    async def datapoint_statistics_list(self, datapoint_id: int, time_frame: str,
                                        **filters: QueryValue) -> dict[str, Any]:
        return await self._object("datapoint_statistics_list", "GET",
                                  f"/datapoints/{datapoint_id}/aggregated/list",
                                  params={"timeFrame": time_frame, **filters})

    async def datapoint_hits(self, datapoint_id: int, timeframe: str, **filters: QueryValue) -> dict[str, Any]:
        """`GET /datapoints/{id}/hits`: one page of the click stream (`offset` is the `lastKey`)."""
        return await self._object("datapoint_hits", "GET", f"/datapoints/{datapoint_id}/hits",
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
        return await self._object("get_group", "GET", f"/groups/{group_id}")

    async def create_group(self, group: dict[str, Any]) -> dict[str, Any]:
        return await self._object("create_group", "POST", "/groups", body=group, idempotent=False)

    async def update_group(self, group_id: int, group: dict[str, Any]) -> dict[str, Any]:
        return await self._object("update_group", "POST", f"/groups/{group_id}", body=group)

    async def delete_group(self, group_id: int) -> dict[str, Any] | None:
        return await self._object_or_none("delete_group", "DELETE", f"/groups/{group_id}")

    async def list_group_datapoints(self, group_id: int, offset: int = 0, limit: int = MAX_LIMIT,
                                    **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_group_datapoints", f"/groups/{group_id}/datapoints",
                                    offset, limit, filters)

    async def count_group_datapoints(self, group_id: int, **filters: QueryValue) -> int:
        return await self._count("count_group_datapoints", f"/groups/{group_id}/datapoints/count", filters)

    async def create_group_datapoint(self, group_id: int, datapoint: dict[str, Any]) -> dict[str, Any]:
        """`POST /groups/{id}/datapoints`: a datapoint created in the group. Never retried blindly."""
        return await self._object("create_group_datapoint", "POST", f"/groups/{group_id}/datapoints",
                                  body=datapoint, idempotent=False)

    # ------------------------------------------------------------ tags

    async def list_tags(self, offset: int = 0, limit: int = MAX_LIMIT, **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_tags", "/tags", offset, limit, filters)

    async def count_tags(self, **filters: QueryValue) -> int:
        return await self._count("count_tags", "/tags/count", filters)

    async def get_tag(self, tag_id: int) -> dict[str, Any]:
        """`GET /tags/{id}`: `{id, name, datapoints: [ids], groups: [ids]}`."""
        return await self._object("get_tag", "GET", f"/tags/{tag_id}")

    async def create_tag(self, name: str) -> dict[str, Any]:
        return await self._object("create_tag", "POST", "/tags", body={"name": name}, idempotent=False)

    async def delete_tag(self, tag_id: int) -> Json:
        return await self.call("delete_tag", "DELETE", f"/tags/{tag_id}")

    async def rename_tag(self, tag_id: int, name: str) -> dict[str, Any]:
        return await self._object("rename_tag", "PUT", f"/tags/{tag_id}/name", body={"Text": name})

    async def patch_tag_datapoint(self, tag_id: int, action: str, datapoint_id: int) -> dict[str, Any]:
        """`PUT /tags/{tagId}/datapoints/patch`: add (`"add"`) or remove (`"remove"`) one datapoint."""
        return await self._object("patch_tag_datapoint", "PUT", f"/tags/{tag_id}/datapoints/patch",
                                  body=wire.patch_body(action, datapoint_id))

    async def patch_tag_group(self, tag_id: int, action: str, group_id: int) -> dict[str, Any]:
        return await self._object("patch_tag_group", "PUT", f"/tags/{tag_id}/groups/patch",
                                  body=wire.patch_body(action, group_id))

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
        return await self._object("get_conversion", "GET", f"/conversions/{conversion_id}")

    async def create_conversion(self, conversion: dict[str, Any]) -> dict[str, Any]:
        return await self._object("create_conversion", "POST", "/conversions", body=conversion,
                                  idempotent=False)

    async def update_conversion(self, conversion_id: int, conversion: dict[str, Any]) -> dict[str, Any]:
        return await self._object("update_conversion", "POST", f"/conversions/{conversion_id}", body=conversion)

    async def delete_conversion(self, conversion_id: int) -> dict[str, Any] | None:
        return await self._object_or_none("delete_conversion", "DELETE", f"/conversions/{conversion_id}")

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
        body: dict[str, Any] = wire.patch_body(action, datapoint_id)
        if replace_id is not None:
            body["replaceId"] = replace_id
        return await self._object("patch_conversion_datapoint", "PUT",
                                  f"/conversions/{conversion_id}/datapoints/patch", body=body)

    async def patch_conversion_datapoints_batch(self, conversion_id: int,
                                                changes: Sequence[tuple[str, int]]) -> dict[str, Any]:
        """`PUT /conversions/{id}/datapoints/batch/patch`: `(action, datapoint_id)` pairs."""
        requests = [wire.patch_body(action, datapoint_id) for action, datapoint_id in _batch(changes)]
        return await self._object("patch_conversion_datapoints_batch", "PUT",
                                  f"/conversions/{conversion_id}/datapoints/batch/patch",
                                  body={"patchRequests": requests})

    # ------------------------------------------------------------ domains, retargeting, account

    async def list_domains(self, offset: int = 0, limit: int = MAX_LIMIT,
                           **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_domains", "/domains", offset, limit, filters)

    async def count_domains(self, **filters: QueryValue) -> int:
        return await self._count("count_domains", "/domains/count", filters)

    async def get_domain(self, domain_id: int) -> dict[str, Any]:
        return await self._object("get_domain", "GET", f"/domains/{domain_id}")

    async def create_domain(self, domain: dict[str, Any]) -> dict[str, Any]:
        return await self._object("create_domain", "POST", "/domains", body=domain, idempotent=False)

    async def list_retargeting(self, offset: int = 0, limit: int = MAX_LIMIT,
                               **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_retargeting", "/retargeting", offset, limit, filters)

    async def count_retargeting(self) -> int:
        return await self._count("count_retargeting", "/retargeting/count", {})

    async def get_retargeting(self, script_id: int) -> dict[str, Any]:
        return await self._object("get_retargeting", "GET", f"/retargeting/{script_id}")

    async def create_retargeting(self, script: dict[str, Any]) -> dict[str, Any]:
        return await self._object("create_retargeting", "POST", "/retargeting", body=script, idempotent=False)

    async def delete_retargeting(self, script_id: int) -> dict[str, Any] | None:
        return await self._object_or_none("delete_retargeting", "DELETE", f"/retargeting/{script_id}")

    async def list_retargeting_datapoints(self, script_id: int, offset: int = 0, limit: int = MAX_LIMIT,
                                          **filters: QueryValue) -> list[dict[str, Any]]:
        return await self._entities("list_retargeting_datapoints", f"/retargeting/{script_id}/datapoints",
                                    offset, limit, filters)

    async def count_retargeting_datapoints(self, script_id: int, **filters: QueryValue) -> int:
        return await self._count("count_retargeting_datapoints",
                                 f"/retargeting/{script_id}/datapoints/count", filters)

    async def get_account(self) -> dict[str, Any]:
        return await self._object("get_account", "GET", "/account")
