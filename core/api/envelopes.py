"""The eight response-envelope families of the documented API (SEMANTICS.md §0.2).

A family decides the body of a list page, of one document, of a delete and of an error, the
HTTP status of a validation error, and the names of the standard document fields (timestamps
and version keys differ by family).
"""

import math
from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass
class Page:
    items: list
    total: int
    page: int  # 1-based
    per_page: int
    offset: int
    paging: str = "page"  # the request's paging parameters: "page", "offset" (limit/offset) or "odata"
    extra: dict = field(default_factory=dict)  # family G: totals and options

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.per_page else 0

    def last_start(self) -> int:
        """Where the last page starts: the last whole page, or for an offset the last step of
        `per_page` from it (what following the next pages reaches)."""
        if self.paging == "page" or not self.per_page:
            return max(self.pages - 1, 0) * self.per_page
        grid = self.offset % self.per_page
        if self.total <= grid:
            return 0
        return grid + (self.total - 1 - grid) // self.per_page * self.per_page


class Family:
    code = ""
    validation_status = 400
    # Standard document fields: public name -> model attribute (in output order).
    standard_fields = {"_id": "id", "company_namespace": None, "createdAt": "created_at", "updatedAt": "updated_at"}
    version_fields = ("__v",)
    page_urls = False

    def list_body(self, page: Page, request) -> dict:
        raise NotImplementedError

    def one(self, doc) -> dict:
        return doc

    def created(self, doc) -> dict:
        return self.one(doc)

    def deleted(self, doc) -> dict:
        return {"success": True}

    def error(self, message: str, details: list | None = None) -> dict:
        body = {"success": False, "error": message}
        if details:
            body["details"] = details
        return body


def _page_url(request, page: Page, start: int) -> str:
    """The URL of the page that starts at row `start`, in the paging parameters the request
    used (page/per_page, limit/offset or $top/$skip), with its other parameters kept."""
    params = request.query_params.copy()
    if page.paging == "offset":
        params["offset"] = str(start)
    elif page.paging == "odata":
        params["$skip"] = str(start)
    else:
        params["page"] = str(start // page.per_page + 1 if page.per_page else 1)
    base = request.build_absolute_uri(request.path)
    return f"{base}?{urlencode(list(params.lists()), doseq=True)}"


class FamilyD(Family):
    """Bare documents; Laravel-like list page (the Repzo SDK's DefaultPaginationResult)."""

    code = "D"
    page_urls = True

    def list_body(self, page, request):
        body = {
            "data": page.items,
            "total_result": page.total,
            "current_count": len(page.items),
            "total_pages": page.pages,
            "current_page": page.page,
            "per_page": page.per_page,
        }
        if self.page_urls:
            after = page.offset + page.per_page
            # A POST search's where-clause travels in its body, which no URL can carry: its pages
            # are asked for with `page` in the next body, so it gets no page URLs.
            linkable = request.method == "GET"
            body.update(
                first_page_url=_page_url(request, page, 0) if linkable else None,
                last_page_url=_page_url(request, page, page.last_start()) if linkable else None,
                next_page_url=_page_url(request, page, after)
                if linkable and page.per_page and after < page.total
                else None,
                prev_page_url=_page_url(request, page, max(page.offset - page.per_page, 0))
                if linkable and page.offset
                else None,
                path=request.build_absolute_uri(request.path),
            )
        return body

    def deleted(self, doc):
        return doc


class FamilyDNoUrls(FamilyD):
    page_urls = False


class FamilyE(Family):
    code = "E"
    standard_fields = {"_id": "id", "createdAt": "created_at", "updatedAt": "updated_at"}
    version_fields = ()

    def list_body(self, page, request):
        meta = {"page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages}
        return {"data": page.items, "meta": meta}

    def one(self, doc):
        return {"data": doc}


class FamilyA(Family):
    code = "A"

    def list_body(self, page, request):
        return {"success": True, "data": page.items, "total": page.total}

    def one(self, doc):
        return {"success": True, "data": doc}

    def deleted(self, doc):
        return {"success": True, "message": "Deleted."}


class FamilyB(Family):
    code = "B"
    validation_status = 422
    standard_fields = {"_id": "id", "company_namespace": None, "createdAt": "created_at", "modifiedAt": "updated_at"}
    version_fields = ("__v", "SVClient")

    def list_body(self, page, request):
        paging = {"total": page.total, "page": page.page, "per_page": page.per_page, "pages": page.pages}
        return {"success": True, "data": page.items, "paging": paging}

    def one(self, doc):
        return {"success": True, "data": doc}


class FamilyC(Family):
    code = "C"

    def list_body(self, page, request):
        pagination = {
            "page": page.page,
            "per_page": page.per_page,
            "pre_page": page.page - 1 if page.page > 1 else None,
            "next_page": page.page + 1 if page.page < page.pages else None,
            "total": page.total,
            "total_page": page.pages,
        }
        return {"success": True, "data": page.items, "pagination": pagination}

    def one(self, doc):
        return {"success": True, "data": doc}

    def deleted(self, doc):
        return {"success": True, "data": doc}


class FamilyF(Family):
    code = "F"
    standard_fields = {"_id": "id", "created_at": "created_at", "updated_at": "updated_at"}
    version_fields = ()

    def list_body(self, page, request):
        pagination = {"total": page.total, "page": page.page, "per_page": page.per_page, "total_pages": page.pages}
        return {"success": True, "result": page.items, "pagination": pagination}

    def one(self, doc):
        return {"success": True, "result": doc}

    def deleted(self, doc):
        return {"success": True, "result": doc}


class FamilyG(FamilyD):
    """Family D's page fields plus `totals` and `options` (rep-balance-summary). The view adds
    them through `page.extra`."""

    code = "G"
    page_urls = False

    def list_body(self, page, request):
        body = super().list_body(page, request)
        body["totals"] = page.extra.get("totals", {})
        body["options"] = {"has_more": page.page < page.pages, **page.extra.get("options", {})}
        return body


class FamilyH(Family):
    """A bare result object with `success` (quick-convert-to-pdf): no list, no stored document."""

    code = "H"

    def list_body(self, page, request):
        raise NotImplementedError("family H has no lists")

    def one(self, doc):
        return {"success": True, **doc}


FAMILIES = {
    "A": FamilyA(),
    "B": FamilyB(),
    "C": FamilyC(),
    "D": FamilyD(),
    "D-": FamilyDNoUrls(),  # family D without the page URLs (E1' in QUERY-DIALECTS.md §4.3)
    "E": FamilyE(),
    "F": FamilyF(),
    "G": FamilyG(),
    "H": FamilyH(),
}
DEFAULT_FAMILY = FAMILIES["D"]


# OpenAPI shapes of the envelopes (used by core/api/schema.py) ---------------------------------
def _obj(props: dict, required=None) -> dict:
    schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    return schema


_INT, _BOOL, _STR = {"type": "integer"}, {"type": "boolean"}, {"type": "string"}
_NULLABLE_STR = {"type": "string", "nullable": True}
_NULLABLE_INT = {"type": "integer", "nullable": True}


def list_schema(family: Family, doc: dict) -> dict:
    items = {"type": "array", "items": doc}
    if isinstance(family, FamilyG):
        schema = list_schema(FAMILIES["D-"], doc)
        schema["properties"]["totals"] = {"type": "object", "additionalProperties": True}
        schema["properties"]["options"] = _obj({"has_more": _BOOL, "include_documents_count": _BOOL})
        return schema
    if isinstance(family, FamilyD):
        props = {
            "data": items,
            "total_result": _INT,
            "current_count": _INT,
            "total_pages": _INT,
            "current_page": _INT,
            "per_page": _INT,
        }
        if family.page_urls:
            props.update(
                first_page_url=_NULLABLE_STR,  # null on POST searches
                last_page_url=_NULLABLE_STR,
                next_page_url=_NULLABLE_STR,
                prev_page_url=_NULLABLE_STR,
                path=_STR,
            )
        return _obj(props, props)
    if isinstance(family, FamilyE):
        meta = _obj({"page": _INT, "per_page": _INT, "total": _INT, "pages": _INT})
        return _obj({"data": items, "meta": meta}, ["data", "meta"])
    if isinstance(family, FamilyA):
        return _obj({"success": _BOOL, "data": items, "total": _INT}, ["success", "data", "total"])
    if isinstance(family, FamilyB):
        paging = _obj({"total": _INT, "page": _INT, "per_page": _INT, "pages": _INT})
        return _obj({"success": _BOOL, "data": items, "paging": paging}, ["success", "data", "paging"])
    if isinstance(family, FamilyC):
        pagination = _obj(
            {
                "page": _INT,
                "per_page": _INT,
                "pre_page": _NULLABLE_INT,
                "next_page": _NULLABLE_INT,
                "total": _INT,
                "total_page": _INT,
            }
        )
        return _obj({"success": _BOOL, "data": items, "pagination": pagination}, ["success", "data", "pagination"])
    if isinstance(family, FamilyF):
        pagination = _obj({"total": _INT, "page": _INT, "per_page": _INT, "total_pages": _INT})
        return _obj({"success": _BOOL, "result": items, "pagination": pagination})
    return items


def one_schema(family: Family, doc: dict) -> dict:
    if isinstance(family, FamilyH):
        return {"allOf": [_obj({"success": _BOOL}, ["success"]), doc]}
    if isinstance(family, FamilyD):
        return doc
    if isinstance(family, FamilyE):
        return _obj({"data": doc}, ["data"])
    if isinstance(family, FamilyF):
        return _obj({"success": _BOOL, "result": doc}, ["success", "result"])
    return _obj({"success": _BOOL, "data": doc}, ["success", "data"])


def deleted_schema(family: Family, doc: dict) -> dict:
    if isinstance(family, FamilyD):
        return doc
    if isinstance(family, FamilyC):
        return _obj({"success": _BOOL, "data": doc}, ["success", "data"])
    if isinstance(family, FamilyA):
        return _obj({"success": _BOOL, "message": _STR}, ["success", "message"])
    if isinstance(family, FamilyF):
        return _obj({"success": _BOOL, "result": doc}, ["success", "result"])
    return _obj({"success": _BOOL}, ["success"])


ERROR_SCHEMA = _obj(
    {
        "success": _BOOL,
        "error": _STR,
        "details": {
            "type": "array",
            "items": _obj({"path": _STR, "message": _STR, "code": _STR}),
        },
    },
    ["success", "error"],
)
