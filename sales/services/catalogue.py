"""Rules of the catalogue (SEMANTICS.md §2.2, §3.9). The API serializers, the admin and import
commands all write through here.

* A product's sub-categories all belong to the product's category (400 naming `sub_category[i]`);
  a sub-category that products use cannot move to another category (409 naming them).
* A product is created together with its nested `variants[]`, in one transaction. On update an
  item with `_id` updates that variant of this product, an item without `_id` adds one; variants
  the body does not mention are kept. The nested `product` key is implied: ignored on create, and
  on update it must name this product.
* At most one default variant per product: making a variant the default unsets the previous one.
  One body naming two defaults is ambiguous and refused (400).
* A variant stays with the product it was created for (stock, price-list items and invoice lines
  point at the pair); moving it is refused (400).
* Modifier groups: `max_selection >= 1`; a required group has at least one modifier (422). Each
  modifier's `_id` is the server's: kept when it names one of the group's current modifiers, a new
  one otherwise. Deleting groups pulls them from products and variants, whose version moves on
  so that syncing clients see the change.
"""

import uuid
from collections.abc import Iterable

from django.db import transaction
from rest_framework.exceptions import ValidationError

from core import services as core_services
from core.api.exceptions import Conflict
from core.ids import parse_uuid
from core.models import Tenant
from sales.models import Product, ProductModifiersGroup, ProductSubCategory, Variant

# Sub-categories --------------------------------------------------------------------------------


def sub_category_errors(category, sub_categories: Iterable) -> dict:
    """{index: message} for each sub-category whose parent is not `category`."""
    errors = {}
    for i, sub in enumerate(sub_categories):
        if category is None or sub.parent_id != category.pk:
            errors[i] = [
                f"Sub-category '{sub.name}' ({sub.pk}) belongs to another category than the product's "
                f"({getattr(category, 'pk', None)})."
            ]
    return errors


def check_sub_categories(category, sub_categories: Iterable) -> None:
    errors = sub_category_errors(category, sub_categories)
    if errors:
        raise ValidationError({"sub_category": errors})


@transaction.atomic
def update_sub_category(*, sub_category: ProductSubCategory, data: dict) -> ProductSubCategory:
    """A sub-category that products use keeps its parent: moving it would put those products in
    a sub-category outside their category."""
    parent = data.get("parent")
    if parent is not None and parent.pk != sub_category.parent_id:
        refuse_moving_used_sub_category(sub_category)
    return core_services.update_row(instance=sub_category, data=data)


def refuse_moving_used_sub_category(sub_category: ProductSubCategory) -> None:
    users = sub_category.products.order_by("name")
    count = users.count()
    if count:
        shown = ", ".join(users.values_list("name", flat=True)[:5])
        more = f" and {count - 5} more" if count > 5 else ""
        raise Conflict(
            f"Sub-category '{sub_category.name}' is used by {count} product(s): {shown}{more}. "
            "Remove it from them before moving it to another category."
        )


# Variants ---------------------------------------------------------------------------------------


def _unset_other_defaults(variant: Variant) -> None:
    others = Variant.objects.filter(product_id=variant.product_id, is_default=True).exclude(pk=variant.pk)
    core_services.bump_versions(others, is_default=False)


@transaction.atomic
def save_variant(*, variant: Variant, modifiers_groups=None) -> Variant:
    """Save a variant (new or changed); as the default it takes over from the previous one."""
    if variant.is_default:
        _unset_other_defaults(variant)
    variant.save()
    if modifiers_groups is not None:
        variant.modifiers_groups.set(modifiers_groups)
    return variant


@transaction.atomic
def create_variant(*, tenant: Tenant, data: dict) -> Variant:
    data = dict(data)
    modifiers_groups = data.pop("modifiers_groups", None)
    return save_variant(variant=Variant(tenant=tenant, **data), modifiers_groups=modifiers_groups)


@transaction.atomic
def update_variant(*, variant: Variant, data: dict) -> Variant:
    data = dict(data)
    product = data.pop("product", None)
    if product is not None and product.pk != variant.product_id:
        raise ValidationError(
            {"product": ["A variant cannot move to another product; create a variant of that product instead."]}
        )
    modifiers_groups = data.pop("modifiers_groups", None)
    for name, value in data.items():
        setattr(variant, name, value)
    return save_variant(variant=variant, modifiers_groups=modifiers_groups)


# Products ---------------------------------------------------------------------------------------


def _check_nested_defaults(items: list[dict]) -> None:
    defaults = [i for i, item in enumerate(items) if item.get("is_default")]
    if len(defaults) > 1:
        raise ValidationError(
            {"variants": {i: ["Only one variant of a product can be the default."] for i in defaults[1:]}}
        )


def _write_nested_variants(product: Product, items: list[dict], *, creating: bool) -> None:
    """Create or update the body's `variants[]` of `product` (already validated field by field)."""
    _check_nested_defaults(items)
    existing = {}
    if not creating:
        wanted = [parse_uuid(str(item["_id"])) for item in items if item.get("_id")]
        existing = {v.pk: v for v in Variant.objects.filter(product=product, pk__in=[w for w in wanted if w])}
    errors = {}
    plan = []
    for i, raw in enumerate(items):
        item = dict(raw)
        given_id = item.pop("_id", None)
        named_product = item.pop("product", None)
        if creating:
            if given_id:
                errors[i] = {"_id": ["A new product has no variants yet: leave `_id` out to create one."]}
            plan.append((None, item))
            continue
        if named_product and named_product != str(product.pk):
            errors[i] = {"product": ["Nested variants belong to the product they are sent with."]}
            continue
        if given_id:
            variant = existing.get(parse_uuid(str(given_id)))
            if variant is None:
                errors[i] = {"_id": [f"Not a variant of this product: {given_id}."]}
                continue
            plan.append((variant, item))
        else:
            missing = {key: ["This field is required."] for key in ("name", "price") if key not in item}
            if missing:
                errors[i] = missing
                continue
            plan.append((None, item))
    if errors:
        raise ValidationError({"variants": errors})
    # Defaults last, so an item that unsets the old default cannot undo the new one.
    plan.sort(key=lambda step: bool(step[1].get("is_default")))
    for variant, item in plan:
        if variant is None:
            create_variant(tenant=product.tenant, data={**item, "product": product})
        else:
            update_variant(variant=variant, data=item)


@transaction.atomic
def create_product(*, tenant: Tenant, data: dict, variants: list[dict] | None = None) -> Product:
    check_sub_categories(data.get("category"), data.get("sub_category") or [])
    product = core_services.create_row(model=Product, tenant=tenant, data=data)
    if variants:
        _write_nested_variants(product, variants, creating=True)
    return product


@transaction.atomic
def update_product(*, product: Product, data: dict, variants: list[dict] | None = None) -> Product:
    if "category" in data or "sub_category" in data:
        category = data.get("category", product.category)
        subs = data["sub_category"] if "sub_category" in data else list(product.sub_category.all())
        check_sub_categories(category, subs)
    product = core_services.update_row(instance=product, data=data)
    if variants:
        _write_nested_variants(product, variants, creating=False)
    return product


# Modifier groups --------------------------------------------------------------------------------


def assign_modifier_ids(modifiers: list[dict], current: list | None = None) -> list[dict]:
    """Modifiers with the server's `_id`s: one naming a current modifier keeps it, any other
    (absent, unknown, repeated) gets a new one."""
    known = {str(m.get("_id")) for m in current or [] if isinstance(m, dict) and m.get("_id")}
    seen = set()
    out = []
    for modifier in modifiers:
        given = str(modifier.get("_id") or "")
        modifier_id = given if given in known and given not in seen else str(uuid.uuid4())
        seen.add(modifier_id)
        out.append({"_id": modifier_id, **{k: v for k, v in modifier.items() if k != "_id"}})
    return out


def modifiers_group_errors(*, modifiers: list, is_required: bool, max_selection: int) -> dict:
    errors = {}
    if max_selection is None or max_selection < 1:
        errors["max_selection"] = ["Must be at least 1."]
    if is_required and not modifiers:
        errors["modifiers"] = ["A required group needs at least one modifier."]
    return errors


def _check_group(group: ProductModifiersGroup) -> None:
    errors = modifiers_group_errors(
        modifiers=group.modifiers, is_required=group.is_required, max_selection=group.max_selection
    )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_modifiers_group(*, group: ProductModifiersGroup) -> ProductModifiersGroup:
    """Save a group whose fields are set (its modifiers as sent): ids assigned, rules checked."""
    current = []
    if not group._state.adding:
        current = ProductModifiersGroup.objects.filter(pk=group.pk).values_list("modifiers", flat=True).first() or []
    group.modifiers = assign_modifier_ids(group.modifiers or [], current)
    _check_group(group)
    group.save()
    return group


@transaction.atomic
def create_modifiers_group(*, tenant: Tenant, data: dict) -> ProductModifiersGroup:
    return save_modifiers_group(group=ProductModifiersGroup(tenant=tenant, **data))


@transaction.atomic
def update_modifiers_group(*, group: ProductModifiersGroup, data: dict) -> ProductModifiersGroup:
    for name, value in data.items():
        setattr(group, name, value)
    return save_modifiers_group(group=group)


@transaction.atomic
def delete_modifiers_groups(*, tenant: Tenant, ids: Iterable) -> int:
    """Delete groups (all or nothing; an id that is not the tenant's is 404) and pull them from
    every product's `modifiers_group` and variant's `modifiers_groups`."""
    # The links go with the groups (many-to-many rows), and the products and variants that
    # listed them count a new version (core_services.touch_referrers); a missing id rolls
    # everything back.
    return core_services.delete_rows(model=ProductModifiersGroup, tenant=tenant, ids=ids)
