"""Building blocks of the request and response models.

Requests are strict about shape: unknown fields, NaN and infinities are refused, text has
bounded length and no NUL characters (PostgreSQL cannot store them), counts fit a 32-bit
column and refuse booleans. Whatever passes here is safe to hand to the database.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

from sokovan.common.errors import InvalidInputError, InvalidResourceValueError
from sokovan.common.resource_slot import ResourceSlot, SlotTypes

#: Amounts beyond this are typos or attacks, not requests (1e15 bytes is ~900 TiB).
ABSURD_AMOUNT = Decimal(10) ** 15
INT32_MAX = 2**31 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NoNul = AfterValidator(_no_nul)
Name = Annotated[StrictStr, Field(min_length=1, max_length=64), NoNul]
LongName = Annotated[StrictStr, Field(min_length=1, max_length=256), NoNul]
Description = Annotated[StrictStr, Field(max_length=4096), NoNul]
Count = Annotated[StrictInt, Field(ge=0, le=INT32_MAX)]
#: Durations up to ~31 years: longer ones would overflow date arithmetic downstream.
Seconds = Annotated[float, Field(ge=0, le=10**9)]
SlotAmount = StrictStr | StrictInt | StrictFloat
#: Slot name → amount as users write it ({"cpu": "2", "mem": "4g"}).
SlotRequest = Annotated[dict[Name, SlotAmount], Field(max_length=64)]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class PatchModel(RequestModel):
    """A partial update: only the fields present change, and only `nullable` ones take null."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _null_only_where_allowed(self) -> Self:
        refused = sorted(
            name
            for name in self.model_fields_set
            if getattr(self, name) is None and name not in self.nullable
        )
        if refused:
            raise ValueError(
                f"{', '.join(refused)} cannot be null; omit a field to leave it unchanged"
            )
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the request sets, by name."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class ResponseModel(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorInfo(ResponseModel):
    code: str = Field(description="Stable machine-readable reason, e.g. 'never-fits'.")
    message: str = Field(description="What went wrong and what to do about it.")
    details: Any = Field(None, description="Structured context, e.g. per-field problems.")


class ErrorResponse(ResponseModel):
    error: ErrorInfo


def parse_slots(raw: dict[str, Any], slot_types: SlotTypes, subject: str) -> ResourceSlot:
    """Parse user-written amounts; known slots only, each within 0..1e15.

    Raises `UnknownSlotTypeError` / `InvalidResourceValueError` naming `subject`.
    """
    try:
        slots = ResourceSlot.parse(raw, slot_types)
    except InvalidInputError as exc:
        # The same error type, naming which request it is about.
        raise type(exc)(f"{subject}: {exc}") from None
    for slot, amount in slots.items():
        if amount > ABSURD_AMOUNT:
            raise InvalidResourceValueError(
                f"{subject}: {slot} amount {amount} is out of range; at most 10^15 is accepted"
            )
    return slots


#: How an error response is documented in OpenAPI.
ERROR_BODY: dict[str, Any] = {"model": ErrorResponse}
#: The error responses every endpoint may give.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: ERROR_BODY for status in (400, 401, 403, 404, 409, 413, 422)
}
