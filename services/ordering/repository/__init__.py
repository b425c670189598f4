"""All SQL of the ordering service, by area (the `ordering` schema: search_path is set).

Every function takes a `shared.db.Connection` (inside the caller's transaction) and returns
frozen dataclasses of `rows`, pydantic models (`personal_data`) or typed scalars. The SQL texts
are fixed, with $n parameters: none is built from pieces.

- `catalog`: products and the offer of a distribution
- `distributions`: distributions, the member's lock, the scheduler's claims
- `carts`: pending lines
- `orders`: orders and their lines, the one-statement validation
- `stock`: `take_stock`, the invariant « le stock ne passe jamais sous zéro »
- `ledger`: debits and payments
- `reports`: what the reports aggregate
- `personal_data`, `erasure`: a person's rows (download, erasure)
"""
