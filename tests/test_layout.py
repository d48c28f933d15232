"""The layout holds: each package imports only from the floors below it (redress/__init__.py).

Read from the source with ast, so a new module that reaches upward, a domain package that
imports Flask, or an app that calls crypto/ directly fails here, with the offending line named.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# redress's packages from the ground up; packages on the same floor may not import each other.
FLOORS: tuple[frozenset[str], ...] = tuple(
    frozenset(floor)
    for floor in (
        {"store"},
        {"audit"},
        {"keys"},
        {"staff"},
        {"cases"},
        {"reporting", "casework"},
        {"export"},
        {"i18n"},
        {"web"},
        {"platform"},
    )
)
FLOOR_OF = {package: level for level, floor in enumerate(FLOORS) for package in floor}
DOMAIN = {"store", "audit", "keys", "staff", "cases", "reporting", "casework", "export"}
WEB_LIBRARIES = {"flask", "flask_babel", "flask_wtf", "werkzeug", "jinja2", "wtforms"}
CRYPTO_LIBRARIES = {"nacl", "argon2"}
APPS = {"intake", "caseworker"}


def modules(top: str) -> Iterator[Path]:
    yield from sorted((ROOT / top).rglob("*.py"))


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted module) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(), str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield node.lineno, module
            # `from redress import audit` names a package as well as importing from one.
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_every_redress_module_belongs_to_a_package_on_the_map() -> None:
    loose = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "redress").glob("*.py")
        if path.name != "__init__.py"
    ]
    packages = {path.name for path in (ROOT / "redress").iterdir() if path.is_dir()}
    assert loose == []
    assert packages - {"__pycache__"} == set(FLOOR_OF)


def test_packages_import_only_from_the_floors_below() -> None:
    wrong = []
    for path in modules("redress"):
        own = path.relative_to(ROOT / "redress").parts[0]
        if own not in FLOOR_OF:
            continue
        for line, module in imports(path):
            parts = module.split(".")
            if parts[0] in APPS:
                wrong.append(f"{where(path, line)} imports the app {module}")
            if parts[0] != "redress" or len(parts) < 2 or parts[1] not in FLOOR_OF:
                continue
            other = parts[1]
            if other != own and FLOOR_OF[other] >= FLOOR_OF[own]:
                wrong.append(f"{where(path, line)}: {own} imports {module}")
    assert wrong == []


def test_flask_stays_out_of_the_domain_packages() -> None:
    wrong = []
    for path in modules("redress"):
        own = path.relative_to(ROOT / "redress").parts[0]
        allowed = {"flask_babel"} if own == "i18n" else set()
        if own not in DOMAIN and own != "i18n":
            continue
        for line, module in imports(path):
            top = module.split(".")[0]
            if top in WEB_LIBRARIES - allowed:
                wrong.append(f"{where(path, line)} imports {module}")
    assert wrong == []


# bench/ may: it measures Redress's formats against raw libsodium on purpose.
@pytest.mark.parametrize("top", ["redress", "intake", "caseworker"])
def test_only_crypto_imports_the_crypto_libraries(top: str) -> None:
    wrong = [
        f"{where(path, line)} imports {module}"
        for path in modules(top)
        for line, module in imports(path)
        if module.split(".")[0] in CRYPTO_LIBRARIES
    ]
    assert wrong == []


def test_crypto_imports_nothing_of_redress() -> None:
    wrong = [
        f"{where(path, line)} imports {module}"
        for path in modules("crypto")
        for line, module in imports(path)
        if module.split(".")[0] in {"redress", *APPS}
    ]
    assert wrong == []


@pytest.mark.parametrize("app", sorted(APPS))
def test_apps_go_through_the_core(app: str) -> None:
    """The apps never call crypto/ directly, never import each other or the platform."""
    other = (APPS - {app}).pop()
    wrong = [
        f"{where(path, line)} imports {module}"
        for path in modules(app)
        for line, module in imports(path)
        if module.split(".")[0] in {"crypto", other} or module.startswith("redress.platform")
    ]
    assert wrong == []


def test_the_crypto_package_is_ours() -> None:
    """`crypto` is a common name: the one imported must be this project's, not an installed one."""
    import crypto

    assert Path(crypto.__file__).resolve().parent == ROOT / "crypto"
