"""Request and response bodies of the accounts API (also the OpenAPI schemas)."""

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator

from services.accounts import domain
from services.accounts.domain import Language, Strict, no_control_characters
from shared.clients import accounts as answers
from shared.openapi import omit_null
from shared.text import SINGLE_LINE_PATTERN as NO_OTHER_CHARACTERS
from shared.text import VISIBLE_SINGLE_LINE_PATTERN as VISIBLE_TEXT

# The domain's types with what they check written into the OpenAPI schema, so that a client (and
# schemathesis) knows what is refused before sending it.
Name = Annotated[domain.Name, Field(json_schema_extra={"pattern": VISIBLE_TEXT})]
Street = Annotated[domain.Street, Field(json_schema_extra={"pattern": VISIBLE_TEXT})]
City = Annotated[domain.City, Field(json_schema_extra={"pattern": VISIBLE_TEXT})]
Email = Annotated[domain.Email, Field(json_schema_extra={"format": "email"})]
# French numbers as members type them; other valid numbers are accepted too (undocumented).
PHONE_PATTERN = (
    r"^(?:\+33 ?|0)(?:[139](?: ?[0-9]){8}"
    r"|(?:2[0-57-9]|4[1-9]|5[0-8]|6[0-24-8]|7[3-9])(?: ?[0-9]){7})$"
)
Phone = Annotated[domain.Phone, Field(json_schema_extra={"pattern": PHONE_PATTERN})]
Postcode = Annotated[domain.Postcode, Field(json_schema_extra={"pattern": r"^\s*[0-9]{5}\s*$"})]
Password = Annotated[
    domain.Password,
    Field(
        json_schema_extra={
            "minLength": domain.PASSWORD_MIN,
            "maxLength": domain.PASSWORD_MAX,
            "pattern": NO_OTHER_CHARACTERS,
        }
    ),
]
# A PATCH's field that may be left out but not removed with `null`.
NOT_NULL = Field(default=None, json_schema_extra=omit_null)

# Every free text a request carries (the typed fields of domain.py check the same): one control
# character, NUL above all, gives a 422 naming the field instead of a 500 from Postgres.
Text = Annotated[
    str,
    AfterValidator(no_control_characters),
    Field(json_schema_extra={"pattern": NO_OTHER_CHARACTERS}),
]


class SignUp(Strict):
    first_name: Name
    last_name: Name
    email: Email
    password: Password
    phone: Phone | None = None
    street: Street | None = None
    postcode: Postcode | None = None
    city: City | None = None
    language: Language = "fr"
    group_id: uuid.UUID | None = Field(
        default=None, description="Join this group at once (sign-up through its join link)"
    )


class LogIn(Strict):
    email: Text = Field(max_length=254)
    password: str = Field(max_length=1000)


class ResetRequest(Strict):
    email: Text = Field(max_length=254)


class ResetConfirm(Strict):
    token: Text = Field(min_length=10, max_length=200)
    new_password: Password


class PartialUpdate(Strict):
    """A PATCH body: only the fields to change, at least one; the fields named in `REQUIRED`
    may be left out but not removed with `null`."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})
    REQUIRED: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def something_to_change(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("nothing to change")
        for required in self.REQUIRED:
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be removed")
        return self


class ProfileUpdate(PartialUpdate):
    """Only the fields to change (at least one); `null` removes the phone or an address field."""

    REQUIRED = ("first_name", "last_name", "email", "language")
    first_name: Name | None = NOT_NULL
    last_name: Name | None = NOT_NULL
    email: Email | None = NOT_NULL
    phone: Phone | None = None
    street: Street | None = None
    postcode: Postcode | None = None
    city: City | None = None
    language: Language | None = NOT_NULL


class Erase(Strict):
    password: str = Field(max_length=1000)


CoordinatorName = Annotated[Text, Field(max_length=200)]
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"


class GroupCreate(Strict):
    slug: str = Field(pattern=SLUG_PATTERN)
    name: Name
    city: City
    coordinator_name: CoordinatorName = ""
    coordinator_email: Email | None = None
    contact_email: Email | None = None
    phone_required: StrictBool = False
    address_required: StrictBool = False


class GroupUpdate(PartialUpdate):
    """The fields of `GroupCreate` to change, any of them; never the slug (the join link stays).

    `null` clears the coordinator's name and the two emails (stored as ""); name, city and the
    two flags cannot be removed."""

    REQUIRED = ("name", "city", "phone_required", "address_required")
    name: Name | None = NOT_NULL
    city: City | None = NOT_NULL
    coordinator_name: CoordinatorName | None = None
    coordinator_email: Email | None = None
    contact_email: Email | None = None
    phone_required: StrictBool | None = NOT_NULL
    address_required: StrictBool | None = NOT_NULL


class ServiceTokenRequest(Strict):
    service: str = Field(pattern=r"^[a-z][a-z-]{1,30}$")
    secret: Text = Field(max_length=500)


# The answers other services read are declared once, in shared/clients/accounts.py (frozen,
# unknown fields ignored when read); accounts answers with subclasses of them. The subclasses
# keep their own names (the OpenAPI schemas' titles) and carry no docstring: a docstring would
# become the schema's description.


class Group(answers.Group):
    pass


class GroupList(BaseModel):
    groups: list[Group]


class Membership(answers.Membership):
    group: Group


class PersonDetails(answers.PersonDetails):
    pass


class Me(answers.Me):
    memberships: list[Membership]


class Accepted(BaseModel):
    status: Literal["accepted"] = "accepted"


class SessionCreated(BaseModel):
    session_id: str
    user_id: uuid.UUID


class AccessToken(BaseModel):
    access_token: str
    expires_in: int
    user_id: uuid.UUID | None = None


class MemberRow(answers.MemberRow):
    pass


class MemberList(BaseModel):
    members: list[MemberRow]


class Contact(answers.PersonContact):
    pass


class ResetDelivery(answers.ResetDelivery):
    pass


class PersonalData(BaseModel):
    """Everything accounts holds about the caller (GDPR export): the person, memberships,
    sessions, consents… as the export module writes them."""

    model_config = ConfigDict(extra="allow")


class InternalMember(answers.GroupMember):
    pass


class InternalMemberList(BaseModel):
    members: list[InternalMember]


# A person's data download (export.py): the rows accounts holds about them, as read
# (repository.exports).


class ExportedProfile(BaseModel):
    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    phone: str | None
    street: str | None
    postcode: str | None
    city: str | None
    language: str
    is_admin: bool
    created_at: datetime
    updated_at: datetime


class ExportedMembership(BaseModel):
    group_id: uuid.UUID
    slug: str
    name: str
    city: str
    role: str
    joined_at: datetime


class ExportedSession(BaseModel):
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None


class ExportedReset(BaseModel):
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
