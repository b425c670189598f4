"""What every service's personal-data download (GDPR Art. 15/20) starts with: which service
answers, for whom, and in which groups; each service then lists its own rows."""

import uuid

from pydantic import BaseModel


class PersonalDataExport(BaseModel):
    # Each service narrows it to its own name (`service: Literal["ordering"] = "ordering"`): the
    # field keeps its place, first, in the download and in the OpenAPI schema.
    service: str
    user_id: uuid.UUID
    # Every group the person has data in here, including groups they have left.
    group_ids: list[uuid.UUID]
