"""`validate` refuses what the server would refuse (issue 15, items 2 and 7)."""

from __future__ import annotations

import re
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler import apishapes
from reconciler.apishapes import MAX_URL_LENGTH, url_problem
from reconciler.manifests import ManifestError, load_manifests
from tests.helpers import run_local


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as raised:
        load_manifests([str(path)])
    return [str(problem).removeprefix(f"{path}:") for problem in raised.value.problems]


@pytest.mark.parametrize(("url", "reason"), [
    ("http://[::1/", "is not a valid URL (a bad IPv6 literal in brackets)"),
    ("http://x]/", "is not a valid URL (a bad IPv6 literal in brackets)"),
    ("http://[zz]/", "is not a valid URL (a bad IPv6 literal in brackets)"),
    ("http://shop.example.com:99999/", "is not a valid URL (a bad port)"),
    ("http://shop.example.com/\\x9bx", "must not hold spaces or control characters"),
    ("http://shop.example.com/\\x1bx", "must not hold spaces or control characters"),
])
def test_a_url_the_server_would_refuse_fails_validate(tmp_path: Path, url: str, reason: str) -> None:
    text = f'datapoints:\n  - name: spring\n    url: "{url}"\n'
    assert _problems(tmp_path, text) == [f"3:10: datapoints[0].url: the url {reason}"]


@pytest.mark.parametrize("url", ["http://[::1]:8080/x", "https://shop.example.com/a?b=c#d",
                                 "HTTP://EXAMPLE.COM", "https://" + "a" * (MAX_URL_LENGTH - 8)])
def test_good_urls_pass_the_rule(url: str) -> None:
    assert url_problem(url) is None


def test_the_rule_bounds_length_and_scheme() -> None:
    assert url_problem("https://" + "a" * MAX_URL_LENGTH) == (
        f"must be at most {MAX_URL_LENGTH} characters long (it has {MAX_URL_LENGTH + 8})")
    assert url_problem("ftp://x/") == "must be an absolute http:// or https:// URL"
    assert url_problem("http:///x") == "must name a host (http://host/...)"


@given(st.from_regex(r"\A(https?|HTTPS?|ftp)://[A-Za-z0-9.\-@:\[\]]{0,12}([/?#].{0,20})?\Z"))
def test_the_plain_url_shortcut_only_takes_what_the_whole_rule_takes(url: str) -> None:
    """`url_problem` skips splitting a plain url: the whole rule must agree on every one it skips."""
    plain = apishapes._PLAIN_URL.fullmatch(url) is not None
    with mock.patch.object(apishapes, "_PLAIN_URL", re.compile("(?!)")):  # never matches: the whole rule decides
        whole_rule = url_problem(url)
    assert not plain or whole_rule is None


def test_plan_refuses_a_bad_url_before_any_call(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text('datapoints:\n  - name: a\n    url: "http://[zz]/"\n')
    result = run_local(tmp_path / "local.db", "plan", str(tmp_path / "m.yaml"))
    assert result.exit_code == 1
    assert "datapoints[0].url: the url is not a valid URL" in result.output


@pytest.mark.parametrize("section", ["groups", "tags", "conversions"])
@pytest.mark.parametrize("char", ["\n", "\t", "\r", "\x1b", "\x00", "\x7f", "\x85", "\x9b"])
def test_names_with_control_characters_are_refused(tmp_path: Path, section: str, char: str) -> None:
    name = f"spring{char}sale".encode("unicode_escape").decode()
    problems = _problems(tmp_path, f'{section}:\n  - name: "{name}"\n')
    assert problems == ["2:11: " + f"{section}[0].name: a name must not start or end with a space or hold "
                        f"control characters; got {f'spring{char}sale'!r}"]


@pytest.mark.parametrize("value", ["1e999", ".inf", ".nan", "-.inf"])
def test_non_finite_conversion_values_are_refused(tmp_path: Path, value: str) -> None:
    problems = _problems(tmp_path, f"conversions:\n  - name: signup\n    value: {value}\n")
    assert len(problems) == 1 and problems[0].startswith("3:12: conversions[0].value: ")


def test_an_id_the_server_cannot_hold_is_refused(tmp_path: Path) -> None:
    text = "datapoints:\n  - name: a\n    url: https://x.example/\n    id: 9223372036854775808\n"
    assert _problems(tmp_path, text) == [
        "4:9: datapoints[0].id: must be at most 9223372036854775807; got 9223372036854775808 (a number)"]


def test_a_1mb_password_variable_name_is_refused_and_not_echoed(tmp_path: Path) -> None:
    text = "datapoints:\n  - name: a\n    url: https://x.example/\n    password: {env: " + "V" * 1_000_000 + "}\n"
    assert _problems(tmp_path, text) == [
        "4:21: datapoints[0].password.env: must be at most 200 characters long (it has 1000000)"]


@pytest.mark.parametrize(("text", "expected"), [
    ('groups:\n  - name: "spring\\u202e"\n',
     "2:11: groups[0].name: the name must not hold control characters, line separators or "
     "bidirectional overrides (it holds U+202E)"),
    ('tags:\n  - name: "line\\u2028break"\n',
     "2:11: tags[0].name: the name must not hold control characters, line separators or "
     "bidirectional overrides (it holds U+2028)"),
    ('datapoints:\n  - name: sale\n    url: https://shop.example.com/\n    notes: "bell\\x07"\n',
     "4:12: datapoints[0].notes: the notes must not hold control characters other than tabs and "
     "line breaks (it holds U+0007)"),
    ('datapoints:\n  - name: sale\n    url: https://shop.example.com/\n    tags: ["a\\u2066b"]\n',
     "4:11: datapoints[0].tags: the tag 'a\\u2066b' must not hold control characters, line separators "
     "or bidirectional overrides (it holds U+2066)"),
    ('conversions:\n  - name: signup\n    value: 1.0e+30\n',
     "3:12: conversions[0].value: the value must be at most 7.923e+28 (a .NET decimal)"),
])
def test_names_texts_and_values_the_server_refuses_fail_validate(tmp_path: Path, text: str,
                                                                  expected: str) -> None:
    assert _problems(tmp_path, text) == [expected]
