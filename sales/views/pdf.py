"""`POST /quick-convert-to-pdf` (family H): a PDF of an invoice, proforma (order, quote) or receipt
behind a signed, expiring link. The printing is core/pdf; document apps register their loaders."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core import pdf
from core.api.envelopes import FAMILIES
from core.api.fields import DateTimeMsField, StrictBooleanField, StrictCharField, format_datetime
from core.pdf.render import LANGUAGES, MAX_WATERMARK, ORIENTATIONS, PAGE_SIZES, TEMPLATES


class PdfOptionsSerializer(serializers.Serializer):
    includeHeader = StrictBooleanField(
        required=False, default=True, help_text="Company, title and serial on every page."
    )
    includeFooter = StrictBooleanField(
        required=False, default=True, help_text="Company and page numbers on every page."
    )
    watermark = StrictCharField(
        required=False, default="", allow_blank=True, max_length=MAX_WATERMARK, help_text="Text across every page."
    )
    orientation = serializers.ChoiceField(choices=ORIENTATIONS, required=False, default="portrait")
    format = serializers.ChoiceField(choices=list(PAGE_SIZES), required=False, default="A4")

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Expected an object.")
        unknown = sorted(str(key) for key in data if key not in self.fields)
        if unknown:
            raise serializers.ValidationError(
                {key: [f"Unknown option; known: {', '.join(self.fields)}."] for key in unknown}
            )
        return super().to_internal_value(data)


class QuickConvertSerializer(serializers.Serializer):
    documentType = serializers.ChoiceField(choices=pdf.DOCUMENT_TYPES, help_text="order and quote print as proformas.")
    documentId = StrictCharField(max_length=100)
    template = serializers.ChoiceField(choices=TEMPLATES, required=False, default="default")
    options = PdfOptionsSerializer(required=False)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False, default="en")


ANSWER = inline_serializer(
    "QuickConvertToPdfAnswer",
    {
        "success": serializers.BooleanField(),
        "pdfUrl": serializers.CharField(help_text="Signed link to the PDF; works without a key until expiresAt."),
        "filename": serializers.CharField(),
        "size": serializers.IntegerField(help_text="Bytes."),
        "pages": serializers.IntegerField(),
        "generatedAt": DateTimeMsField(),
        "expiresAt": DateTimeMsField(),
    },
)


class QuickConvertToPdfViewSet(viewsets.GenericViewSet):
    operations = {"create"}
    openapi_errors = {
        "post": {
            "404": "No document of that type and id in the caller's company, or no documents of that type can be "
            "printed yet (the message says which).",
        }
    }

    openapi_notes = {
        "post": (
            "Renders the document (company and client, lines, taxes and totals, serial, dates) as a PDF and answers "
            "a link to it. `order` and `quote` print the proforma with that id. The link needs no key and stops "
            "working at `expiresAt` (410 afterwards). `options`: `format` A4, A3 or Letter; `orientation` portrait "
            "or landscape; `watermark` text across every page; `includeHeader`/`includeFooter` (default true). "
            "`template` and `language` accept `default` and `en`."
        )
    }

    @staticmethod
    def family():
        return FAMILIES["H"]

    def get_serializer_class(self):
        return QuickConvertSerializer  # OPTIONS describes the body with it

    @extend_schema(
        request=QuickConvertSerializer,
        responses={200: ANSWER},
    )
    def create(self, request, *args, **kwargs):
        body = QuickConvertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        given = data.get("options") or {}
        options = pdf.PdfOptions(
            format=given.get("format", "A4"),
            orientation=given.get("orientation", "portrait"),
            watermark=given.get("watermark", ""),
            include_header=given.get("includeHeader", True),
            include_footer=given.get("includeFooter", True),
            template=data["template"],
            language=data["language"],
        )
        document_type = data["documentType"]
        try:
            made = pdf.generate_pdf(
                tenant=request.user.tenant, document_type=document_type, document_id=data["documentId"], options=options
            )
        except pdf.NoLoader:
            printed_as = pdf.canonical_type(document_type)
            raise NotFound(f"Documents of type '{printed_as}' cannot be printed yet.") from None
        except pdf.DocumentNotFound:
            raise NotFound(f"No {document_type} with id '{data['documentId']}'.") from None
        answer = {
            "pdfUrl": request.build_absolute_uri(reverse("pdf-download", args=[made.token])),
            "filename": made.filename,
            "size": made.size,
            "pages": made.pages,
            "generatedAt": format_datetime(made.generated_at),
            "expiresAt": format_datetime(made.expires_at),
        }
        return Response(self.family().one(answer))


def register(router) -> None:
    router.register("quick-convert-to-pdf", QuickConvertToPdfViewSet)
