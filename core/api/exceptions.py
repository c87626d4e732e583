"""Every error a client can cause becomes a 4xx in the resource's error envelope.

Validation errors carry the path of each bad field (`business_hours.monday.open`,
`ids[2]`); the status is 400, or 422 for the families that document it.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response

from .envelopes import DEFAULT_FAMILY
from .listing import QueryError

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    """409. `details` (a list of {path, message, code, ...}) go to the error body as they are:
    a conflict with an existing row names it (`_id`)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict with the current state of the resource."
    default_code = "conflict"

    def __init__(self, detail=None, code=None, *, details: list | None = None):
        super().__init__(detail, code)
        self.details = details


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request cannot be processed."
    default_code = "unprocessable"


def flatten_errors(detail, path="") -> list[dict]:
    """DRF's nested error detail as a flat list of {path, message, code}."""
    out = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                sub = path
            elif isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                sub = f"{path}[{key}]"
            else:
                sub = f"{path}.{key}" if path else str(key)
            out.extend(flatten_errors(value, sub))
    elif isinstance(detail, list):
        if all(isinstance(item, (str, exceptions.ErrorDetail)) for item in detail):
            for item in detail:
                out.append({"path": path, "message": str(item), "code": getattr(item, "code", "invalid")})
        else:
            for i, item in enumerate(detail):
                if item:
                    out.extend(flatten_errors(item, f"{path}[{i}]"))
    else:
        out.append({"path": path, "message": str(detail), "code": getattr(detail, "code", "invalid")})
    return out


def summary(details: list[dict]) -> str:
    parts = [f"{d['path']}: {d['message']}" if d["path"] else d["message"] for d in details[:5]]
    more = len(details) - 5
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _family_of(view):
    family = getattr(view, "family", None)
    if callable(family):
        return family()
    return family or DEFAULT_FAMILY


def _references(exc) -> str:
    objs = list(getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", None) or [])
    counts = {}
    for obj in objs:
        label = getattr(obj, "resource_name", None) or obj._meta.verbose_name
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{n} {label}" for label, n in sorted(counts.items())) or "other rows"


def _odata_error_class():
    try:
        from .odata import ODataError
    except ImportError:  # pragma: no cover - during the build-up of the OData module
        return None
    return ODataError


def handle_exception(exc, context):
    view = context.get("view")
    family = _family_of(view)
    details = None

    odata_error = _odata_error_class()
    if odata_error is not None and isinstance(exc, odata_error):
        return Response(exc.body(), status=exc.status)  # OData's own error shape
    if isinstance(exc, QueryError):
        code, message = 400, f"{exc.path}: {exc.message}" if exc.path else exc.message
        details = [{"path": exc.path, "message": exc.message, "code": getattr(exc, "code", "invalid_query")}]
    elif isinstance(exc, exceptions.ValidationError):
        details = flatten_errors(exc.detail)
        code, message = family.validation_status, summary(details) or "Invalid input."
    elif isinstance(exc, exceptions.ParseError):
        code, message = 400, f"Malformed request body: {exc.detail}"
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        code, message = 401, str(exc.detail)
    elif isinstance(exc, (exceptions.PermissionDenied, DjangoPermissionDenied)):
        code, message = 403, str(getattr(exc, "detail", "") or "Forbidden.")
    elif isinstance(exc, exceptions.NotFound):
        code, message = 404, str(exc.detail) or "Not found."  # "Not found: <ids>." from bulk removes
    elif isinstance(exc, Http404):
        code, message = 404, "Not found."
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        code, message = 409, f"Cannot delete: still referenced by {_references(exc)}."
    elif isinstance(exc, IntegrityError):
        code, message = 409, "Conflicts with an existing row (a unique value is already taken)."
        logger.info("integrity error: %s", exc)
    elif isinstance(exc, DataError):
        # A value the database cannot hold (a NUL byte in text or JSON, a number out of range):
        # the client's input, so a 400, never a 500.
        code, message = (
            400,
            (
                "A value cannot be stored or compared: out of range, invalid characters, "
                "or a pattern the database refuses."
            ),
        )
        logger.info("data error: %s", exc)
    elif isinstance(exc, DjangoValidationError):
        # A model field refusing a value on its way to the database: the client's input.
        details = flatten_errors(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        code, message = family.validation_status, summary(details) or "Invalid input."
    elif isinstance(exc, exceptions.APIException):
        code = exc.status_code
        message = str(exc.detail) if not isinstance(exc.detail, (list, dict)) else summary(flatten_errors(exc.detail))
        details = getattr(exc, "details", None)
    elif isinstance(exc, DatabaseError) and "statement timeout" in str(exc):
        code, message = 400, "The query took too long; narrow it down."
    else:
        return None  # a real bug: let Django log it and answer 500

    response = Response(family.error(message, details), status=code)
    if code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    if isinstance(exc, exceptions.Throttled) and exc.wait:
        response["Retry-After"] = str(int(exc.wait))
    return response


def json_404(request, exception=None):
    return JsonResponse(DEFAULT_FAMILY.error(f"Not found: no such path {request.path}."), status=404)


@csrf_exempt  # any method: a POST to an unknown path is a 404 too, not a CSRF 403
def unknown_api_path(request, *args, **kwargs):
    """The JSON 404 of an unknown path under an API prefix, answered by a URL pattern (the
    last ones) rather than by handler404, which DEBUG replaces with Django's HTML page."""
    return json_404(request)


def json_500(request):
    return JsonResponse({"success": False, "error": "Internal server error."}, status=500)
