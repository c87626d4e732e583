"""Every envelope family's bodies, as SEMANTICS.md §0.2 documents them."""

from urllib.parse import parse_qs, urlsplit

from rest_framework.test import APIRequestFactory

from core.api.envelopes import FAMILIES, Page


def page(**kw):
    return Page(items=[{"_id": "a"}, {"_id": "b"}], total=5, page=2, per_page=2, offset=2, **kw)


def request():
    from rest_framework.request import Request

    return Request(APIRequestFactory().get("/v1/thing", {"page": 2, "per_page": 2, "name": "x"}))


def query(url):
    return parse_qs(urlsplit(url).query)


def test_list_bodies():
    req = request()
    d = FAMILIES["D"].list_body(page(), req)
    assert d["total_result"] == 5 and d["current_count"] == 2 and d["total_pages"] == 3 and d["current_page"] == 2
    assert query(d["next_page_url"]) == {"page": ["3"], "per_page": ["2"], "name": ["x"]}
    assert query(d["prev_page_url"])["page"] == ["1"] and d["path"] == "http://testserver/v1/thing"
    assert set(FAMILIES["D-"].list_body(page(), req)) == {
        "data", "total_result", "current_count", "total_pages", "current_page", "per_page",
    }  # fmt: skip
    assert FAMILIES["E"].list_body(page(), req)["meta"] == {"page": 2, "per_page": 2, "total": 5, "pages": 3}
    assert FAMILIES["A"].list_body(page(), req) == {"success": True, "data": page().items, "total": 5}
    assert FAMILIES["B"].list_body(page(), req)["paging"] == {"total": 5, "page": 2, "per_page": 2, "pages": 3}
    assert FAMILIES["C"].list_body(page(), req)["pagination"] == {
        "page": 2, "per_page": 2, "pre_page": 1, "next_page": 3, "total": 5, "total_page": 3,
    }  # fmt: skip
    f = FAMILIES["F"].list_body(page(), req)
    assert f["result"] == page().items and f["pagination"]["total_pages"] == 3
    g = FAMILIES["G"].list_body(page(extra={"totals": {"total_balances": 12.5}}), req)
    assert g["totals"] == {"total_balances": 12.5} and g["options"]["has_more"] is True and g["total_result"] == 5


def test_single_delete_and_error_bodies():
    doc = {"_id": "a"}
    assert FAMILIES["D"].one(doc) == doc and FAMILIES["D"].deleted(doc) == doc
    assert FAMILIES["E"].one(doc) == {"data": doc} and FAMILIES["E"].deleted(doc) == {"success": True}
    assert FAMILIES["A"].one(doc) == {"success": True, "data": doc} and FAMILIES["A"].deleted(doc)["success"]
    assert "message" in FAMILIES["A"].deleted(doc)
    assert FAMILIES["B"].deleted(doc) == {"success": True} and FAMILIES["B"].validation_status == 422
    assert FAMILIES["C"].deleted(doc) == {"success": True, "data": doc}
    assert FAMILIES["F"].one(doc) == {"success": True, "result": doc}
    assert FAMILIES["H"].one({"pdfUrl": "u"}) == {"success": True, "pdfUrl": "u"}
    for family in FAMILIES.values():
        body = family.error("bad", [{"path": "x", "message": "m", "code": "invalid"}])
        assert body["success"] is False and body["error"] == "bad" and body["details"][0]["path"] == "x"


def test_model_field_refusals_are_validation_errors_in_the_family_status():
    """A django ValidationError reaching the handler (a model field refusing a value on its way
    to the database) is the client's input: the family's validation status, with the path."""
    from django.core.exceptions import ValidationError

    from core.api.exceptions import handle_exception

    class View:
        family = FAMILIES["B"]

    r = handle_exception(ValidationError({"credit_limit": ["“nan” must be a decimal number."]}), {"view": View()})
    assert r.status_code == 422 and r.data["details"][0]["path"] == "credit_limit"
    View.family = FAMILIES["D"]
    r = handle_exception(ValidationError("bad value"), {"view": View()})
    assert r.status_code == 400 and r.data["success"] is False and "bad value" in r.data["error"]
