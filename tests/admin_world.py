"""Two tenants' worth of rows behind every admin page, for the admin tests.

`populate(tenant)` makes one row of every tenant-owned model registered in the admin (with the
factories), links them to each other the way real data is linked (a client's tags, channel,
price list, ...), and adds an API key, a refresh token and a staff user; `ids_of(tenant)` is
every id that tenant's rows, users and keys carry, so a page can be checked for any of them.
"""

import inspect

import factory
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import models

from core import tokens
from core.models import ApiKey, RefreshToken, TenantModel, User
from core.services import create_api_key
from tests import (
    factories,
    factories_finance,
    factories_sales_catalogue,
    factories_sales_invoices,
    factories_sales_organisation,
    factories_sales_pricing,
    factories_sales_stock,
)


def factory_for(model):
    for module in (
        factories,
        factories_sales_catalogue,
        factories_sales_organisation,
        factories_sales_pricing,
        factories_sales_stock,
        factories_sales_invoices,
        factories_finance,
    ):
        for candidate in vars(module).values():
            if (
                inspect.isclass(candidate)
                and issubclass(candidate, factory.django.DjangoModelFactory)
                and candidate._meta.model is model
            ):
                return candidate
    raise LookupError(f"no factory for {model._meta.label}")


def tenant_models():
    """The tenant-owned models the admin manages, in registration order."""
    return [model for model in admin.site._registry if issubclass(model, TenantModel)]


def populate(tenant, *, prefix: str = "") -> dict:
    """One linked row of each admin-managed tenant model, plus a key, a token and a staff user."""
    rows = {model: factory_for(model)(tenant=tenant) for model in tenant_models()}
    for model, row in rows.items():
        updates = {}
        for field in model._meta.get_fields():
            target = rows.get(getattr(field, "related_model", None))
            if target is None or field.related_model is model or field.auto_created or field.name == "tenant":
                continue
            if field.many_to_many:
                getattr(row, field.name).add(target)
            elif field.many_to_one and field.null and getattr(row, field.attname) is None:
                updates[field.attname] = target.pk
        if updates:
            model.objects.filter(pk=row.pk).update(**updates)
    key, _ = create_api_key(tenant=tenant, name=f"{prefix}key")
    tokens.issue_tokens(api_key=key)
    user = User.objects.create_user(username=f"{prefix}clerk", password="pw", is_staff=True, tenant=tenant)
    return {"rows": rows, "key": key, "user": user}


def ids_of(tenant) -> set[str]:
    """Every id the tenant's rows, keys and tokens carry, and its users' names."""
    ids = {str(tenant.pk)}
    for model in [*tenant_models(), ApiKey, RefreshToken]:
        ids |= {str(pk) for pk in model.objects.filter(tenant=tenant).values_list("pk", flat=True)}
    # Users have integer keys, which any page holds by chance: their usernames stand for them.
    ids |= set(User.objects.filter(tenant=tenant).values_list("username", flat=True))
    return ids


def leaked(text: str, ids: set[str]) -> set[str]:
    return {value for value in ids if value in text}


def make_staff(tenant, *, username="staff", permissions=None) -> User:
    """A staff user of `tenant` holding every model permission of every app unless told otherwise."""
    user = User.objects.create_user(username=username, password="pw", is_staff=True, tenant=tenant)
    user.user_permissions.set(Permission.objects.all() if permissions is None else permissions)
    return user


def form_payload(response) -> dict:
    """The POST data that submits an admin change/add page's form (and its inlines) unchanged."""
    context = response.context
    data = _form_data(context["adminform"].form)
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        data.update(_form_data(formset.management_form))
        for form in formset.forms:
            data.update(_form_data(form))
    return data


def _form_data(form) -> dict:
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        bound = form[name]
        value, widget = bound.value(), field.widget
        if isinstance(widget, forms.MultiWidget):
            for index, (part, sub) in enumerate(zip(widget.decompress(value), widget.widgets, strict=True)):
                data[f"{bound.html_name}_{index}"] = sub.format_value(part) or ""
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, (list, tuple)):
            data[bound.html_name] = [str(getattr(item, "pk", item)) for item in value]
        elif isinstance(value, models.Model):
            data[bound.html_name] = str(value.pk)
        else:
            data[bound.html_name] = "" if value is None else str(value)
    return data
