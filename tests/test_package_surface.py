"""The package layout stays as docs/api.md draws it.

Each package's `__all__` is what the doc lists, the error tree in
`reconciler/errors.py` names every `ReconcilerError` subclass, imports flow one
way (read from the source with `ast`, so that a lazy import counts too), and
no constant is held twice.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

import reconciler
from reconciler.errors import ReconcilerError

ROOT = Path(reconciler.__file__).parent
API_DOC = ROOT.parent / "docs" / "api.md"

# How far down the flow each part sits: a module imports only parts below its own
# (or its own part). `server` sits apart: see test_the_server_shares_only_apishapes.
RANKS = {
    "apishapes": 0, "errors": 0, "terminal": 0,
    "model": 1, "safe_files": 1,
    "manifests": 2, "clickmeter": 2, "server": 2,
    "target": 3,
    "": 3.5,  # reconciler/__init__.py: the error base, the target, the version
    "live": 4,
    "plan": 5,
    "render": 6,
    "apply": 7, "export": 7, "stats": 7, "show": 7,
    "cli": 8,
    "__main__": 9,
}
SERVER_MAY_IMPORT = {"apishapes", "errors"}  # the wire shapes, and the base of ServeError
MAY_IMPORT_SERVER = {"target", "cli"}  # target runs the local service; cli runs `serve`


# ---------------------------------------------------------------- the source, read


def _modules() -> dict[str, ast.Module]:
    """Every module under reconciler/, by dotted name, parsed."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text("utf-8"), str(path))
    return found


MODULES = _modules()


def _part(module: str) -> str:
    """The part of the flow a module belongs to: its sub-package, the top-level module itself,
    or "" for the top-level package."""
    return module.split(".")[1] if "." in module else ""


def _part_package(module: str) -> str:
    """The dotted name of the part `module` belongs to (`reconciler.render` for `reconciler.render.text`)."""
    return ".".join(module.split(".")[:2])


def _imports(module: str, tree: ast.Module) -> Iterator[str]:
    """The reconciler modules `module` imports, anywhere in it (lazy and TYPE_CHECKING ones too)."""
    package = module if module in _packages() else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("reconciler."))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}".rstrip(".")
            if base.startswith("reconciler."):
                yield base
            elif base == "reconciler":  # a sub-module, or a name of the top-level package
                yield from (f"reconciler.{alias.name}" if f"reconciler.{alias.name}" in MODULES else base
                            for alias in node.names)


def _packages() -> set[str]:
    return {path.parent.relative_to(ROOT.parent).as_posix().replace("/", ".") for path in ROOT.rglob("__init__.py")}


def _edges() -> list[tuple[str, str]]:
    """(importer, imported part's module) for every import between two different parts."""
    return [(module, imported) for module, tree in MODULES.items() for imported in _imports(module, tree)
            if _part(imported) != _part(module)]


def _doc_tables() -> dict[str, list[str]]:
    """docs/api.md's tables: package -> the names in its first column."""
    tables: dict[str, list[str]] = {}
    current = None
    for line in API_DOC.read_text("utf-8").splitlines():
        if heading := re.fullmatch(r"## `(reconciler(?:\.\w+)?)`", line):
            current = heading.group(1)
            tables[current] = []
        elif line.startswith("## "):
            current = None
        elif current and (row := re.match(r"\| `(\w+)` \|", line)):
            tables[current].append(row.group(1))
    return tables


def _tree_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if re.search(r"\w+Error \(reconciler[\w.]*\)$", line)]


def _drawn_tree(lines: list[str]) -> dict[str, tuple[str, str | None]]:
    """error name -> (its module, its parent's name) as the drawing shows them."""
    drawn: dict[str, tuple[str, str | None]] = {}
    parents: list[str] = []
    for line in lines:
        match = re.fullmatch(r"(?P<indent>(?:[│ ]   )*)(?:[├└]── )?(?P<name>\w+) \((?P<module>[\w.]+)\)", line)
        assert match, f"cannot read this line of the error tree: {line!r}"
        depth = len(match["indent"]) // 4 + (1 if line[len(match["indent"])] in "├└" else 0)
        del parents[depth:]
        drawn[match["name"]] = (match["module"], parents[-1] if parents else None)
        parents.append(match["name"])
    return drawn


def _walked_errors() -> dict[str, tuple[str, str | None]]:
    """Every ReconcilerError subclass in the package, imported: name -> (module, parent's name)."""
    for info in pkgutil.walk_packages(reconciler.__path__, "reconciler."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found: dict[str, tuple[str, str | None]] = {"ReconcilerError": ("reconciler.errors", None)}
    pending = [ReconcilerError]
    while pending:
        parent = pending.pop()
        for error in parent.__subclasses__():
            if error.__module__.startswith("reconciler."):
                found[error.__name__] = (error.__module__, parent.__name__)
                pending.append(error)
    return found


# ---------------------------------------------------------------- public names


@pytest.mark.parametrize("package", sorted(_doc_tables()))
def test_each_package_exports_what_docs_api_lists(package: str) -> None:
    exported = importlib.import_module(package).__all__
    assert len(set(exported)) == len(exported), f"{package}.__all__ names something twice"
    assert sorted(exported) == sorted(_doc_tables()[package])


@pytest.mark.parametrize("package", sorted(_doc_tables()))
def test_every_exported_name_exists(package: str) -> None:
    module = importlib.import_module(package)
    assert [name for name in module.__all__ if not hasattr(module, name)] == []


def test_every_sub_package_has_an_all_and_a_table() -> None:
    packages = {name for name in _packages() if name.count(".") == 1}
    assert {name for name in packages if not hasattr(importlib.import_module(name), "__all__")} == set()
    assert set(_doc_tables()) == packages | {"reconciler"}


def test_the_error_tree_in_errors_py_lists_every_reconciler_error_where_it_lives() -> None:
    assert _drawn_tree(_tree_lines(importlib.import_module("reconciler.errors").__doc__ or "")) == _walked_errors()


def test_docs_api_draws_the_same_error_tree() -> None:
    assert _tree_lines(API_DOC.read_text("utf-8")) == _tree_lines(reconciler.errors.__doc__ or "")


# ---------------------------------------------------------------- the layout


def test_nothing_imports_the_cli() -> None:
    importers = {module for module, imported in _edges() if _part(imported) == "cli"}
    assert importers == {"reconciler.__main__"}  # `python -m reconciler` is the CLI itself


def test_every_module_belongs_to_a_part_of_the_flow() -> None:
    assert {_part(module) for module in MODULES} <= set(RANKS)


def test_imports_flow_one_way() -> None:
    upward = {(module, _part_package(imported)) for module, imported in _edges()
              if _part(imported) != "server" and _part(module) != "server"
              and RANKS[_part(imported)] >= RANKS[_part(module)]}
    assert upward == set()


def test_no_part_imports_another_parts_private_names() -> None:
    private = {(module, f"{node.module}.{alias.name}") for module, tree in MODULES.items() for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reconciler")
               and _part(node.module or "") != _part(module)
               for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")}
    assert private == set()


def test_the_server_shares_only_apishapes_with_the_client_side() -> None:
    from_server = {imported for module, imported in _edges()
                   if _part(module) == "server" and _part(imported) not in SERVER_MAY_IMPORT}
    into_server = {module for module, imported in _edges()
                   if _part(imported) == "server" and _part(module) not in MAY_IMPORT_SERVER}
    assert (from_server, into_server) == (set(), set())


def _constants() -> Iterator[tuple[str, str, str]]:
    """(name, value's repr, module) for every module-level UPPER_CASE name bound to a literal."""
    for module, tree in MODULES.items():
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and re.fullmatch(r"_?[A-Z][A-Z0-9_]*", target.id):
                try:
                    literal = ast.literal_eval(value)
                except ValueError:
                    continue
                yield target.id.lstrip("_"), repr(literal), module


def _twin_constants() -> dict[tuple[str, str], set[str]]:
    """(name, value) -> the modules holding it, for those held by more than one."""
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for name, value, module in _constants():
        holders[name, value].add(module)
    return {key: modules for key, modules in holders.items() if len(modules) > 1}


def test_no_two_modules_hold_the_same_constant() -> None:
    assert _twin_constants() == {}
