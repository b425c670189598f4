"""The « Invariants » table of each service README stays true to the code: every database object
it names (constraint, index, trigger, SQL function, table) is defined by the migration file cited
in the same cell, and every test it cites exists.

Row format, three cells: « rule as members say it » | `object_name` … (`path/to/migration.sql`)
| `tests/…py::test_name`. A one-word backticked name in the middle cell (constraint, index,
trigger, SQL function, table or column) must be defined by a migration cited in that cell.
Backticked text with spaces in the middle column is a statement, quoted for the reader only.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("accounts", "ordering", "logistics", "notifications")
MIGRATIONS = sorted(
    [*ROOT.glob("services/*/migrations/*.sql"), *ROOT.glob("shared/sql/*.sql")],
)
CODE = re.compile(r"`([^`]+)`")
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(\w+)")
# Items of a CREATE TABLE that are not a column.
TABLE_LEVEL = ("PRIMARY KEY", "UNIQUE", "CHECK", "CONSTRAINT", "FOREIGN KEY", "EXCLUDE")


def invariant_rows(service: str) -> list[list[str]]:
    """The rows of the table under `## Invariants` (header and separator left out)."""
    text = (ROOT / "services" / service / "README.md").read_text()
    section = re.search(r"^## Invariants\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, f"services/{service}/README.md has no '## Invariants' section"
    lines = [ln for ln in section.group(1).splitlines() if ln.startswith("|")]
    rows = [[cell.strip() for cell in ln.strip().strip("|").split("|")] for ln in lines[2:]]
    assert all(len(row) == 3 for row in rows), rows
    return rows


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def _split_top_level(body: str) -> list[str]:
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for char in body:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def _table_bodies(sql: str) -> list[tuple[str, str]]:
    tables = []
    for match in re.finditer(r"CREATE TABLE (\w+) \(", sql):
        depth, start = 1, match.end()
        for i in range(start, len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            if depth == 0:
                tables.append((match.group(1), sql[start:i]))
                break
    return tables


def _implicit_names(table: str, body: str) -> set[str]:
    """The names Postgres gives the unnamed constraints of a CREATE TABLE: `<table>_pkey`,
    `<table>_<columns>_key`, `<table>_<column>_check`, and `<table>_check`, `<table>_check1`…
    for table checks on several columns."""
    items = _split_top_level(body)
    columns = sorted(_columns(body))
    names: set[str] = set()
    multi_column_checks = 0
    for item in items:
        upper = item.upper()
        if upper.startswith("CONSTRAINT"):
            continue  # named: found by the explicit pattern
        if upper.startswith("PRIMARY KEY"):
            names.add(f"{table}_pkey")
        elif upper.startswith("UNIQUE"):
            inside = re.match(r"UNIQUE\s*\(([^)]*)\)", item, re.I)
            assert inside, item
            key_columns = [c.strip() for c in inside.group(1).split(",")]
            names.add(f"{table}_{'_'.join(key_columns)}_key")
        elif upper.startswith("CHECK"):
            used = [c for c in columns if re.search(rf"\b{c}\b", item)]
            if len(used) == 1:
                names.add(f"{table}_{used[0]}_check")
            else:
                suffix = str(multi_column_checks) if multi_column_checks else ""
                names.add(f"{table}_check{suffix}")
                multi_column_checks += 1
        elif not upper.startswith(TABLE_LEVEL):
            column = item.split()[0]
            if "PRIMARY KEY" in upper:
                names.add(f"{table}_pkey")
            if re.search(r"\bUNIQUE\b", upper):
                names.add(f"{table}_{column}_key")
            if re.search(r"\bCHECK\b", upper):
                names.add(f"{table}_{column}_check")
    return names


def _columns(body: str) -> set[str]:
    items = _split_top_level(body)
    return {item.split()[0] for item in items if not item.upper().startswith(TABLE_LEVEL)}


def defined_names(path: Path) -> set[str]:
    """Every database object a migration file defines (constraint, index, function, trigger,
    table, column), by the name Postgres knows it under."""
    sql = _strip_comments(path.read_text())
    explicit = re.findall(
        r"(?:CONSTRAINT|CREATE (?:UNIQUE )?INDEX|CREATE (?:OR REPLACE )?FUNCTION|"
        r"CREATE TRIGGER|CREATE TABLE|ADD COLUMN)\s+(\w+)",
        sql,
        re.I,
    )
    names = set(explicit)
    for table, body in _table_bodies(sql):
        names |= _implicit_names(table, body) | _columns(body)
    return names


def dropped_names() -> set[str]:
    """Objects a later migration drops (e.g. `users_email_unique`): no longer an enforcement."""
    pattern = r"DROP (?:INDEX|CONSTRAINT|TRIGGER|FUNCTION|TABLE)\s+(?:IF EXISTS\s+)?(\w+)"
    return {name for path in MIGRATIONS for name in re.findall(pattern, path.read_text(), re.I)}


def function_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def test_the_migration_parser_finds_the_names_postgres_gives() -> None:
    """Checked once against a migrated database (`pg_constraint`, `pg_indexes`)."""
    ordering = defined_names(ROOT / "services/ordering/migrations/0001_init.sql")
    assert {
        "products_stock_check",
        "orders_distribution_id_user_id_key",
        "ledger_entries_payment_id_key",
        "distributions_check",
        "ledger_append_only",
        "orders_pkey",
    } <= ordering
    logistics = defined_names(ROOT / "services/logistics/migrations/0001_init.sql")
    assert {
        "slot_not_overbooked",
        "bookings_pkey",
        "delivery_requests_check",
        "delivery_requests_check1",
        "pickup_choices_check",
        "pickup_choices_consent_fields_check",
        "slots_distribution_id_starts_at_key",
    } <= logistics
    assert "pickup_choices_check1" not in logistics
    accounts = defined_names(ROOT / "services/accounts/migrations/0001_init.sql")
    assert {"groups_slug_key", "groups_slug_check", "password_resets_token_hash_key"} <= accounts
    assert "users_email_unique" in dropped_names()


def table_problems(service: str) -> list[str]:
    rows = invariant_rows(service)
    problems = [] if len(rows) >= 3 else [f"{service}: fewer than 3 invariants"]
    for rule, enforced, proven in rows:
        if not re.match(r"^« .+ »", rule):
            problems.append(f"rule not written « as members say it »: {rule}")
        codes = CODE.findall(enforced)
        files = [c for c in codes if c.endswith(".sql")]
        names = [c for c in codes if IDENTIFIER.fullmatch(c)]
        if not files or not names:
            problems.append(f"{rule}: no constraint/function name and migration file")
        known: set[str] = set()
        for file in files:
            path = ROOT / file
            if path not in MIGRATIONS:
                problems.append(f"{rule}: {file} is not a migration")
                continue
            known |= defined_names(path)
        problems += [
            f"{rule}: {name} is not defined in {', '.join(files)}"
            for name in names
            if name not in known
        ]
        problems += [f"{rule}: {name} was dropped" for name in names if name in dropped_names()]
        references = TEST_REF.findall(proven)
        if not references:
            problems.append(f"{rule}: no test (`tests/…py::test_name`)")
        for file, function in references:
            path = ROOT / file
            if not path.is_file():
                problems.append(f"{rule}: {file} does not exist")
            elif function not in function_names(path):
                problems.append(f"{rule}: {file} has no {function}")
    return problems


@pytest.mark.parametrize("service", SERVICES)
def test_invariants_table_names_real_constraints_and_tests(service: str) -> None:
    assert table_problems(service) == []
