"""A Hypothesis state machine drives the real logistics and ordering apps over HTTP (real Postgres,
real RabbitMQ) with members booking, moving and releasing slots, changing their pickup choice,
volunteers claiming requests, members filling carts and validating, and a coordinator changing
capacities and correcting orders. After every step the database must hold the rules of SPEC §2-3
and the service READMEs:

- no slot holds more bookings than its capacity, and its counter equals its booking rows;
- one booking per member per distribution, exactly the bookings the model expects;
- a delivery request exists exactly for the members whose choice is « Besoin d'être livré », and
  its volunteer (if any) is a member whose choice is « Possibilité de livrer »;
- stock never below zero, and stock + ordered quantities == the initial stock (corrections move
  both);
- an order's total is the sum of its lines, each line quantity × unit price rounded half-up to the
  cent, and the member's ledger balance is exactly minus that total (no payments here).

Hypothesis runs synchronously; the apps live on an event loop of their own in a thread, and each
step waits for its call there. The apps are started once; every example is a fresh group with its
own distribution and products in the same database, so the checks are scoped to that example.
"""

import asyncio
import threading
import uuid
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from time import perf_counter
from typing import Any, TypeVar

import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from services.logistics import repository as logistics_repo
from services.logistics.bootstrap import build_app as build_logistics
from services.logistics.settings import LogisticsSettings
from services.ordering.bootstrap import build_app as build_ordering
from services.ordering.settings import OrderingSettings
from shared.auth import TokenIssuer, TokenVerifier
from shared.db import Database

T = TypeVar("T")
Client = TestClient[web.Request, web.Application]
MEMBERS = 4
SLOT_MINUTES = 15
SLOTS = 3  # a 45-minute window: with capacities of 0–2 slots fill up all the time
# name → (bulk, unit price in cents, initial stock as text or None = unlimited)
PRODUCTS: dict[str, tuple[bool, int, str | None]] = {
    "Amandes avec peau - en vrac": (True, 1485, "1.5"),
    "Lessive 1 L": (False, 225, "3"),
    "Dattes - en vrac": (True, 622, None),
}
PRODUCT_NAMES = list(PRODUCTS)


class EventLoopThread:
    """An event loop in a thread: the sync state machine hands it coroutines and waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class Apps:
    """Both services on one database and one per-test exchange, started once per test."""

    ordering: Client
    logistics: Client
    pool: asyncpg.Pool
    issuer: TokenIssuer
    steps: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    async def call(
        self, client: Client, method: str, path: str, token: str, body: Any = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
        resp = await client.request(method, path, json=body, headers=headers)
        answer = await resp.json() if resp.content_type.endswith("json") else await resp.read()
        # Whatever the step, the services answer; a 5xx is a failure in itself.
        assert resp.status < 500, (method, path, body, resp.status, answer)
        code = answer.get("code", "") if isinstance(answer, dict) else ""
        self.outcomes[f"{resp.status} {code}".strip()] += 1
        return resp.status, answer


async def start_apps(
    database_url: str,
    amqp_url: str,
    exchange: str,
    issuer: TokenIssuer,
    verifier: TokenVerifier,
) -> Apps:
    ordering_app = await build_ordering(
        OrderingSettings(
            database_url=database_url,
            amqp_url=amqp_url,
            events_exchange=exchange,
            scheduler_interval=5,
        ),
        verifier=verifier,
    )
    logistics_app = await build_logistics(
        LogisticsSettings(database_url=database_url, amqp_url=amqp_url, events_exchange=exchange),
        verifier,
    )
    ordering = TestClient(TestServer(ordering_app))
    logistics = TestClient(TestServer(logistics_app))
    await ordering.start_server()
    await logistics.start_server()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    return Apps(ordering, logistics, pool, issuer)


async def stop_apps(apps: Apps) -> None:
    await apps.pool.close()
    await apps.logistics.close()
    await apps.ordering.close()


@dataclass
class Example:
    """One example's group: ids, tokens and what the model expects."""

    group_id: uuid.UUID
    distribution_id: str
    coordinator: str
    members: list[uuid.UUID]
    tokens: list[str]
    products: dict[str, str]
    slots: list[str]
    capacity: dict[str, int]
    bookings: dict[int, str] = field(default_factory=dict)
    choices: dict[int, str] = field(default_factory=dict)
    volunteer_of: dict[int, int | None] = field(default_factory=dict)  # requester → volunteer
    orders: dict[int, str] = field(default_factory=dict)

    def booked(self, slot_id: str) -> int:
        return sum(1 for s in self.bookings.values() if s == slot_id)


async def new_example(apps: Apps) -> Example:
    """A group with three products (two of them stocked), an open distribution that logistics
    knows, slots of capacity 1, and four members."""
    group_id, coordinator_id = uuid.uuid4(), uuid.uuid4()
    coordinator = apps.issuer.issue(coordinator_id, {str(group_id): "coordinator"})
    base = f"/v1/groups/{group_id}"
    products: dict[str, str] = {}
    for name, (bulk, price, stock) in PRODUCTS.items():
        body = {
            "name": name,
            "category": "Fruits & Légumes" if bulk else "Autres",
            "unit_label": "kg" if bulk else "1 L",
            "unit_price_cents": price,
            "bulk": bulk,
            "stock": stock,
        }
        status, created = await apps.call(
            apps.ordering, "POST", f"{base}/products", coordinator, body
        )
        assert status == 201, created
        products[name] = created["product_id"]
    now = datetime.now(UTC)
    starts = (now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    window = {
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=1),
        "starts_at": starts,
        "ends_at": starts + timedelta(minutes=SLOT_MINUTES * SLOTS),
    }
    status, dist = await apps.call(
        apps.ordering,
        "POST",
        f"{base}/distributions",
        coordinator,
        {
            **{k: v.isoformat() for k, v in window.items()},
            "place_name": "Centre social Eugénie Cotton",
            "place_address": "23 rue Georges Lyvet 69200 Venissieux",
            "products": [{"product_id": p} for p in products.values()],
        },
    )
    assert status == 201, dist
    distribution_id = dist["distribution_id"]
    # What logistics' consumer does on `ordering.distribution.scheduled.v1` (the same window, so
    # the event arriving later changes nothing): done here so the example does not wait for it.
    async with Database(apps.pool, 2).transaction() as conn:
        await conn.execute("SET LOCAL search_path = logistics")
        await logistics_repo.upsert_distribution(
            conn,
            distribution_id=uuid.UUID(distribution_id),
            group_id=group_id,
            state=None,
            default_capacity=1,
            slot_minutes=SLOT_MINUTES,
            **window,
        )
    where = f"{base}/distributions/{distribution_id}"
    status, view = await apps.call(
        apps.logistics, "PUT", f"{where}/capacity", coordinator, {"default_capacity": 1}
    )
    assert status == 200, view
    slots = [s["slot_id"] for s in view["slots"]]
    assert len(slots) == SLOTS
    members = [uuid.uuid4() for _ in range(MEMBERS)]
    tokens = [
        apps.issuer.issue(m, {str(group_id): "member"}, first_name=f"Membre{i}")
        for i, m in enumerate(members)
    ]
    return Example(
        group_id=group_id,
        distribution_id=distribution_id,
        coordinator=coordinator,
        members=members,
        tokens=tokens,
        products=products,
        slots=slots,
        capacity=dict.fromkeys(slots, 1),
    )


def line_total(quantity: Decimal, unit_price_cents: int) -> int:
    """SPEC §2.5, written again here rather than imported: half-up to the cent."""
    return int((quantity * unit_price_cents).quantize(Decimal(1), rounding=ROUND_HALF_UP))


members = st.integers(0, MEMBERS - 1)
slot_indexes = st.integers(0, SLOTS - 1)
product_names = st.sampled_from(PRODUCT_NAMES)
# Half a kilo often (0.5 × 14,85 € = 7,425 €: the half cent of SPEC §2.5), any gram otherwise.
bulk_texts = st.sampled_from(["0,5", "0.5", "1,5"]) | st.integers(1, 1500).map(
    lambda g: format(Decimal(g).scaleb(-3), "f").replace(".", ",")
)
piece_texts = st.integers(1, 3).map(str)
_never = ["0", "-1", "abc", "1,2,3", "NaN", "1e400", "", " ", "0,000"]
bad_bulk_texts = st.sampled_from([*_never, "0,0001", "51", "50,001"])
bad_piece_texts = st.sampled_from([*_never, "1,5", "0,5", "100"])


class SlotsAndStock(RuleBasedStateMachine):
    apps: Apps | None = None
    loop: EventLoopThread | None = None

    def __init__(self) -> None:
        super().__init__()
        self.ex: Example | None = None

    # --- plumbing ----------------------------------------------------------------------------
    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self.loop is not None
        return self.loop.run(coro)

    @property
    def a(self) -> Apps:
        assert self.apps is not None
        return self.apps

    @property
    def e(self) -> Example:
        assert self.ex is not None
        return self.ex

    def where(self) -> str:
        return f"/v1/groups/{self.e.group_id}/distributions/{self.e.distribution_id}"

    def logistics(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        self.a.steps += 1
        return self.run(self.a.call(self.a.logistics, method, self.where() + path, token, body))

    def ordering(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        self.a.steps += 1
        return self.run(self.a.call(self.a.ordering, method, path, token, body))

    def fetch(self, query: str, *args: Any) -> list[Any]:
        async def go() -> list[Any]:
            async with self.a.pool.acquire() as conn:
                rows: list[Any] = await conn.fetch(query, *args)
                return rows

        return self.run(go())

    @initialize()
    def new_group(self) -> None:
        self.ex = self.run(new_example(self.a))

    # --- slots -------------------------------------------------------------------------------
    @rule(m=members, s=slot_indexes)
    def book(self, m: int, s: int) -> None:
        slot = self.e.slots[s]
        status, answer = self.logistics("POST", "/booking", self.e.tokens[m], {"slot_id": slot})
        if m in self.e.bookings:
            assert (status, answer["code"]) == (409, "already-booked"), answer
        elif self.e.booked(slot) >= self.e.capacity[slot]:
            assert (status, answer["code"]) == (409, "slot-full"), answer
        else:
            assert status == 201, answer
            self.e.bookings[m] = slot

    @rule(m=members, s=slot_indexes)
    def move(self, m: int, s: int) -> None:
        slot = self.e.slots[s]
        status, answer = self.logistics("PUT", "/booking", self.e.tokens[m], {"slot_id": slot})
        if m not in self.e.bookings:
            assert (status, answer["code"]) == (404, "no-booking"), answer
        elif self.e.bookings[m] == slot:
            assert status == 200, answer
        elif self.e.booked(slot) >= self.e.capacity[slot]:
            assert (status, answer["code"]) == (409, "slot-full"), answer  # old booking kept
        else:
            assert status == 200, answer
            self.e.bookings[m] = slot

    @rule(m=members)
    def release(self, m: int) -> None:
        status, answer = self.logistics("DELETE", "/booking", self.e.tokens[m])
        if m in self.e.bookings:
            assert status == 204, answer
            del self.e.bookings[m]
        else:
            assert (status, answer["code"]) == (404, "no-booking"), answer

    @rule(s=slot_indexes, capacity=st.integers(0, 2) | st.none())
    def set_slot_capacity(self, s: int, capacity: int | None) -> None:
        slot = self.e.slots[s]
        status, answer = self.logistics(
            "PUT", f"/slots/{slot}/capacity", self.e.coordinator, {"capacity": capacity}
        )
        effective = 1 if capacity is None else capacity  # the default capacity stays 1
        if self.e.booked(slot) > effective:
            assert (status, answer["code"]) == (409, "capacity-below-bookings"), answer
        else:
            assert status == 200, answer
            self.e.capacity[slot] = effective

    # --- pickup choice and delivery requests -------------------------------------------------
    @rule(m=members, choice=st.sampled_from(["need_delivery", "can_deliver", "pickup_only"]))
    def choose_pickup(self, m: int, choice: str) -> None:
        body: dict[str, Any] = {"choice": choice}
        if choice == "need_delivery":
            body["consent"] = {"fields": ["phone"], "text_version": "2026-01"}
        status, answer = self.logistics("PUT", "/pickup", self.e.tokens[m], body)
        assert status == 200, answer
        self._apply_choice(m, choice)

    @rule(m=members)
    def withdraw_pickup(self, m: int) -> None:
        status, answer = self.logistics("DELETE", "/pickup", self.e.tokens[m])
        if m not in self.e.choices:
            assert (status, answer["code"]) == (404, "no-pickup-choice"), answer
            return
        assert status == 204, answer
        self._apply_choice(m, None)

    def _apply_choice(self, m: int, choice: str | None) -> None:
        """The README's rules: « need delivery » keeps (or creates) my request, anything else
        cancels it; leaving « can deliver » hands back the requests I had taken."""
        if choice is None:
            self.e.choices.pop(m, None)
        else:
            self.e.choices[m] = choice
        if choice == "need_delivery":
            self.e.volunteer_of.setdefault(m, None)
        else:
            self.e.volunteer_of.pop(m, None)
        if choice != "can_deliver":
            for requester, volunteer in self.e.volunteer_of.items():
                if volunteer == m:
                    self.e.volunteer_of[requester] = None

    @precondition(lambda self: self.ex is not None and bool(self.ex.volunteer_of))
    @rule(v=members, data=st.data())
    def claim(self, v: int, data: st.DataObject) -> None:
        requester = data.draw(st.sampled_from(sorted(self.e.volunteer_of)), label="requester")
        rows = self.fetch(
            "SELECT id FROM logistics.delivery_requests WHERE distribution_id = $1"
            " AND requester_id = $2",
            uuid.UUID(self.e.distribution_id),
            self.e.members[requester],
        )
        assert len(rows) == 1
        status, answer = self.logistics(
            "POST", f"/delivery-requests/{rows[0]['id']}/claim", self.e.tokens[v]
        )
        holder = self.e.volunteer_of[requester]
        if v == requester:
            assert (status, answer["code"]) == (409, "own-request"), answer
        elif self.e.choices.get(v) != "can_deliver":
            assert (status, answer["code"]) == (403, "not-volunteer"), answer
        elif holder not in (None, v):
            assert (status, answer["code"]) == (409, "already-taken"), answer
        else:
            assert status == 200, answer
            self.e.volunteer_of[requester] = v

    # --- carts, orders, corrections ----------------------------------------------------------
    @rule(m=members, name=product_names, data=st.data())
    def add_to_cart(self, m: int, name: str, data: st.DataObject) -> None:
        bulk = PRODUCTS[name][0]
        bad = data.draw(st.sampled_from([False, False, True]), label="bad quantity")
        valid, wrong = (bulk_texts, bad_bulk_texts) if bulk else (piece_texts, bad_piece_texts)
        text = data.draw(wrong if bad else valid, label="quantity")
        before = self._cart(m)
        sold_out = self._stock(name) == 0
        status, answer = self.ordering(
            "POST",
            f"{self.where()}/cart/lines",
            self.e.tokens[m],
            {"product_id": self.e.products[name], "quantity": text},
        )
        if sold_out:  # « Rupture de stock » is said before the quantity is read
            assert (status, answer["code"]) == (409, "out-of-stock"), answer
        elif bad:
            # 409 for a quantity only the other kind of product takes ("0,5" per piece).
            expected = 409 if text in ("1,5", "0,5", "51") else 422
            assert (status, answer["code"]) == (expected, "invalid-quantity"), answer
        else:
            assert status == 200, answer
        if status != 200:
            assert self._cart(m) == before  # refused: nothing in the cart changed

    def _stock(self, name: str) -> Decimal | None:
        rows = self.fetch(
            "SELECT stock FROM ordering.products WHERE id = $1", uuid.UUID(self.e.products[name])
        )
        stock: Decimal | None = rows[0]["stock"]
        return stock

    def _cart(self, m: int) -> list[tuple[Any, ...]]:
        rows = self.fetch(
            "SELECT product_id, quantity FROM ordering.cart_lines WHERE distribution_id = $1"
            " AND user_id = $2 ORDER BY product_id",
            uuid.UUID(self.e.distribution_id),
            self.e.members[m],
        )
        return [tuple(r) for r in rows]

    @rule(m=members)
    def validate(self, m: int) -> None:
        status, answer = self.ordering(
            "POST",
            f"{self.where()}/order/validate",
            self.e.tokens[m],
            {"payment_method": "on_site"},
        )
        if status in (200, 201):
            assert (status == 201) == (m not in self.e.orders), answer
            self.e.orders[m] = answer["order_id"]
            lines = answer["lines"]
            assert answer["total_cents"] == sum(ln["line_total_cents"] for ln in lines)
        elif m in self.e.orders:
            assert (status, answer["code"]) == (409, "out-of-stock"), answer
        else:
            assert (status, answer["code"]) in ((409, "out-of-stock"), (409, "cart-empty"))

    @precondition(lambda self: self.ex is not None and bool(self.ex.orders))
    @rule(data=st.data(), name=product_names, remove=st.booleans())
    def correct(self, data: st.DataObject, name: str, remove: bool) -> None:
        m = data.draw(st.sampled_from(sorted(self.e.orders)), label="member")
        bulk = PRODUCTS[name][0]
        text = "0" if remove else data.draw(bulk_texts if bulk else piece_texts, label="quantity")
        status, answer = self.ordering(
            "POST",
            f"/v1/groups/{self.e.group_id}/orders/{self.e.orders[m]}/corrections",
            self.e.coordinator,
            {
                "lines": [{"product_id": self.e.products[name], "quantity": text}],
                "note": "Correction au retrait",
            },
        )
        if status == 200:
            assert answer["total_cents"] == sum(ln["line_total_cents"] for ln in answer["lines"])
        else:
            assert (status, answer["code"]) == (409, "out-of-stock"), answer

    # --- invariants, read in the database after every step -----------------------------------
    # Hypothesis checks an invariant only once the @initialize rule (new_group) has run
    # (check_during_init=False, the default), so each of them finds its example in self.e.
    @invariant()
    def slots_never_overbooked_and_counters_match(self) -> None:
        rows = self.fetch(
            "SELECT s.id, s.capacity, s.booked, count(b.user_id) AS rows"
            " FROM logistics.slots s LEFT JOIN logistics.bookings b ON b.slot_id = s.id"
            " WHERE s.distribution_id = $1 GROUP BY s.id",
            uuid.UUID(self.e.distribution_id),
        )
        assert len(rows) == SLOTS
        for r in rows:
            assert 0 <= r["booked"] <= r["capacity"], dict(r)
            assert r["booked"] == r["rows"], dict(r)
            assert r["capacity"] == self.e.capacity[str(r["id"])], dict(r)

    @invariant()
    def one_booking_per_member_as_the_model_says(self) -> None:
        rows = self.fetch(
            "SELECT user_id, slot_id FROM logistics.bookings WHERE distribution_id = $1",
            uuid.UUID(self.e.distribution_id),
        )
        held = [(r["user_id"], str(r["slot_id"])) for r in rows]
        assert len({user for user, _ in held}) == len(held)
        expected = {(self.e.members[m], s) for m, s in self.e.bookings.items()}
        assert set(held) == expected

    @invariant()
    def delivery_requests_follow_the_choices(self) -> None:
        distribution_id = uuid.UUID(self.e.distribution_id)
        choices = self.fetch(
            "SELECT user_id, choice FROM logistics.pickup_choices WHERE distribution_id = $1",
            distribution_id,
        )
        requests = self.fetch(
            "SELECT requester_id, volunteer_id FROM logistics.delivery_requests"
            " WHERE distribution_id = $1",
            distribution_id,
        )
        index = {u: i for i, u in enumerate(self.e.members)}
        assert {index[r["user_id"]]: r["choice"] for r in choices} == self.e.choices
        got = {
            index[r["requester_id"]]: None
            if r["volunteer_id"] is None
            else index[r["volunteer_id"]]
            for r in requests
        }
        assert got == self.e.volunteer_of
        for requester, volunteer in got.items():
            assert self.e.choices[requester] == "need_delivery"
            assert volunteer is None or self.e.choices.get(volunteer) == "can_deliver"

    @invariant()
    def stock_never_negative_and_conserved(self) -> None:
        for name, (_, _, initial) in PRODUCTS.items():
            product_id = uuid.UUID(self.e.products[name])
            rows = self.fetch(
                "SELECT p.stock, coalesce(sum(l.quantity), 0) AS ordered FROM ordering.products p"
                " LEFT JOIN ordering.order_lines l ON l.product_id = p.id WHERE p.id = $1"
                " GROUP BY p.stock",
                product_id,
            )
            stock, ordered = rows[0]["stock"], rows[0]["ordered"]
            if initial is None:
                assert stock is None
                continue
            assert stock >= 0, (name, stock)
            assert stock + ordered == Decimal(initial), (name, stock, ordered)

    @invariant()
    def orders_total_their_lines_and_the_ledger_agrees(self) -> None:
        orders = self.fetch(
            "SELECT o.id, o.user_id, o.total_cents FROM ordering.orders o"
            " WHERE o.distribution_id = $1",
            uuid.UUID(self.e.distribution_id),
        )
        assert len(orders) == len(self.e.orders)
        for order in orders:
            lines = self.fetch(
                "SELECT quantity, unit_price_cents, line_total_cents FROM ordering.order_lines"
                " WHERE order_id = $1",
                order["id"],
            )
            for ln in lines:
                assert ln["line_total_cents"] == line_total(ln["quantity"], ln["unit_price_cents"])
            assert order["total_cents"] == sum(ln["line_total_cents"] for ln in lines)
            balance = self.fetch(
                "SELECT coalesce(sum(amount_cents), 0) AS b FROM ordering.ledger_entries"
                " WHERE group_id = $1 AND user_id = $2",
                self.e.group_id,
                order["user_id"],
            )[0]["b"]
            assert balance == -order["total_cents"]


def test_slots_stock_and_orders_hold_their_rules_after_every_step(
    database_url: str,
    amqp_url: str,
    events_exchange: str,
    token_issuer: TokenIssuer,
    token_verifier: TokenVerifier,
) -> None:
    loop = EventLoopThread()
    apps = loop.run(
        start_apps(database_url, amqp_url, events_exchange, token_issuer, token_verifier)
    )
    SlotsAndStock.apps, SlotsAndStock.loop = apps, loop
    started = perf_counter()
    try:
        run_state_machine_as_test(
            SlotsAndStock,
            settings=settings(
                max_examples=20,
                stateful_step_count=35,
                deadline=None,
                database=None,  # CI starts clean; no .hypothesis directory in the tree
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        SlotsAndStock.apps, SlotsAndStock.loop = None, None
        elapsed = perf_counter() - started
        loop.run(stop_apps(apps))
        loop.close()
    answers = ", ".join(f"{k} ×{n}" for k, n in sorted(apps.outcomes.items()))
    print(f"stateful slots and stock: {apps.steps} steps in {elapsed:.1f} s; answers: {answers}")
