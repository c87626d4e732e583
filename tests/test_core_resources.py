"""The platform resources of the `core` app: settings, media, media-storage, custom-status,
custom-list and custom-list-item (the generic API cases, plus each resource's own rules)."""

import pytest
from rest_framework.exceptions import ValidationError

from core import services
from core.api.exceptions import Conflict
from core.models import CustomList, CustomListItem, MediaStorage, Setting
from tests.api_cases import ResourceAPICase
from tests.factories import (
    CustomListFactory,
    CustomListItemFactory,
    CustomStatusFactory,
    MediaFactory,
    MediaStorageFactory,
    SettingFactory,
)

UNKNOWN_ID = "01890a5d-ac96-774b-bcce-b302099a8057"


def ids(body) -> list[str]:
    return [doc["_id"] for doc in body["data"]]


# Settings ------------------------------------------------------------------------------------
class TestSettingsAPI(ResourceAPICase):
    path = "settings"
    family = "E"
    operations = {"list", "retrieve", "update"}
    update_data = {"key": "renamed_setting", "value": {"levels": [1, 2]}, "category": "ops", "description": "Why"}

    @pytest.fixture(autouse=True)
    def _without_seeded_rows(self, tenant, other_tenant):
        # The generic paging checks count rows; start them from an empty table.
        Setting.objects.filter(tenant__in=[tenant, other_tenant]).delete()

    def make(self, tenant, **kwargs):
        return SettingFactory(tenant=tenant, **kwargs)


@pytest.mark.django_db
class TestSettingsRules:
    def test_every_new_tenant_gets_the_default_settings(self):
        tenant = services.create_tenant(namespace="initech")
        keys = set(Setting.objects.filter(tenant=tenant).values_list("key", flat=True))
        assert keys == {key for key, *_ in services.DEFAULT_SETTINGS}
        assert services.seed_tenant_settings(tenant=tenant) == 0  # idempotent
        assert Setting.objects.filter(tenant=tenant).count() == len(services.DEFAULT_SETTINGS)

    def test_seeded_settings_are_listed_with_their_values(self, api, tenant):
        body = api.get("/v1/settings", {"per_page": 100}).json()
        assert set(body) == {"data", "meta"}
        by_key = {doc["key"]: doc for doc in body["data"]}
        assert by_key["currency"]["value"] == "USD"
        assert by_key["allow_negative_stock"]["value"] is False
        assert by_key["invoice_due_days"]["value"] == 30
        assert set(by_key["currency"]) == {"_id", "createdAt", "updatedAt", "key", "value", "category", "description"}
        assert body["meta"]["total"] == len(services.DEFAULT_SETTINGS)

    def test_filters_by_key_and_category(self, api, tenant):
        body = api.get("/v1/settings", {"key": "currency"}).json()
        assert [doc["key"] for doc in body["data"]] == ["currency"]
        body = api.get("/v1/settings", {"category": "general", "per_page": 100}).json()
        assert {doc["key"] for doc in body["data"]} == {"currency", "timezone", "language", "date_format"}

    def test_no_create_and_no_delete(self, api, tenant):
        setting = Setting.objects.get(tenant=tenant, key="currency")
        assert api.post("/v1/settings", {"key": "new", "value": 1}, format="json").status_code == 405
        assert api.delete(f"/v1/settings/{setting.pk}").status_code == 405
        assert api.delete(f"/settings/{setting.pk}").status_code == 405  # the SDK copy too
        assert Setting.objects.filter(pk=setting.pk).exists()
        assert not Setting.objects.filter(tenant=tenant, key="new").exists()

    @pytest.mark.parametrize("value", [7, 2.5, "EUR", True, None, {"a": [1, {"b": None}]}, [1, "x", False], ""])
    def test_value_takes_any_json(self, api, tenant, value):
        setting = Setting.objects.get(tenant=tenant, key="currency")
        r = api.put(f"/v1/settings/{setting.pk}", {"value": value}, format="json")
        assert r.status_code == 200, r.content
        assert r.json()["data"]["value"] == value
        assert api.get(f"/v1/settings/{setting.pk}").json()["data"]["value"] == value

    def test_changing_the_key_to_a_taken_one_is_409(self, api, tenant):
        currency = Setting.objects.get(tenant=tenant, key="currency")
        r = api.put(f"/v1/settings/{currency.pk}", {"key": "timezone", "value": "EUR"}, format="json")
        assert r.status_code == 409
        assert r.json()["success"] is False and "timezone" in r.json()["error"]
        currency.refresh_from_db()
        assert (currency.key, currency.value, currency.version) == ("currency", "USD", 0)
        # a free key, or its own key, is fine
        assert api.patch(f"/v1/settings/{currency.pk}", {"key": "money"}, format="json").status_code == 200
        assert api.patch(f"/v1/settings/{currency.pk}", {"key": "money"}, format="json").status_code == 200

    def test_the_same_key_in_another_tenant_does_not_conflict(self, api, tenant, other_tenant):
        SettingFactory(tenant=other_tenant, key="brand_color")
        currency = Setting.objects.get(tenant=tenant, key="currency")
        assert api.patch(f"/v1/settings/{currency.pk}", {"key": "brand_color"}, format="json").status_code == 200

    @pytest.mark.parametrize("body", [{"key": 5}, {"key": ""}, {"key": None}, {"category": 1}, {"description": []}])
    def test_bad_updates_are_400(self, api, tenant, body):
        currency = Setting.objects.get(tenant=tenant, key="currency")
        r = api.put(f"/v1/settings/{currency.pk}", body, format="json")
        assert r.status_code == 400, r.content
        assert r.json()["details"][0]["path"] == next(iter(body))
        currency.refresh_from_db()
        assert currency.version == 0

    def test_update_setting_service_refuses_a_taken_key(self, tenant):
        currency = Setting.objects.get(tenant=tenant, key="currency")
        with pytest.raises(Conflict):
            services.update_setting(setting=currency, data={"key": "language"})
        updated = services.update_setting(setting=currency, data={"key": "currency", "value": "JOD"})
        assert updated.value == "JOD"


# Media ---------------------------------------------------------------------------------------
class TestMediaAPI(ResourceAPICase):
    path = "media"
    family = "D"
    operations = {"list", "create", "retrieve", "update", "destroy"}
    create_data = {
        "name": "Catalogue",
        "description": "Spring catalogue",
        "url": "https://files.example.test/catalogue.pdf",
        "document_type": "pdf",
        "parent_document_type": "clients",
        "parent_document_key": "65a1b2c3d4e5f6a7b8c9d0e1",
        "disabled": False,
        "integration_meta": {"erp_id": "M-1"},
    }
    update_data = {"name": "Summer catalogue", "document_type": "pptx", "parent_document_type": "products"}
    invalid_data = [
        {"name": "x", "url": "https://x.test/a", "document_type": "exe"},  # bad enum
        {"name": "x", "url": "https://x.test/a", "document_type": "pdf", "parent_document_type": "planet"},
        {"name": 5, "url": "https://x.test/a", "document_type": "pdf"},  # wrong type
        {"name": "x", "url": "https://x.test/a", "document_type": "pdf", "disabled": "yes"},
        {"url": "https://x.test/a", "document_type": "pdf"},  # missing name
        {"name": "x", "document_type": "pdf"},  # missing url
        {"name": "x", "url": "https://x.test/a"},  # missing document_type
    ]

    def make(self, tenant, **kwargs):
        return MediaFactory(tenant=tenant, **kwargs)


@pytest.mark.django_db
class TestMediaRules:
    def test_a_bad_enum_names_the_field(self, api, tenant):
        r = api.post("/v1/media", {"name": "x", "url": "u", "document_type": "exe"}, format="json")
        assert r.status_code == 400
        assert [d["path"] for d in r.json()["details"]] == ["document_type"]
        r = api.patch(f"/v1/media/{MediaFactory(tenant=tenant).pk}", {"parent_document_type": "x"}, format="json")
        assert r.status_code == 400
        assert [d["path"] for d in r.json()["details"]] == ["parent_document_type"]

    def test_delete_answers_the_deleted_document(self, api, tenant):
        media = MediaFactory(tenant=tenant, name="Old")
        body = api.delete(f"/v1/media/{media.pk}").json()
        assert body["_id"] == str(media.pk) and body["name"] == "Old" and body["company_namespace"] == ["acme"]

    def test_filters_and_search(self, api, tenant):
        pdf = MediaFactory(tenant=tenant, document_type="pdf", name="Price list")
        image = MediaFactory(
            tenant=tenant, document_type="image", parent_document_type="clients", parent_document_key="c1"
        )
        hidden = MediaFactory(tenant=tenant, document_type="image", disabled=True, description="old price sheet")
        assert ids(api.get("/v1/media", {"document_type": "pdf"}).json()) == [str(pdf.pk)]
        assert ids(api.get("/v1/media", {"parent_document_type": "clients"}).json()) == [str(image.pk)]
        assert ids(api.get("/v1/media", {"parent_document_key": "c1"}).json()) == [str(image.pk)]
        assert ids(api.get("/v1/media", {"disabled": "true"}).json()) == [str(hidden.pk)]
        assert ids(api.get("/v1/media", {"search": "PRICE"}).json()) == [str(pdf.pk), str(hidden.pk)]
        assert api.get("/v1/media", {"disabled": "maybe"}).status_code == 400

    def test_list_has_the_page_urls(self, api, tenant):
        MediaFactory(tenant=tenant)
        body = api.get("/v1/media", {"per_page": 1}).json()
        assert body["first_page_url"].endswith("/v1/media?per_page=1&page=1")
        assert body["next_page_url"] is None and body["prev_page_url"] is None

    def test_a_search_answers_no_page_urls_a_get_could_not_follow(self, api, tenant):
        MediaFactory.create_batch(3, tenant=tenant)
        body = api.post("/v1/media/search", {"page": 1, "pageSize": 1}, format="json").json()
        assert body["total_result"] == 3 and body["current_page"] == 2
        assert [body[f"{key}_page_url"] for key in ("first", "last", "next", "prev")] == [None] * 4
        assert body["path"].endswith("/v1/media/search")


# Media storage -------------------------------------------------------------------------------
class TestMediaStorageAPI(ResourceAPICase):
    path = "media-storage"
    family = "D-"
    operations = {"list", "create", "retrieve", "update", "destroy"}
    create_data = {
        "filename": "shelf.png",
        "url": "https://files.example.test/shelf.png",
        "mimeType": "image/png",
        "size": 20480,
        "category": "photos",
        "entityType": "client",
        "entityId": "65a1b2c3d4e5f6a7b8c9d0e1",
        "isPublic": True,
        "thumbnailUrl": "https://files.example.test/shelf.thumb.png",
        "metadata": {"width": 800, "height": 600},
        "tags": ["shelf", "audit"],
        "description": "Shelf photo",
        "integration_meta": {"erp_id": "F-1"},
    }
    update_data = {"filename": "shelf-2.png", "isPublic": False, "tags": ["audit"], "description": "Retaken"}
    invalid_data = [
        {"filename": "a", "url": "u", "mimeType": "text/plain", "size": -1},  # below 0
        {"filename": "a", "url": "u", "mimeType": "text/plain", "size": "10"},  # wrong type
        {"filename": "a", "url": "u", "mimeType": "text/plain", "size": 1.5},
        {"filename": "a", "url": "u", "size": 10},  # missing mimeType
        {"url": "u", "mimeType": "text/plain", "size": 10},  # missing filename
        {"filename": "a", "url": "u", "mimeType": "text/plain", "size": 1, "tags": "x"},
        {"filename": "a", "url": "u", "mimeType": "text/plain", "size": 1, "tags": [1]},
        {"filename": "a", "url": "u", "mimeType": "text/plain", "size": 1, "isPublic": "true"},
        {"filename": "a", "url": "u", "mimeType": "text/plain", "size": 1, "metadata": []},
    ]

    def make(self, tenant, **kwargs):
        return MediaStorageFactory(tenant=tenant, **kwargs)


@pytest.mark.django_db
class TestMediaStorageRules:
    body = {"filename": "a.txt", "url": "https://x.test/a.txt", "mimeType": "text/plain", "size": 0}

    def test_uploaded_by_is_the_caller_and_not_writable(self, api, tenant):
        r = api.post("/v1/media-storage", {**self.body, "uploadedBy": "mallory"}, format="json")
        assert r.status_code == 201, r.content
        doc = r.json()
        assert doc["uploadedBy"] == "test"  # the API key's name (tests/conftest.py)
        r = api.put(f"/v1/media-storage/{doc['_id']}", {"uploadedBy": "mallory"}, format="json")
        assert r.status_code == 200 and r.json()["uploadedBy"] == "test"
        assert MediaStorage.objects.get(pk=doc["_id"]).uploaded_by == "test"

    def test_documented_names_and_envelope(self, api, tenant):
        MediaStorageFactory(tenant=tenant, mime_type="image/png", entity_type="client", is_public=True)
        body = api.get("/v1/media-storage").json()
        assert "first_page_url" not in body and "path" not in body
        assert set(body) == {"data", "total_result", "current_count", "total_pages", "current_page", "per_page"}
        doc = body["data"][0]
        assert {"mimeType", "entityType", "entityId", "uploadedBy", "isPublic", "thumbnailUrl"} <= set(doc)
        assert not {"mime_type", "entity_type", "is_public", "uploaded_by"} & set(doc)
        assert doc["mimeType"] == "image/png" and doc["isPublic"] is True

    def test_url_mime_type_and_size_are_create_only(self, api, tenant):
        item = MediaStorageFactory(tenant=tenant, url="https://x.test/1.png", mime_type="image/png", size=10)
        for change in ({"url": "https://x.test/2.png"}, {"mimeType": "image/gif"}, {"size": 11}):
            r = api.put(f"/v1/media-storage/{item.pk}", {**change, "description": "x"}, format="json")
            assert r.status_code == 400, r.content
            assert [d["path"] for d in r.json()["details"]] == list(change)
        item.refresh_from_db()
        assert (item.url, item.mime_type, item.size, item.description, item.version) == (
            "https://x.test/1.png",
            "image/png",
            10,
            "",
            0,
        )
        # the document read back, create-only values unchanged: accepted
        doc = api.get(f"/v1/media-storage/{item.pk}").json()
        r = api.put(f"/v1/media-storage/{item.pk}", {**doc, "description": "kept"}, format="json")
        assert r.status_code == 200, r.content
        assert r.json()["description"] == "kept" and r.json()["size"] == 10

    def test_filters(self, api, tenant):
        photo = MediaStorageFactory(tenant=tenant, category="photos", entity_type="client", entity_id="c1")
        public = MediaStorageFactory(tenant=tenant, is_public=True, mime_type="application/pdf")
        assert ids(api.get("/v1/media-storage", {"category": "photos"}).json()) == [str(photo.pk)]
        assert ids(api.get("/v1/media-storage", {"entityType": "client"}).json()) == [str(photo.pk)]
        assert ids(api.get("/v1/media-storage", {"entityId": "c1"}).json()) == [str(photo.pk)]
        assert ids(api.get("/v1/media-storage", {"isPublic": "true"}).json()) == [str(public.pk)]
        assert ids(api.get("/v1/media-storage", {"mimeType": "application/pdf"}).json()) == [str(public.pk)]

    def test_services_keep_the_upload_fixed(self, tenant):
        item = services.create_media_storage(
            tenant=tenant, data={"filename": "a", "url": "u", "mime_type": "text/plain", "size": 1}, uploaded_by="rep"
        )
        assert item.uploaded_by == "rep"
        with pytest.raises(ValidationError):
            services.update_media_storage(item=item, data={"size": 2})
        assert services.update_media_storage(item=item, data={"size": 1, "filename": "b"}).filename == "b"


# Custom statuses -----------------------------------------------------------------------------
class TestCustomStatusAPI(ResourceAPICase):
    path = "custom-status"
    family = "E"
    operations = {"list", "create", "retrieve", "update", "destroy"}
    create_data = {"name": "Waiting parts", "color": "#ffaa00", "entity": "workorder", "disabled": False}
    update_data = {"name": "Awaiting parts", "color": "#F00"}
    invalid_data = [
        {"name": "x", "color": "red"},  # not #RGB/#RRGGBB
        {"name": "x", "color": "#12345"},
        {"name": "x", "color": 255},  # wrong type
        {"name": 5},
        {"name": "x", "disabled": "no"},
        {"color": "#fff"},  # missing name
    ]

    def make(self, tenant, **kwargs):
        return CustomStatusFactory(tenant=tenant, **kwargs)


@pytest.mark.django_db
class TestCustomStatusRules:
    @pytest.mark.parametrize("color", ["#abc", "#A1B2C3", ""])
    def test_accepted_colors(self, api, tenant, color):
        r = api.post("/v1/custom-status", {"name": "Open", "color": color}, format="json")
        assert r.status_code == 201, r.content
        assert r.json()["data"]["color"] == color

    def test_bad_color_on_update_names_the_field(self, api, tenant):
        status = CustomStatusFactory(tenant=tenant)
        r = api.put(f"/v1/custom-status/{status.pk}", {"color": "#ggg"}, format="json")
        assert r.status_code == 400 and r.json()["details"][0]["path"] == "color"

    def test_filter_by_entity_and_delete_envelope(self, api, tenant):
        wo = CustomStatusFactory(tenant=tenant, entity="workorder")
        CustomStatusFactory(tenant=tenant, entity="invoice")
        assert ids(api.get("/v1/custom-status", {"entity": "workorder"}).json()) == [str(wo.pk)]
        assert api.delete(f"/v1/custom-status/{wo.pk}").json() == {"success": True}


# Custom lists --------------------------------------------------------------------------------
class TestCustomListAPI(ResourceAPICase):
    path = "custom-list"
    family = "E"
    operations = {"list", "create", "retrieve", "update", "destroy"}
    create_data = {"name": "Visit reasons", "description": "Why a rep visits", "entity": "visit", "disabled": False}
    update_data = {"name": "Visit purposes", "disabled": True}
    invalid_data = [{"name": 5}, {"description": "no name"}, {"name": "x", "entity": ["visit"]}, {"name": ""}]

    def make(self, tenant, **kwargs):
        return CustomListFactory(tenant=tenant, **kwargs)


@pytest.mark.django_db
class TestCustomListRules:
    def test_deleting_a_list_with_items_is_409_naming_them(self, api, tenant):
        custom_list = CustomListFactory(tenant=tenant, name="Reasons")
        CustomListItemFactory(tenant=tenant, custom_list=custom_list, name="Delivery")
        CustomListItemFactory(tenant=tenant, custom_list=custom_list, name="Collection")
        r = api.delete(f"/v1/custom-list/{custom_list.pk}")
        assert r.status_code == 409
        error = r.json()["error"]
        assert r.json()["success"] is False
        assert "Reasons" in error and "2 item" in error and "Collection" in error and "Delivery" in error
        assert CustomList.objects.filter(pk=custom_list.pk).exists()
        assert CustomListItem.objects.filter(custom_list=custom_list).count() == 2

    def test_a_list_emptied_first_can_be_deleted(self, api, tenant):
        item = CustomListItemFactory(tenant=tenant)
        assert api.delete(f"/v1/custom-list-item/{item.pk}").json() == {"success": True}
        r = api.delete(f"/v1/custom-list/{item.custom_list_id}")
        assert r.status_code == 200 and r.json() == {"success": True}
        assert not CustomList.objects.filter(pk=item.custom_list_id).exists()

    def test_delete_service_names_at_most_five_items(self, tenant):
        custom_list = CustomListFactory(tenant=tenant)
        for n in range(7):
            CustomListItemFactory(tenant=tenant, custom_list=custom_list, name=f"Item {n}")
        with pytest.raises(Conflict) as exc:
            services.delete_custom_list(custom_list=custom_list)
        assert "7 item(s)" in str(exc.value.detail) and "and 2 more" in str(exc.value.detail)
        assert CustomList.objects.filter(pk=custom_list.pk).exists()


# Custom list items ---------------------------------------------------------------------------
class TestCustomListItemAPI(ResourceAPICase):
    path = "custom-list-item"
    family = "E"
    operations = {"list", "create", "retrieve", "update", "destroy"}
    create_data = {"name": "Delivery", "value": "delivery", "disabled": False}
    update_data = {"name": "Drop-off", "value": "drop_off"}
    invalid_data = [
        {"name": "x"},  # missing customList
        {"name": "x", "customList": UNKNOWN_ID},
        {"name": "x", "customList": "not-an-id"},
        {"name": "x", "customList": 5},  # wrong type
        {"name": 5, "customList": UNKNOWN_ID},
    ]

    def get_create_data(self, tenant):
        return {**self.create_data, "customList": str(CustomListFactory(tenant=tenant).pk)}

    def make(self, tenant, **kwargs):
        return CustomListItemFactory(tenant=tenant, **kwargs)


@pytest.mark.django_db
class TestCustomListItemRules:
    def test_another_tenants_list_is_not_found(self, api, tenant, other_tenant):
        foreign = CustomListFactory(tenant=other_tenant)
        r = api.post("/v1/custom-list-item", {"name": "x", "customList": str(foreign.pk)}, format="json")
        assert r.status_code == 400
        assert r.json()["details"][0]["path"] == "customList" and "Not found" in r.json()["error"]
        assert not CustomListItem.objects.filter(name="x").exists()
        item = CustomListItemFactory(tenant=tenant)
        r = api.put(f"/v1/custom-list-item/{item.pk}", {"customList": str(foreign.pk)}, format="json")
        assert r.status_code == 400
        item.refresh_from_db()
        assert item.custom_list.tenant_id == tenant.pk

    def test_moves_to_another_list_of_the_tenant(self, api, tenant):
        item = CustomListItemFactory(tenant=tenant)
        target = CustomListFactory(tenant=tenant)
        r = api.patch(f"/v1/custom-list-item/{item.pk}", {"customList": str(target.pk)}, format="json")
        assert r.status_code == 200 and r.json()["data"]["customList"] == str(target.pk)

    def test_filter_by_list_and_populate(self, api, tenant):
        first, second = CustomListFactory(tenant=tenant, name="First"), CustomListFactory(tenant=tenant)
        a = CustomListItemFactory(tenant=tenant, custom_list=first)
        b = CustomListItemFactory(tenant=tenant, custom_list=first)
        CustomListItemFactory(tenant=tenant, custom_list=second)
        assert ids(api.get("/v1/custom-list-item", {"customList": str(first.pk)}).json()) == [str(a.pk), str(b.pk)]
        assert ids(api.get("/v1/custom-list-item", {"customList": UNKNOWN_ID}).json()) == []
        body = api.get("/v1/custom-list-item", {"customList": str(first.pk), "populatedKeys": '["customList"]'}).json()
        assert body["data"][0]["customList"]["name"] == "First"

    def test_services_refuse_a_foreign_list(self, tenant, other_tenant):
        foreign = CustomListFactory(tenant=other_tenant)
        with pytest.raises(ValidationError):
            services.create_custom_list_item(tenant=tenant, data={"name": "x", "custom_list": foreign})
        item = CustomListItemFactory(tenant=tenant)
        with pytest.raises(ValidationError):
            services.update_custom_list_item(item=item, data={"custom_list": foreign})
        assert not CustomListItem.objects.filter(tenant=tenant, name="x").exists()


# Admin ---------------------------------------------------------------------------------------
@pytest.mark.django_db
class TestPlatformAdmin:
    @pytest.fixture
    def staff(self, tenant, django_user_model):
        from django.contrib.auth.models import Permission

        user = django_user_model.objects.create_user("staff", password="x", is_staff=True, tenant=tenant)
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="core"))
        return user

    def test_settings_cannot_be_added_or_deleted_by_staff(self, rf, staff, admin_user, tenant):
        from django.contrib import admin

        setting_admin = admin.site._registry[Setting]
        setting = Setting.objects.filter(tenant=tenant).first()
        request = rf.get("/admin/")
        request.user = staff
        assert not setting_admin.has_add_permission(request)
        assert not setting_admin.has_delete_permission(request, setting)
        assert setting_admin.has_change_permission(request, setting)
        request.user = admin_user
        assert setting_admin.has_add_permission(request)

    def test_staff_change_a_setting_key_only_to_a_free_one(self, client, staff, tenant):
        client.force_login(staff)
        setting = Setting.objects.get(tenant=tenant, key="currency")
        url = f"/admin/core/setting/{setting.pk}/change/"
        form = {"key": "timezone", "value": '"EUR"', "category": "general", "description": "", "integration_meta": "{}"}
        r = client.post(url, form)
        assert r.status_code == 200 and "already exists" in r.content.decode()
        r = client.post(url, {**form, "key": "money"})
        assert r.status_code == 302, r.content
        setting.refresh_from_db()
        assert (setting.key, setting.value, setting.version) == ("money", "EUR", 1)

    def test_changelists_add_and_change_pages_render(self, client, staff, tenant):
        rows = {
            "setting": Setting.objects.filter(tenant=tenant).first(),
            "media": MediaFactory(tenant=tenant),
            "mediastorage": MediaStorageFactory(tenant=tenant),
            "customstatus": CustomStatusFactory(tenant=tenant),
            "customlistitem": CustomListItemFactory(tenant=tenant),
        }
        rows["customlist"] = rows["customlistitem"].custom_list
        client.force_login(staff)
        for name, row in rows.items():
            assert client.get(f"/admin/core/{name}/").status_code == 200, name
            assert client.get(f"/admin/core/{name}/{row.pk}/change/").status_code == 200, name
            add = client.get(f"/admin/core/{name}/add/").status_code
            assert add == (403 if name == "setting" else 200), name

    def test_staff_upload_is_recorded_with_its_uploader(self, client, staff, tenant):
        client.force_login(staff)
        form = {
            "filename": "a.pdf",
            "url": "https://x.test/a.pdf",
            "mime_type": "application/pdf",
            "size": "12",
            "metadata": "{}",
            "tags": "[]",
            "integration_meta": "{}",
            "description": "",
        }
        r = client.post("/admin/core/mediastorage/add/", form)
        assert r.status_code == 302, r.content
        item = MediaStorage.objects.get(tenant=tenant, filename="a.pdf")
        assert item.uploaded_by == "staff"

    def test_admin_refuses_a_bad_status_color(self, client, staff, tenant):
        client.force_login(staff)
        r = client.post("/admin/core/customstatus/add/", {"name": "x", "color": "red", "integration_meta": "{}"})
        assert r.status_code == 200 and "#RGB" in r.content.decode()
