"""Ids from other systems, mapped to ours deterministically.

A Repzo export names rows by 24-hex MongoDB ObjectIds; a file exported from another tenant
names them by that tenant's UUIDs. Neither can be our primary key as is, so each is mapped to
a UUIDv7 of our own: its 48-bit timestamp is the source id's creation time (an ObjectId's first
4 bytes are seconds; a UUIDv7 carries milliseconds), so ids stay time-ordered, and its other
bits come from sha256(tenant, model, source id), so importing the same file again, or a file
that refers to the same source id from another resource, lands on the same row.
"""

import hashlib
import re
import uuid

OBJECT_ID = re.compile(r"[0-9a-fA-F]{24}")
_48_BITS = (1 << 48) - 1


def is_object_id(value) -> bool:
    return isinstance(value, str) and len(value) == 24 and OBJECT_ID.fullmatch(value) is not None


def parse_id(value) -> uuid.UUID | None:
    """A UUID given as text (any case, with or without hyphens), else None."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or not 32 <= len(value) <= 36:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def source_key(value: str) -> str:
    """The canonical spelling of a source id (what is hashed and kept in integration_meta)."""
    parsed = None if is_object_id(value) else parse_id(value)
    return str(parsed) if parsed is not None else value.lower()


def mapped_id(*, tenant_id, model_label: str, source: str) -> uuid.UUID:
    """Our id for the row that `source` (an ObjectId or a foreign UUID) names in `model_label`."""
    source = source_key(source)
    digest = hashlib.sha256(f"{tenant_id}|{model_label}|{source}".encode()).digest()
    if is_object_id(source):
        millis = int(source[:8], 16) * 1000
    else:
        foreign = uuid.UUID(source)
        # A UUIDv7 keeps its time; any other version has none, so the hash stands in for it.
        millis = foreign.int >> 80 if foreign.version == 7 else int.from_bytes(digest[16:22], "big")
    rand = int.from_bytes(digest[:10], "big")  # 80 bits: 12 for rand_a, 62 for rand_b
    value = (millis & _48_BITS) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def model_label(model) -> str:
    return model._meta.label_lower
