"""Every service has the one layout of docs/DEVELOPING.md, so a reader finds a rule, a statement
or a route in the same place in each: the named files exist, SQL lives only in the repository,
the api opens no transaction and claims no idempotency key, domain.py does no I/O, and no module
passes 400 lines. A failure names the service and the file that breaks the rule."""

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from aiohttp import web

from shared.settings import ServiceSettings
from tests.unit.test_invariants_tables import invariant_rows

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("accounts", "ordering", "logistics", "notifications")
QUERIES = {"fetch", "fetchrow", "fetchval", "execute", "executemany"}
# Transactions and Idempotency-Key claims belong to the use case (shared.db, shared.idempotency).
USE_CASE_ONLY = {"transaction", "connection", "claim", "remember", "once"}
# The start of a SQL statement in a string literal: SQL text is the repository's alone.
SQL_STARTS = ("SELECT ", "INSERT INTO ", "UPDATE ", "DELETE FROM ", "WITH ")
MAX_LINES = 400

pytestmark = pytest.mark.parametrize("service", SERVICES)


def service_dir(service: str) -> Path:
    return ROOT / "services" / service


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def python_files(service: str) -> list[Path]:
    files = sorted(service_dir(service).rglob("*.py"))
    assert files, service
    return files


def module_or_package(service: str, name: str) -> list[Path]:
    """`name`.py, or the modules of the `name`/ package when the area grew past one module."""
    module, package = service_dir(service) / f"{name}.py", service_dir(service) / name
    assert module.is_file() != package.is_dir(), f"{service}: exactly one of {name}.py, {name}/"
    return [module] if module.is_file() else sorted(package.rglob("*.py"))


def outside_repository(service: str) -> list[Path]:
    repository = set(module_or_package(service, "repository"))
    return [path for path in python_files(service) if path not in repository]


def method_calls(path: Path) -> dict[str, int]:
    """`obj.name(...)` calls of a module: name -> first line."""
    calls: dict[str, int] = {}
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            calls.setdefault(node.func.attr, node.lineno)
    return calls


def imported_names(path: Path) -> set[str]:
    """Dotted names a module imports: `import a.b` gives a.b, `from a import b` gives a.b."""
    names: set[str] = set()
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def is_within(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def platform_handlers_given(bootstrap: Path) -> bool:
    """Whether build_app hands event handlers to shared.runtime.Platform (4th argument)."""
    for node in ast.walk(tree(bootstrap)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Platform":
            return len(node.args) >= 4 or any(k.arg == "handlers" for k in node.keywords)
    raise AssertionError(f"{bootstrap} never builds a shared.runtime.Platform")


def test_the_named_files_exist(service: str) -> None:
    root = service_dir(service)
    for name in ("__init__.py", "__main__.py", "settings.py", "bootstrap.py", "domain.py"):
        assert (root / name).is_file(), f"{service}: no {name}"
    for name in ("models", "api", "repository"):
        assert module_or_package(service, name), f"{service}: no {name}"
    migrations = sorted(path.name for path in (root / "migrations").glob("*.sql"))
    assert migrations and migrations[0].startswith("0001_"), f"{service}: migrations {migrations}"


def test_the_readme_has_an_invariants_table(service: str) -> None:
    assert invariant_rows(service), f"services/{service}/README.md: empty Invariants table"


def test_settings_subclass_service_settings_with_their_prefix_and_port(service: str) -> None:
    module = importlib.import_module(f"services.{service}.settings")
    settings_class = getattr(module, f"{service.capitalize()}Settings")
    assert issubclass(settings_class, ServiceSettings)
    assert settings_class.model_config.get("env_prefix") == f"{service.upper()}_"
    port = settings_class.model_fields["port"].default
    assert port != ServiceSettings.model_fields["port"].default, f"{service}: port of its own"


def test_bootstrap_builds_the_app_from_the_settings(service: str) -> None:
    build_app = importlib.import_module(f"services.{service}.bootstrap").build_app
    settings_class = getattr(
        importlib.import_module(f"services.{service}.settings"), f"{service.capitalize()}Settings"
    )
    assert inspect.iscoroutinefunction(build_app)
    signature = inspect.signature(build_app, eval_str=True)
    first = next(iter(signature.parameters.values()))
    assert first.name == "settings"
    assert settings_class in (first.annotation, *getattr(first.annotation, "__args__", ()))
    assert signature.return_annotation is web.Application


def runtime_main_call(service: str) -> ast.Call:
    """The one `shared.runtime.main(...)` call of the service's __main__.py."""
    main_file = service_dir(service) / "__main__.py"
    assert "shared.runtime.main" in imported_names(main_file)
    runs = [
        node
        for node in ast.walk(tree(main_file))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "main"
    ]
    assert len(runs) == 1, f"{service}: one shared.runtime.main call"
    return runs[0]


def test_main_runs_the_service_under_its_name(service: str) -> None:
    name = runtime_main_call(service).args[0]
    assert isinstance(name, ast.Constant) and name.value == service


def test_main_is_handed_the_seed(service: str) -> None:
    # main(name, settings, service_dir, build_app, seed): `python -m services.<name> seed`.
    run = runtime_main_call(service)
    assert len(run.args) == 5, f"{service}/__main__.py hands no seed to shared.runtime.main"
    seed_demo = importlib.import_module(f"services.{service}.seed").seed_demo
    assert inspect.iscoroutinefunction(seed_demo)
    assert next(iter(inspect.signature(seed_demo).parameters)) == "settings"


def test_event_handlers_come_from_consumers(service: str) -> None:
    bootstrap = service_dir(service) / "bootstrap.py"
    consumers = service_dir(service) / "consumers.py"
    handlers_given = platform_handlers_given(bootstrap)
    assert consumers.is_file() == handlers_given, f"{service}: consumers.py iff it consumes"
    if handlers_given:
        consumer_module = f"services.{service}.consumers"
        assert any(is_within(name, consumer_module) for name in imported_names(bootstrap))


def test_sql_calls_only_in_the_repository(service: str) -> None:
    for path in outside_repository(service):
        calls = method_calls(path)
        queries = {name: calls[name] for name in QUERIES & calls.keys()}
        assert not queries, f"{path.relative_to(ROOT)}: {queries}"


def test_sql_text_only_in_the_repository(service: str) -> None:
    for path in outside_repository(service):
        for node in ast.walk(tree(path)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                # Case-sensitive: the repository's SQL keywords are upper case, prose is not.
                assert not node.value.lstrip().startswith(SQL_STARTS), (
                    f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}"
                )


def test_the_api_opens_no_transaction_and_claims_no_key(service: str) -> None:
    for path in module_or_package(service, "api"):
        calls = method_calls(path)
        claimed = {name: calls[name] for name in USE_CASE_ONLY & calls.keys()}
        assert not claimed, f"{path.relative_to(ROOT)}: {claimed}"


def test_the_api_calls_use_cases_not_the_repository(service: str) -> None:
    repository = f"services.{service}.repository"
    for path in module_or_package(service, "api"):
        reached = {name for name in imported_names(path) if is_within(name, repository)}
        assert not reached, f"{path.relative_to(ROOT)}: {reached}"


def test_the_domain_does_no_io(service: str) -> None:
    input_output = (
        "asyncpg",
        "aiohttp",
        "aio_pika",
        "aiosmtplib",
        "smtplib",
        "socket",
        "shared.db",
        "shared.outbox",
        "shared.amqp",
        "shared.clients",
        f"services.{service}.repository",
    )
    domain = service_dir(service) / "domain.py"
    for name in imported_names(domain):
        assert not any(is_within(name, package) for package in input_output), (
            f"services/{service}/domain.py imports {name}"
        )


def test_no_module_over_400_lines(service: str) -> None:
    for path in python_files(service):
        lines = len(path.read_text().splitlines())
        assert lines <= MAX_LINES, f"{path.relative_to(ROOT)}: {lines} lines"
