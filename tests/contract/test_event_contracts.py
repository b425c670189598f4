"""The committed event documentation equals what the models generate, and covers every event
type the code publishes or consumes."""

import re
from pathlib import Path

from shared.contracts import EVENT_CONTRACTS
from shared.contracts.export import EVENTS_DIR, rendered

ROOT = Path(__file__).resolve().parents[2]
ROUTING_KEY = re.compile(
    r"""["']((?:accounts|ordering|logistics|notifications)\.[a-z_]+(?:\.[a-z_]+)*\.v\d+)["']"""
)


def test_committed_schemas_and_asyncapi_match_the_models():
    stale = [
        str(path.relative_to(ROOT))
        for path, text in rendered().items()
        if not path.exists() or path.read_text() != text
    ]
    assert stale == [], f"run `python -m shared.contracts.export`: {stale}"
    committed = {p.name for p in (EVENTS_DIR / "schemas").glob("*.json")}
    assert committed == {f"{key}.json" for key in EVENT_CONTRACTS}


def test_every_routing_key_used_in_code_is_documented():
    used: dict[str, str] = {}
    for path in [*ROOT.joinpath("services").rglob("*.py"), *ROOT.joinpath("shared").rglob("*.py")]:
        for key in ROUTING_KEY.findall(path.read_text()):
            used.setdefault(key, str(path.relative_to(ROOT)))
    undocumented = {k: where for k, where in used.items() if k not in EVENT_CONTRACTS}
    assert undocumented == {}
    assert len(used) >= 10  # the scan really found the keys


def test_contracts_refuse_contact_details():
    forbidden = {"email", "phone", "street", "address", "last_name"}
    for key, model in EVENT_CONTRACTS.items():
        assert forbidden.isdisjoint(model.model_fields), key
