"""The ordering service's layout (docs/DEVELOPING.md): SQL only in repository/, transactions and
idempotency only in the use cases, no module over 400 lines."""

import ast
from pathlib import Path

SERVICE = Path(__file__).resolve().parents[3] / "services" / "ordering"
QUERIES = {"fetch", "fetchrow", "fetchval", "execute", "executemany"}


def calls(path: Path) -> set[str]:
    return {
        node.func.attr
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


def test_sql_only_in_the_repository() -> None:
    outside = [p for p in SERVICE.rglob("*.py") if "repository" not in p.parts]
    assert outside
    for path in outside:
        assert not calls(path) & QUERIES, path


def test_the_api_opens_no_transaction_and_claims_no_key() -> None:
    for path in (SERVICE / "api").glob("*.py"):
        assert not calls(path) & {"transaction", "connection", "claim", "remember", "once"}, path


def test_no_module_over_400_lines() -> None:
    for path in SERVICE.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path
