"""How every admin form and list reads: the same layout everywhere, so staff find things.

Forms: the row's name (or what names it: a setting's key, an email) first; JSON fields last, in a
collapsed "JSON data" section; the server's bookkeeping (id, timestamps, version) in a collapsed
"Record" section of an existing row. Lists: columns that fit a laptop screen, long text cut short.
"""

import json

from django.contrib import admin
from django.db import models
from django.utils.text import Truncator

SERVER_FIELDS = ("id", "created_at", "updated_at", "version")
JSON_SECTION = "JSON data"
RECORD_SECTION = "Record"
CELL_CHARS = 60  # a list cell longer than this wraps into a tall row


class FormLayoutMixin:
    title_field: str | None = None  # default: `name`, else the list's first column

    def get_title_field(self) -> str | None:
        names = {field.name for field in self.model._meta.get_fields()}
        if self.title_field or "name" in names:
            return self.title_field or "name"
        first = self.list_display[0] if self.list_display else None
        return first if first in names else None

    def get_fieldsets(self, request, obj=None):
        json_fields = {field.name for field in self.model._meta.get_fields() if isinstance(field, models.JSONField)}
        sections, pulled_json, pulled_record = [], [], []
        for name, options in super().get_fieldsets(request, obj):
            kept = []
            for field in options["fields"]:
                if field in json_fields:
                    pulled_json.append(field)
                elif field in SERVER_FIELDS:
                    pulled_record.append(field)
                else:
                    kept.append(field)
            sections.append((name, {**options, "fields": kept}))
        title = self.get_title_field()
        if title and sections and any(title in options["fields"] for _, options in sections):
            for _, options in sections:
                options["fields"] = [field for field in options["fields"] if field != title]
            sections[0][1]["fields"].insert(0, title)
        if obj is not None and pulled_record:  # nothing to show before the row exists
            sections.append((RECORD_SECTION, {"classes": ("collapse",), "fields": pulled_record}))
        if pulled_json:
            sections.append((JSON_SECTION, {"classes": ("collapse",), "fields": pulled_json}))
        return [(name, options) for name, options in sections if options["fields"]]


def short_text(field_name: str, description: str | None = None, length: int = CELL_CHARS):
    """A list column showing a long text (or JSON) field cut to one line."""

    @admin.display(description=description or field_name.replace("_", " "), ordering=field_name)
    def column(obj):
        value = getattr(obj, field_name)
        text = value if isinstance(value, str) else "" if value is None else json.dumps(value, ensure_ascii=False)
        return Truncator(text).chars(length)

    column.__name__ = f"short_{field_name}"
    return column
