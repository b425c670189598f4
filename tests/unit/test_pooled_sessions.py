"""Pooled connections keep no session state, so shared.db releases them without asyncpg's reset
query (one round trip saved per transaction). This test fails on the first SQL text that would
leave state behind on a pooled connection: a session advisory lock, LISTEN, a session SET, a
temporary table, a prepared statement or a cursor WITH HOLD."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Dedicated connections (never pooled) may keep session state.
DEDICATED = {
    ROOT / "shared" / "migrations.py",  # its own connection, under a session advisory lock
    ROOT / "shared" / "listening.py",  # its own connection, LISTENing
}
SESSION_STATE = re.compile(
    r"pg_advisory_lock\s*\(|pg_try_advisory_lock\s*\(|\bLISTEN\b|^\s*SET\s+(?!LOCAL\b)|"
    r"\bset_config\s*\([^)]*,\s*false\s*\)|\bCREATE\s+TEMP|\bPREPARE\s|\bWITH\s+HOLD\b",
    re.IGNORECASE,
)


SQL_START = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|SET|LISTEN|CREATE|PREPARE|DECLARE)\b"
)


def sql_texts(path: Path) -> list[str]:
    """The string constants that read as SQL (our SQL is written in capitals; prose is not)."""
    return [
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and SQL_START.match(node.value)
    ]


def test_no_sql_leaves_session_state_on_a_pooled_connection() -> None:
    paths = [*ROOT.glob("shared/**/*.py"), *ROOT.glob("services/**/*.py")]
    assert len(paths) > 50
    assert sum(len(sql_texts(path)) for path in paths) > 100, "the SQL texts are not found"
    offending = [
        (str(path.relative_to(ROOT)), text)
        for path in paths
        if path not in DEDICATED
        for text in sql_texts(path)
        if SESSION_STATE.search(text)
    ]
    assert offending == []


def test_the_pattern_catches_session_state() -> None:
    for text in (
        "SELECT pg_advisory_lock($1)",
        "SET search_path TO x",
        "LISTEN outbox",
        "SELECT set_config('x', '1', false)",
        "CREATE TEMP TABLE t (x int)",
    ):
        assert SESSION_STATE.search(text), text
    for text in (
        "SELECT pg_advisory_xact_lock($1)",
        "SET LOCAL lock_timeout = '1s'",
        "UPDATE outbox SET published_at = now()",
        "SELECT set_config('x', '1', true)",
    ):
        assert not SESSION_STATE.search(text), text
