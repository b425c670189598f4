"""The public (token-authenticated, `/v1/...`) APIs as the web calls them with the member's
token. The transport is the caller's (the web's `Api`: tokens, problem+json errors, a service
down); a client here only names the paths and reads each answer as its response model."""

import uuid
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)


class Answer(BaseModel):
    """An answer of another service: read-only; fields it adds later are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class DistributionWindow(Answer):
    """What ordering and logistics both say of a distribution: its times."""

    distribution_id: uuid.UUID
    group_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    closes_at: datetime


class UserApi(Protocol):
    """What a public client needs of its transport (the web's `Api` is one)."""

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any: ...

    def unusable(self, service: str, reason: str) -> Exception:
        """The error for an answer of another shape (the transport's "service down")."""
        ...


class PublicClient:
    """Calls of one service with one member's token (none: the public answers)."""

    service: ClassVar[str]

    def __init__(self, api: UserApi, token: str | None = None) -> None:
        self.api = api
        self.token = token

    async def get(self, model: type[M], path: str, params: dict[str, str] | None = None) -> M:
        body = await self.api.call(self.service, "GET", path, token=self.token, params=params)
        return self.read(model, body)

    async def put(self, model: type[M], path: str, json: object) -> M:
        body = await self.api.call(self.service, "PUT", path, token=self.token, json=json)
        return self.read(model, body)

    async def send(
        self, method: str, path: str, json: object = None, *, key: str | None = None
    ) -> Any:
        """A change (POST, PUT, PATCH, DELETE) whose answer the caller does not read; `key`: its
        Idempotency-Key."""
        headers = {"Idempotency-Key": key} if key is not None else None
        return await self.api.call(
            self.service, method, path, token=self.token, json=json, headers=headers
        )

    def read(self, model: type[M], body: object) -> M:
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            reason = f"{model.__name__}: unexpected answer ({exc.error_count()} errors)"
            raise self.api.unusable(self.service, reason) from exc


def distribution_path(group_id: object, distribution_id: object) -> str:
    """ordering's and logistics' path of one distribution of a group."""
    return f"/v1/groups/{group_id}/distributions/{distribution_id}"
