"""Documents of `fullinvoices` and `proforma` (family E). The services keep every rule
(sales/services/invoices.py, proformas.py); these read the body and render the document."""

from rest_framework import serializers

from core.api import fields as f
from core.api.serializers import ResourceSerializer
from sales.models import Invoice, Proforma
from sales.services import invoices as invoice_services
from sales.services import proformas as proforma_services
from sales.services.invoice_lines import MAX_ITEMS, line_document

_NUM, _STR, _ID = {"type": "number"}, {"type": "string"}, {"type": "string", "description": "An id."}
_NULL_ID = {"type": "string", "nullable": True}
ITEM_REQUEST = {
    "type": "object",
    "description": (
        'An item: `{"variant": "<variant id>", "qty": 3}`, or the SDK\'s shape with `variant` an object. The '
        "server computes the rest; keys of a line as answered (`_id`, `line_total`, ...) may be sent back and are "
        "recomputed."
    ),
    "properties": {
        "variant": {
            "anyOf": [
                _ID,
                {
                    "type": "object",
                    "properties": {"variant_id": _STR, "product_id": _STR},
                    "required": ["variant_id"],
                    "additionalProperties": True,
                },
            ]
        },
        "measureunit": {
            "description": "The unit of `qty` (its id, or an object with `_id`); the base unit when absent.",
            "anyOf": [_ID, {"type": "object", "properties": {"_id": _STR}, "additionalProperties": True}],
            "nullable": True,
        },
        "qty": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        "price": {**_NUM, "nullable": True, "description": "Checked against the server's price (422 if different)."},
        "discount_value": {**_NUM, "minimum": 0, "nullable": True, "description": "The line's discount, an amount."},
        "note": {**_STR, "nullable": True},
        "return_reason": {**_NULL_ID, "description": "On a return's lines: a return reason id."},
    },
    "required": ["variant", "qty"],
    "additionalProperties": True,
}
ITEM_RESPONSE = {
    "type": "object",
    "properties": {
        "_id": _STR,
        "variant": {
            "type": "object",
            "properties": {
                "variant_id": _STR,
                "product_id": _STR,
                "variant_name": _STR,
                "product_name": _STR,
                "listed_price": {
                    **_NUM,
                    "description": "Price of one base unit (the client's price list, else the variant's).",
                },
            },  # fmt: skip
            "required": ["variant_id", "product_id", "variant_name", "product_name", "listed_price"],
        },
        "measureunit": {
            "type": "object",
            "nullable": True,
            "properties": {"_id": _STR, "name": _STR, "factor": _NUM},
            "required": ["_id", "name", "factor"],
        },
        "tax": {
            "type": "object",
            "properties": {
                "_id": _NULL_ID,
                "rate": {**_NUM, "description": "Percent."},
                "type": {"type": "string", "enum": ["additive", "inclusive", "N/A"]},
            },
            "required": ["_id", "rate", "type"],
        },
        "qty": _NUM,
        "base_unit_qty": {**_NUM, "description": "qty × the unit's factor."},
        "price": {**_NUM, "description": "Price of one unit of the line."},
        "gross_value": {**_NUM, "description": "qty × price."},
        "discount_value": _NUM,
        "discounted_price": {**_NUM, "description": "(gross − discount) / qty."},
        "tax_amount": {**_NUM, "description": "The line's tax."},
        "tax_total": {**_NUM, "description": "The line's tax (the SDK's name)."},
        "line_total": _NUM,
        "class": {"type": "string", "enum": ["invoice", "return", "proforma"]},
        "note": _STR,
        "return_reason": _NULL_ID,
    },
    "required": [
        "_id",
        "variant",
        "measureunit",
        "tax",
        "qty",
        "base_unit_qty",
        "price",
        "gross_value",
        "discount_value",
        "discounted_price",
        "tax_amount",
        "tax_total",
        "line_total",
        "class",
        "note",
        "return_reason",
    ],  # fmt: skip
}


class ItemsField(serializers.Field):
    """`items`: read as sent (the services read and resolve each item, naming `items[i].<field>`
    in errors), answered from the stored lines (prefetched with the document)."""

    default_error_messages = {"invalid": "Expected a list of items.", "too_many": f"At most {MAX_ITEMS} items."}

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def openapi_schema(self, direction) -> dict:
        if direction == "request":
            return {"type": "array", "items": ITEM_REQUEST, "maxItems": MAX_ITEMS}
        return {"type": "array", "items": ITEM_RESPONSE, "readOnly": False}

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("invalid")
        if len(data) > MAX_ITEMS:
            self.fail("too_many")
        return {"items": data}

    def to_representation(self, instance):
        return render_items(instance)


def render_items(instance) -> list[dict]:
    if isinstance(instance, Invoice):
        kind = instance.kind
    else:
        kind = "proforma"
    return [line_document(line, kind=kind) for line in instance.lines.all()]


# The parties of a document, read with the columns issuing uses (the client's price list, the
# warehouse's name for stock messages): a client row has some sixty columns.
def _party(name: str, *columns: str):
    return Invoice._meta.get_field(name).related_model.objects.only("id", "tenant_id", *columns)


REFERENCES = {
    "client": _party("client", "sv_price_list_id"),
    "rep": _party("rep"),
    "warehouse": _party("warehouse", "name"),
}


class DocumentSerializer(ResourceSerializer):
    items = ItemsField()
    total = f.MoneyField(
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text="Σ line_total, computed by the server; a different value sent is refused (422).",
    )

    def current_items(self, instance):
        return render_items(instance)


PAYMENTS_DATA = {
    "type": "object",
    "description": "What has been paid on the invoice (payments and settlements) and what is still owed.",
    "properties": {
        "invoice_value": {**_NUM, "description": "The invoice's total."},
        "paid": {**_NUM, "description": "Σ of the payments' and settlements' amounts applied to it."},
        "balance": {
            **_NUM,
            "description": "Still owed: total − paid − its returns (not void), never below 0; 0 when void.",
        },
        "payments": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "payment": {**_STR, "description": "The payment (`/payments`)."},
                    "amount": _NUM,
                    "settlement": {**_NULL_ID, "description": "The settlement that applied it, if any."},
                    "date": {"type": "string", "format": "date-time"},
                },
                "required": ["payment", "amount", "settlement", "date"],
            },
        },
    },
    "required": ["invoice_value", "paid", "balance", "payments"],
}


def _payments_data(invoice) -> dict:
    from finance.services.payments import payments_data

    data = payments_data(invoice)
    for row in data["payments"]:
        row["date"] = f.format_datetime(row["date"])
    return data


class InvoiceSerializer(DocumentSerializer):
    """An invoice or a return (`returned_from` set)."""

    paymentsData = f.DerivedField(_payments_data, schema=PAYMENTS_DATA)

    returned_from = f.RefField(
        queryset=Invoice.objects.all(),
        required=False,
        allow_null=True,
        help_text="On a return: the invoice the items come back from.",
    )
    proforma_reference = f.RefField(
        queryset=Proforma.objects.all(),
        required=False,
        allow_null=True,
        help_text="The proforma this invoice converts (once).",
    )
    is_void = f.StrictBooleanField(required=False, help_text="true voids the invoice and puts its stock back, once.")

    class Meta:
        model = Invoice
        family = "E"
        fields = [
            "serial", "client", "rep", "warehouse", "items", "subtotal", "discount_amount", "tax_amount", "total",
            "status", "paymentsData", "dueDate", "issueDate", "is_void", "returned_from", "proforma_reference",
            "notes", "integration_meta",
        ]  # fmt: skip
        aliases = {"dueDate": "due_date", "issueDate": "issue_date"}
        extra_kwargs = {
            "serial": {"required": False, "allow_blank": True},
            "client": {"required": False, "queryset": REFERENCES["client"]},
            "rep": {"queryset": REFERENCES["rep"]},
            "warehouse": {"required": False, "queryset": REFERENCES["warehouse"]},
            "issueDate": {"read_only": True},
            "status": {"required": False},
        }

    def create(self, validated_data):
        return invoice_services.issue_invoice(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return invoice_services.update_invoice(
            invoice=instance, data=validated_data, current_items=self.current_items(instance)
        )


class ProformaSerializer(DocumentSerializer):
    class Meta:
        model = Proforma
        family = "E"
        fields = [
            "serial", "client", "rep", "warehouse", "items", "subtotal", "discount_amount", "tax_amount", "total",
            "status", "validUntil", "issueDate", "notes", "integration_meta",
        ]  # fmt: skip
        aliases = {"validUntil": "valid_until", "issueDate": "issue_date"}
        extra_kwargs = {
            "serial": {"required": False, "allow_blank": True},
            "client": {"required": False, "queryset": REFERENCES["client"]},
            "rep": {"queryset": REFERENCES["rep"]},
            "warehouse": {"required": False, "queryset": REFERENCES["warehouse"]},
            "issueDate": {"read_only": True},
            "status": {"required": False},
        }

    def create(self, validated_data):
        return proforma_services.create_proforma(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return proforma_services.update_proforma(
            proforma=instance, data=validated_data, current_items=self.current_items(instance)
        )
