"""The Optimization record: one optimize request, what came back and what it cost."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Optimization:
    """One optimize request as stored: built once by the pipeline, or read from history.

    id and created_at are None until the record is stored; a failed request has no
    refined text or savings, only its error_code.
    """

    organization_id: str | None
    user_id: str | None
    api_key_id: str | None
    provider: str
    model: str | None
    strategy: str
    compression_level: str
    output_format: str
    status: str
    tokenizer: str
    original_text: str | None
    original_tokens: int
    refined_text: str | None = None
    refined_tokens: int | None = None
    tokens_saved: int | None = None
    savings_percentage: float | Decimal | None = None
    removed_segments: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)
    provider_input_tokens: int | None = None
    provider_output_tokens: int | None = None
    duration_ms: int | None = None
    error_code: str | None = None
    id: str | None = None
    created_at: datetime | None = None

    @classmethod
    def from_row(cls, row: dict) -> Optimization:
        """A stored record from a history row (columns the row lacks are None)."""
        return cls(**{field.name: row.get(field.name) for field in dataclasses.fields(cls)})

    def columns(self) -> dict:
        """The record as column values, for the query functions that store it."""
        return dataclasses.asdict(self)

    def stored(self, row: dict) -> Optimization:
        """The same record with the id and created_at its insert returned."""
        return dataclasses.replace(self, id=row["id"], created_at=row["created_at"])
