"""Event payload contracts: one pydantic model per routing key (event type + version).

Contact details (address, phone, email) never travel in events.
"""

from pydantic import BaseModel

from shared.contracts import accounts

EVENT_CONTRACTS: dict[str, type[BaseModel]] = {}


def register(contracts: dict[str, type[BaseModel]]) -> None:
    for routing_key, model in contracts.items():
        if routing_key in EVENT_CONTRACTS and EVENT_CONTRACTS[routing_key] is not model:
            raise ValueError(f"two contracts for {routing_key}")
        EVENT_CONTRACTS[routing_key] = model


class UnknownEventType(KeyError):
    pass


def contract_for(routing_key: str) -> type[BaseModel]:
    try:
        return EVENT_CONTRACTS[routing_key]
    except KeyError:
        raise UnknownEventType(routing_key) from None


def validate_event_data(routing_key: str, data: BaseModel) -> None:
    model = contract_for(routing_key)
    if not isinstance(data, model):
        raise TypeError(f"{routing_key} carries {model.__name__}, not {type(data).__name__}")


register(accounts.CONTRACTS)

# Other services' contracts register themselves on import of their module below.
for _module_name in ("ordering", "logistics", "notifications"):
    try:
        _module = __import__(f"shared.contracts.{_module_name}", fromlist=["CONTRACTS"])
    except ModuleNotFoundError:
        continue
    register(_module.CONTRACTS)
