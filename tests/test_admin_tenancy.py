"""The admin as an attacker sees it: a staff user of tenant "acme" holding every model permission of
every app tries each way out of their tenant and each way up to more rights, over HTTP.

Staff must never see, choose or affect another tenant, nor raise their own rights: only superusers
manage tenants, groups, superuser flags and users of other tenants; a staff user manages the users
of their tenant whose rights are within their own, and grants only permissions they hold.
"""

import io
from types import SimpleNamespace

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group, Permission

from core.models import ApiKey, RefreshToken, Tenant, TenantModel, User
from sales.models import Product, ProductCategory, Rep, Team
from tests.admin_world import form_payload, ids_of, leaked, make_staff, populate

pytestmark = pytest.mark.django_db

SUPERUSER_ONLY = {Tenant, Group}


@pytest.fixture
def world(tenant, other_tenant):
    mine, theirs = populate(tenant, prefix="acme-"), populate(other_tenant, prefix="globex-")
    root = User.objects.create_superuser(username="root", password="pw", email="root@example.test", tenant=tenant)
    return SimpleNamespace(mine=mine, theirs=theirs, root=root, their_ids=ids_of(other_tenant))


@pytest.fixture
def staff(tenant):
    return make_staff(tenant)


@pytest.fixture
def superuser(world):
    return world.root


def base_url(model) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def row_of(side, model, tenant):
    """The row of `model` a tenant's side of the world holds (groups belong to no tenant)."""
    if model is Group:
        return Group.objects.get_or_create(name="Clerks")[0]
    if model is Tenant:
        return tenant
    if model is User:
        return side["user"]
    if model is ApiKey:
        return side["key"]
    if model is RefreshToken:
        return RefreshToken.objects.get(tenant=tenant)
    return side["rows"][model]


REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


# Tenants ----------------------------------------------------------------------------------------
def test_staff_cannot_list_open_or_change_any_tenant(client, staff, world, tenant, other_tenant):
    client.force_login(staff)
    for url in (
        "/admin/core/tenant/",
        "/admin/core/tenant/add/",
        f"/admin/core/tenant/{tenant.pk}/change/",
        f"/admin/core/tenant/{other_tenant.pk}/change/",
        f"/admin/core/tenant/{other_tenant.pk}/history/",
        f"/admin/core/tenant/{other_tenant.pk}/delete/",
    ):
        assert client.get(url).status_code == 403, url
    # Unticking is_active would lock the other company out of the API.
    response = client.post(
        f"/admin/core/tenant/{other_tenant.pk}/change/", {"namespace": other_tenant.namespace, "name": "Pwned"}
    )
    assert response.status_code == 403
    other_tenant.refresh_from_db()
    assert other_tenant.is_active and other_tenant.name == "Globex"
    assert client.post(f"/admin/core/tenant/{other_tenant.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Tenant.objects.filter(pk=other_tenant.pk).exists()


def test_superuser_manages_tenants(client, superuser, other_tenant):
    client.force_login(superuser)
    assert other_tenant.namespace in client.get("/admin/core/tenant/").text
    url = f"/admin/core/tenant/{other_tenant.pk}/change/"
    payload = form_payload(client.get(url))
    payload.pop("is_active")
    assert client.post(url, payload).status_code == 302
    other_tenant.refresh_from_db()
    assert not other_tenant.is_active


# Users --------------------------------------------------------------------------------------------
def test_staff_cannot_make_themselves_superuser_nor_move_tenant(client, staff, world, tenant, other_tenant):
    client.force_login(staff)
    url = f"/admin/core/user/{staff.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.text and not leaked(page.text, world.their_ids)
    payload = {**form_payload(page), "is_superuser": "on", "tenant": str(other_tenant.pk), "first_name": "Sam"}
    assert client.post(url, payload).status_code == 302
    staff.refresh_from_db()
    assert staff.first_name == "Sam"  # the rest of the form saved
    assert not staff.is_superuser and staff.tenant == tenant


def test_staff_adds_users_only_to_their_tenant(client, staff, world, tenant, other_tenant):
    client.force_login(staff)
    page = client.get("/admin/core/user/add/")
    assert page.status_code == 200
    assert not leaked(page.text, world.their_ids) and 'name="tenant"' not in page.text
    response = client.post(
        "/admin/core/user/add/",
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
            "tenant": str(other_tenant.pk),
            "is_superuser": "on",
        },
    )
    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert newbie.tenant == tenant and not newbie.is_superuser


def test_user_list_shows_no_other_tenant_and_no_superuser(client, staff, world):
    client.force_login(staff)
    page = client.get("/admin/core/user/")
    assert page.status_code == 200
    assert not leaked(page.text, world.their_ids)  # neither their users nor their tenant in the filter
    assert world.mine["user"].username in page.text and world.root.username not in page.text
    assert "globex" not in page.text


@pytest.mark.parametrize("target", ["their_user", "own_superuser"])
def test_staff_cannot_reach_other_tenants_users_or_superusers(client, staff, world, target):
    victim = world.theirs["user"] if target == "their_user" else world.root
    client.force_login(staff)
    for suffix in ("change/", "password/", "history/", "delete/"):
        response = client.get(f"/admin/core/user/{victim.pk}/{suffix}")
        assert response.status_code in (302, 403, 404), suffix
        assert victim.username not in response.text
    client.post(f"/admin/core/user/{victim.pk}/password/", {"password1": "taken-over-99", "password2": "taken-over-99"})
    client.post(f"/admin/core/user/{victim.pk}/delete/", {"post": "yes"})
    victim.refresh_from_db()
    assert victim.check_password("pw")


@pytest.fixture
def clerk_staff(tenant):
    """A staff user who may manage users but holds only the clients app's permissions besides."""
    permissions = Permission.objects.filter(content_type__app_label="clients") | Permission.objects.filter(
        content_type__app_label="core", content_type__model="user"
    )
    return make_staff(tenant, username="manager", permissions=permissions)


def test_staff_grant_only_permissions_and_groups_within_their_own(client, clerk_staff, world):
    clerk = world.mine["user"]
    beyond = Permission.objects.get(codename="add_product")
    within = Permission.objects.get(codename="change_client")
    wide = Group.objects.create(name="Managers")
    wide.permissions.set(Permission.objects.all())
    narrow = Group.objects.create(name="Clerks")
    narrow.permissions.set([within])
    client.force_login(clerk_staff)
    url = f"/admin/core/user/{clerk.pk}/change/"
    page = client.get(url)
    assert f'value="{beyond.pk}"' not in page.text and f'value="{wide.pk}"' not in page.text

    refused = client.post(url, {**form_payload(page), "user_permissions": [beyond.pk], "groups": [wide.pk]})
    assert refused.status_code == 200
    assert {"user_permissions", "groups"} <= set(refused.context["adminform"].form.errors)
    assert not clerk.user_permissions.exists() and not clerk.groups.exists()

    granted = client.post(url, {**form_payload(page), "user_permissions": [within.pk], "groups": [narrow.pk]})
    assert granted.status_code == 302
    assert list(clerk.user_permissions.all()) == [within] and list(clerk.groups.all()) == [narrow]


def test_staff_cannot_change_a_colleague_with_more_rights(client, clerk_staff, world, tenant):
    boss = make_staff(tenant, username="boss")  # every permission: more than clerk_staff holds
    client.force_login(clerk_staff)
    assert client.get(f"/admin/core/user/{boss.pk}/password/").status_code == 403
    client.post(f"/admin/core/user/{boss.pk}/password/", {"password1": "taken-over-99", "password2": "taken-over-99"})
    response = client.post(f"/admin/core/user/{boss.pk}/change/", {"username": "boss", "is_active": ""})
    assert response.status_code == 403
    boss.refresh_from_db()
    assert boss.check_password("pw") and boss.is_active
    # ... nor one whose rights are only dormant (an inactive user keeps their permissions)
    boss.is_active = False
    boss.save()
    assert client.get(f"/admin/core/user/{boss.pk}/password/").status_code == 403


def test_group_admin_is_for_superusers_only(client, staff, superuser):
    group = Group.objects.create(name="Demo staff")
    client.force_login(staff)
    for url in ("/admin/auth/group/", "/admin/auth/group/add/", f"/admin/auth/group/{group.pk}/change/"):
        assert client.get(url).status_code == 403, url
    client.force_login(superuser)
    assert client.get(f"/admin/auth/group/{group.pk}/change/").status_code == 200


def test_superuser_manages_users_of_any_tenant(client, superuser, world, other_tenant):
    client.force_login(superuser)
    assert client.get(f"/admin/core/user/{world.theirs['user'].pk}/change/").status_code == 200
    response = client.post(
        "/admin/core/user/add/",
        {
            "username": "their-new-clerk",
            "usable_password": "true",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
            "tenant": str(other_tenant.pk),
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="their-new-clerk").tenant == other_tenant


# Every page, every autocomplete -----------------------------------------------------------------
@pytest.mark.parametrize("model", REGISTERED, ids=[m._meta.label for m in REGISTERED])
def test_no_staff_page_shows_another_tenant(client, staff, world, tenant, other_tenant, model):
    """The list (its filters too), the add form (its choice lists), one of their own rows' change,
    history and delete pages and the import page name nothing of the other tenant; the other
    tenant's row is refused by URL, and deleting it by URL or bulk action leaves it be."""
    client.force_login(staff)
    model_admin, request, base = admin.site._registry[model], _request(staff), base_url(model)
    mine = row_of(world.mine, model, tenant)
    pages = {
        base: model_admin.has_view_permission(request),
        f"{base}add/": model_admin.has_add_permission(request),
        f"{base}{mine.pk}/change/": model_admin.has_view_permission(request, mine),
        f"{base}{mine.pk}/history/": model_admin.has_view_permission(request, mine),
        f"{base}{mine.pk}/delete/": model_admin.has_delete_permission(request, mine),
    }
    if issubclass(model, TenantModel):
        pages[f"{base}import/"] = model_admin.has_import_permission(request)
    assert model not in SUPERUSER_ONLY or not any(pages.values())
    for url, allowed in pages.items():
        response = client.get(url)
        assert response.status_code == (200 if allowed else 403), (url, response.status_code)
        assert not leaked(response.text, world.their_ids), url

    if model is Group:  # groups belong to no tenant
        return
    theirs = row_of(world.theirs, model, other_tenant)
    for suffix in ("change/", "history/", "delete/"):
        response = client.get(f"{base}{theirs.pk}/{suffix}")
        assert response.status_code in (302, 403, 404), (suffix, response.status_code)
        assert not leaked(response.text, {str(theirs.pk)})
    client.post(f"{base}{theirs.pk}/delete/", {"post": "yes"})
    client.post(base, {"action": "delete_selected", "_selected_action": [str(theirs.pk)], "post": "yes"})
    assert model.objects.filter(pk=theirs.pk).exists()
    if model is ApiKey:
        theirs.refresh_from_db()
        assert theirs.revoked_at is None


def _request(user):
    return SimpleNamespace(user=user)


def _relation_fields():
    for model in sorted({*admin.site._registry, User, ApiKey}, key=lambda m: m._meta.label):
        for field in model._meta.get_fields():
            if field.is_relation and field.related_model is not None:
                yield model, field.name


def test_autocomplete_never_offers_another_tenant(client, staff, world):
    """The autocomplete view takes any model and field from the query string and answers from the
    related model's admin: no combination lists another tenant's rows, tenants or users."""
    client.force_login(staff)
    leaks = {}
    for model, field_name in _relation_fields():
        params = {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field_name}
        response = client.get("/admin/autocomplete/", params)
        assert response.status_code in (200, 403, 404), (model, field_name)
        if response.status_code == 200 and leaked(response.text, world.their_ids):
            leaks[f"{model._meta.label}.{field_name}"] = response.json()["results"]
    assert leaks == {}


def test_autocomplete_of_tenants_is_refused_to_staff(client, staff, world):
    client.force_login(staff)
    params = {"app_label": "clients", "model_name": "tag", "field_name": "tenant", "term": ""}
    assert client.get("/admin/autocomplete/", params).status_code == 403


def test_list_filters_offer_only_the_staff_tenant(client, staff, world, tenant, other_tenant):
    client.force_login(staff)
    for model, field in ((Product, "category"), (Rep, "team")):
        page = client.get(base_url(model))
        target = ProductCategory if model is Product else Team
        theirs = target.objects.filter(tenant=other_tenant).values_list("pk", flat=True)
        mine = target.objects.filter(tenant=tenant).values_list("pk", flat=True)
        assert all(f"{field}__id__exact={pk}" in page.text for pk in mine)
        assert not any(str(pk) in page.text for pk in theirs)


# Import and export -----------------------------------------------------------------------------------
def test_staff_import_lands_in_their_tenant_whatever_they_post(client, staff, world, tenant, other_tenant):
    from clients.models import Tag

    client.force_login(staff)
    upload = io.BytesIO(b"name\nImported tag\n")
    upload.name = "tags.csv"
    preview = client.post("/admin/clients/tag/import/", {"file": upload, "mode": "create", "tenant": other_tenant.pk})
    assert preview.status_code == 200 and preview.context["tenant"] == tenant
    done = client.post("/admin/clients/tag/import/", {"token": preview.context["token"], "confirm": "1"})
    assert done.status_code == 302
    assert Tag.objects.get(name="Imported tag").tenant == tenant


def test_staff_cannot_export_another_tenants_rows(client, staff, world, other_tenant):
    from clients.models import Tag

    client.force_login(staff)
    theirs = Tag.objects.get(tenant=other_tenant)
    response = client.post("/admin/clients/tag/", {"action": "export_json", "_selected_action": [str(theirs.pk)]})
    assert response.status_code == 302  # nothing of theirs selected: back to the list, no file
    assert not response.has_header("Content-Disposition")


# The site -----------------------------------------------------------------------------------------
def test_an_admin_that_scopes_nothing_fails_the_system_check():
    from clients.models import Tag
    from core.admin_site import BackOfficeSite

    assert [e for e in admin.site.check(None) if e.id == "core.E010"] == []
    site = BackOfficeSite(name="probe")
    site.register(Tag, admin.ModelAdmin)
    assert [e.id for e in site.check(None)] == ["core.E010"]


# Posting another tenant's ids anyway -------------------------------------------------------------------
TENANT_ADMINS = [m for m in REGISTERED if issubclass(m, TenantModel)]


@pytest.mark.parametrize("model", TENANT_ADMINS, ids=[m._meta.label for m in TENANT_ADMINS])
def test_a_reference_to_another_tenant_is_refused_on_every_form(client, staff, world, tenant, other_tenant, model):
    """Each reference of each form, set to the other tenant's row by hand, is an error on that field."""
    client.force_login(staff)
    mine = row_of(world.mine, model, tenant)
    page_url = f"{base_url(model)}{mine.pk}/change/"
    page = client.get(page_url)
    if not admin.site._registry[model].has_change_permission(_request(staff), mine):
        # A read-only page (the inventory, an immutable document): nothing can be posted at all.
        assert client.post(page_url, form_payload(page)).status_code == 403
        return
    form = page.context["adminform"].form
    if not form.fields:  # an immutable document (a check): its references are only chosen when adding it
        page_url = f"{base_url(model)}add/"
        page = client.get(page_url)
        form = page.context["adminform"].form
    tried = 0
    for name, field in form.fields.items():
        related = getattr(getattr(field, "queryset", None), "model", None)
        theirs = row_of(world.theirs, related, other_tenant) if related in (*world.theirs["rows"], User) else None
        if theirs is None or field.disabled:
            continue
        value = [str(theirs.pk)] if isinstance(field, forms.ModelMultipleChoiceField) else str(theirs.pk)
        response = client.post(page_url, {**form_payload(page), name: value})
        assert response.status_code == 200, (name, response.status_code)
        assert name in response.context["adminform"].form.errors, name
        tried += 1
    mine.refresh_from_db()
    assert mine.version == row_of(world.mine, model, tenant).version
    editable = [f for f in model._meta.get_fields() if f.is_relation and f.name != "tenant" and not f.auto_created]
    if any(f.name in form.fields and not form.fields[f.name].disabled for f in editable):
        assert tried, "no reference tried"  # (a document whose references are all read-only has none to try)


def test_a_route_stop_of_another_tenant_is_refused(client, staff, world, tenant, other_tenant):
    from clients.models import Client
    from sales.models import Route, RouteClient

    route, theirs = world.mine["rows"][Route], world.theirs["rows"][Client]
    client.force_login(staff)
    page_url = f"/admin/sales/route/{route.pk}/change/"
    payload = form_payload(client.get(page_url))
    extra = next(key for key in payload if key.endswith("-client") and not payload[key])
    response = client.post(page_url, {**payload, extra: str(theirs.pk)})
    assert response.status_code == 200
    assert not RouteClient.objects.filter(route=route, client=theirs).exists()


def test_bulk_delete_spares_a_colleague_with_more_rights(client, clerk_staff, world, tenant):
    boss = make_staff(tenant, username="boss")
    client.force_login(clerk_staff)
    response = client.post(
        "/admin/core/user/", {"action": "delete_selected", "_selected_action": [str(boss.pk)], "post": "yes"}
    )
    assert response.status_code == 403
    assert User.objects.filter(pk=boss.pk).exists()


def test_the_log_of_every_action_is_not_browsable(client, staff):
    client.force_login(staff)
    assert client.get("/admin/admin/logentry/").status_code == 404
