"""Whatever a service answers, an API error is one line naming the call and its status."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.clickmeter.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    ServerError,
    error_for_status,
)

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
failures = st.lists(st.fixed_dictionaries({}, optional={
    "property": st.none() | st.text(), "errorMessage": st.none() | st.text(),
    "errorValue": json_values, "code": st.none() | st.text()}), max_size=4)


@settings(max_examples=40)
@given(status=st.sampled_from([400, 401, 404, 409, 418, 500, 503]), body=failures | json_values)
def test_any_answer_is_one_line(status: int, body: object) -> None:
    line = str(error_for_status("PUT", "/tags/3/datapoints/patch", status, body))
    assert line.startswith(f"PUT /tags/3/datapoints/patch -> {status}")
    assert "\n" not in line and "\r" not in line


def test_each_status_has_its_type_and_the_service_message() -> None:
    body = [{"property": "name", "errorMessage": "name already used", "code": "invalid"},
            {"property": "limit", "errorMessage": "must be 1..100", "code": "invalid"}]
    error = error_for_status("POST", "/groups", 400, body)
    assert isinstance(error, BadRequestError)
    assert str(error) == "POST /groups -> 400: name already used; limit: must be 1..100"
    assert isinstance(error_for_status("GET", "/x", 401, []), AuthenticationError)
    assert isinstance(error_for_status("GET", "/x", 404, []), NotFoundError)
    assert isinstance(error_for_status("GET", "/x", 502, []), ServerError)
    assert type(error_for_status("GET", "/x", 418, [])) is ApiError
