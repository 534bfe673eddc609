"""Shared by the coreference tests: what a record says of its speakers."""

from __future__ import annotations

from onrecord.record import Record


def speakers(record: Record) -> dict[str, str | None]:
    """Content -> the speaker's canonical name (None when the record names nobody)."""
    return {a.content.text: (a.speaker.name if a.speaker else None) for a in record.attributions}
