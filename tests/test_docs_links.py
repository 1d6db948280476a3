"""README.md and docs/ stay one connected, truthful set of pages.

Every relative link (and its `#anchor`) resolves, every page under docs/ is
reachable from some other page, and the README's first walkthrough prints
the lines it shows when run as written.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
HEADING = re.compile(r"^#{1,6} +(.+?) *$", re.M)


def _prose(page: Path) -> str:
    """The page without its code blocks, where brackets are code, not links."""
    return FENCE.sub("", page.read_text(encoding="utf-8"))


def _links(page: Path) -> list[str]:
    return [target for target in LINK.findall(_prose(page))
            if not re.match(r"[a-z]+:", target)]


def _anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to `-`, repeats numbered."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in HEADING.findall(_prose(page)):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _broken(page: Path, target: str) -> str | None:
    path, _, anchor = target.partition("#")
    resolved = (page.parent / path).resolve() if path else page
    if not resolved.exists():
        return f"{page.relative_to(ROOT)}: {target}: no such file"
    if anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
        return f"{page.relative_to(ROOT)}: {target}: no heading #{anchor}"
    return None


def test_every_relative_link_resolves_to_a_file_and_heading() -> None:
    broken = [problem for page in PAGES for target in _links(page)
              if (problem := _broken(page, target))]
    assert broken == []


def test_every_docs_page_is_linked_from_another_page() -> None:
    linked = {(page.parent / target.partition("#")[0]).resolve()
              for page in PAGES for target in _links(page) if target.partition("#")[0]}
    unlinked = [page.name for page in PAGES[1:] if page.resolve() not in linked]
    assert unlinked == []


def test_readme_walkthrough_prints_what_it_shows(tmp_path: Path) -> None:
    """Each `$ command` of the README's console blocks, run in order on a copy of examples/."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {key: value for key, value in os.environ.items()
           if key not in {"CLICKMETER_TARGET", "CLICKMETER_API_KEY", "CLICKMETER_LOCAL_SERVICE",
                          "SPRING_LINK_PASSWORD"}}
    blocks = re.findall(r"^```console\n(.*?)^```", (ROOT / "README.md").read_text(encoding="utf-8"),
                        re.S | re.M)
    runs = [run for block in blocks for run in re.split(r"^\$ ", block, flags=re.M)[1:]]
    assert len(runs) == 6
    for run in runs:
        command, *shown = run.splitlines()
        words = shlex.split(command)
        assert words[0] == "clickmeter-reconciler"
        done = subprocess.run([sys.executable, "-m", "reconciler", *words[1:]], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        printed = (done.stdout + done.stderr).splitlines()
        assert done.returncode == 0, (command, done.stderr)
        assert [line for line in shown if line.strip() not in ("", "...") and line not in printed] == [], command
