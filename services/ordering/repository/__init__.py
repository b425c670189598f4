"""All SQL of the ordering service, by area (the `ordering` schema: search_path is set).

Every function takes a `shared.db.Connection` (inside the caller's transaction) and returns
frozen dataclasses of `rows`, pydantic models (`personal_data`) or typed scalars. The SQL texts
are fixed, with $n parameters: none is built from pieces. The write use cases on the hot paths
call SQL functions of migrations/0002_one_round_trip_use_cases.sql (fewer round trips).

- `catalog`: products and the offer of a distribution
- `distributions`: distributions, the scheduler's claims
- `carts`: what a member holds, cart changes (under the member's lock)
- `validation`: a validation in two calls of SQL functions
- `orders`: orders and their lines
- `stock`: `take_stock`, the invariant « le stock ne passe jamais sous zéro »
- `ledger`: debits and payments (a payment in two statements)
- `reports`: what the reports aggregate
- `personal_data`, `erasure`: a person's rows (download, erasure)
"""
