"""Rules of taxes, measure units, price lists and must-stock lists (MSL). The API serializers,
the admin and import commands all write through here.

* tax: `rate` is a percentage, 0 to 100 inclusive; `type` is inclusive, additive or N/A.
* measure unit: `factor` > 0; `parent` is a base unit (one without a parent of its own), never
  the unit itself; a unit other units derive from cannot get a parent (that would make theirs
  a derived unit).
* measure unit family: a derived unit's base unit belongs to the same family (SEMANTICS §3.9).
* price list: `createdby` is the caller, never the client's word. Deleting a list that still has
  items is a conflict (409 naming some of them): the items are prices someone set, and
  clients may still point at the list; delete the items first.
* price list item: one price per (price list, variant) (409 naming the existing item); the
  variant belongs to `product_id` (400 on `variant_id`); `price` >= 0.
* MSL: `endDate` is not before `startDate`. Deleting an MSL deletes its lines (they are
  its content; nothing else refers to them).
* MSL product: the variant, when given, belongs to the product (the product is taken from the
  variant when only the variant is given); `targetQuantity` >= 0; `achievedQuantity` is derived,
  never stored (see `msl_achieved_quantity`).

Checks return `{model field: message}` so the models' `clean()` (admin forms) and the API
(400 on the documented field name) report the same problems.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from rest_framework.exceptions import ValidationError

from core import services as core_services
from core.api.exceptions import Conflict
from core.models import Tenant
from sales.models.pricing import (
    QUANTITY,
    MeasureUnit,
    MeasureUnitFamily,
    Msl,
    MslProduct,
    PriceList,
    PriceListItem,
    Tax,
)

# Model field -> documented name, where they differ (errors name what the client sent).
PRICE_LIST_ITEM_NAMES = {"pricelist": "pricelist_id", "product": "product_id", "variant": "variant_id"}
MSL_NAMES = {"start_date": "startDate", "end_date": "endDate"}
MSL_PRODUCT_NAMES = {"target_quantity": "targetQuantity"}


# Shared helpers ---------------------------------------------------------------------------------
def raise_for_admin(errors: dict[str, str]) -> None:
    """The checks' problems as a Django ValidationError (what a model's clean() raises)."""
    if errors:
        raise DjangoValidationError(errors)


def _foreign_reference_errors(instance: models.Model) -> dict[str, str]:
    """References to another tenant's rows read as "not found" (services called directly;
    the API's reference fields already look only inside the caller's tenant)."""
    errors = {}
    for field in instance._meta.concrete_fields:
        if not field.is_relation or field.name == "tenant" or getattr(instance, field.attname) is None:
            continue
        if getattr(instance, field.name).tenant_id != instance.tenant_id:
            errors[field.name] = f"Not found: {getattr(instance, field.attname)}."
    return errors


def _check(instance: models.Model, errors: dict[str, str], names: dict | None = None) -> None:
    errors = {**_foreign_reference_errors(instance), **errors}
    if errors:
        names = names or {}
        raise ValidationError({names.get(field, field): [message] for field, message in errors.items()})


def _assign(instance: models.Model, data: dict) -> None:
    for name, value in data.items():
        setattr(instance, name, value)


# Tax --------------------------------------------------------------------------------------------
def tax_errors(tax: Tax) -> dict[str, str]:
    errors = {}
    if tax.rate is not None and not 0 <= tax.rate <= 100:
        errors["rate"] = "Must be a percentage between 0 and 100."
    if tax.type not in Tax.Type.values:
        errors["type"] = f"Expected one of: {', '.join(Tax.Type.values)}."
    return errors


@transaction.atomic
def save_tax(*, tax: Tax) -> Tax:
    _check(tax, tax_errors(tax))
    tax.save()
    return tax


def create_tax(*, tenant: Tenant, data: dict) -> Tax:
    return save_tax(tax=Tax(tenant=tenant, **data))


def update_tax(*, tax: Tax, data: dict) -> Tax:
    _assign(tax, data)
    return save_tax(tax=tax)


# Measure units ------------------------------------------------------------------------------------
def measure_unit_errors(unit: MeasureUnit) -> dict[str, str]:
    errors = {}
    if unit.factor is not None and unit.factor <= 0:
        errors["factor"] = "Must be greater than 0."
    if unit.parent_id is None:
        return errors
    if unit.parent_id == unit.pk:
        errors["parent"] = "A unit cannot be its own parent."
    elif unit.parent.parent_id is not None:
        errors["parent"] = f"'{unit.parent.name}' is not a base unit (it has a parent); name its base unit instead."
    elif not unit._state.adding and MeasureUnit.objects.filter(parent_id=unit.pk).exists():
        errors["parent"] = "Other units derive from this unit, so it must stay a base unit."
    elif not unit._state.adding:
        strays = MeasureUnitFamily.objects.filter(measureunits=unit).exclude(measureunits=unit.parent_id)
        names = list(strays.order_by("name").values_list("name", flat=True)[:5])
        if names:
            errors["parent"] = f"'{unit.parent.name}' is not in the unit's families: {', '.join(names)}."
    return errors


@transaction.atomic
def save_measure_unit(*, unit: MeasureUnit) -> MeasureUnit:
    _check(unit, measure_unit_errors(unit))
    unit.save()
    return unit


def create_measure_unit(*, tenant: Tenant, data: dict) -> MeasureUnit:
    return save_measure_unit(unit=MeasureUnit(tenant=tenant, **data))


def update_measure_unit(*, unit: MeasureUnit, data: dict) -> MeasureUnit:
    _assign(unit, data)
    return save_measure_unit(unit=unit)


# Measure unit families ----------------------------------------------------------------------------
def family_units_errors(units: Iterable[MeasureUnit], *, tenant_id=None) -> dict[str, str]:
    """A derived unit's base unit is in the family too (the family converts through it)."""
    units = list(units)
    foreign = [str(u.pk) for u in units if tenant_id is not None and u.tenant_id != tenant_id]
    if foreign:
        return {"measureunits": f"Not found: {', '.join(foreign)}."}
    ids = {u.pk for u in units}
    strays = [u for u in units if u.parent_id is not None and u.parent_id not in ids]
    if not strays:
        return {}
    bases = dict(MeasureUnit.objects.filter(pk__in={u.parent_id for u in strays}).values_list("pk", "name"))
    listed = ", ".join(f"'{u.name}' (base unit '{bases.get(u.parent_id)}')" for u in strays[:5])
    return {"measureunits": f"Add the base unit of each derived unit to the family: {listed}."}


@transaction.atomic
def save_measure_unit_family(
    *, family: MeasureUnitFamily, measureunits: Iterable[MeasureUnit] | None = None
) -> MeasureUnitFamily:
    """Save a family and, when given, set its units (None leaves them as they are)."""
    if measureunits is not None:
        measureunits = list(measureunits)
        _check(family, family_units_errors(measureunits, tenant_id=family.tenant_id))
    family.save()
    if measureunits is not None:
        family.measureunits.set(measureunits)
    return family


def create_measure_unit_family(*, tenant: Tenant, data: dict) -> MeasureUnitFamily:
    data = dict(data)
    units = data.pop("measureunits", [])
    return save_measure_unit_family(family=MeasureUnitFamily(tenant=tenant, **data), measureunits=units)


def update_measure_unit_family(*, family: MeasureUnitFamily, data: dict) -> MeasureUnitFamily:
    data = dict(data)
    units = data.pop("measureunits", None)
    _assign(family, data)
    return save_measure_unit_family(family=family, measureunits=units)


# Price lists --------------------------------------------------------------------------------------
def creator_of(actor: dict | None) -> dict:
    """`createdby` as documented: `{_id, name}` of the caller."""
    actor = actor or {}
    return {"_id": actor.get("_id"), "name": actor.get("name")}


@transaction.atomic
def save_price_list(*, price_list: PriceList, actor: dict | None = None) -> PriceList:
    """Save a price list; a new one records its creator (`createdby`), which never changes."""
    if price_list._state.adding:
        price_list.createdby = creator_of(actor)
    price_list.save()
    return price_list


def create_price_list(*, tenant: Tenant, data: dict, actor: dict | None) -> PriceList:
    data = {name: value for name, value in data.items() if name != "createdby"}  # the server's, not the client's
    return save_price_list(price_list=PriceList(tenant=tenant, **data), actor=actor)


def update_price_list(*, price_list: PriceList, data: dict) -> PriceList:
    _assign(price_list, {name: value for name, value in data.items() if name != "createdby"})
    return save_price_list(price_list=price_list)


def _refuse_if_items(price_list: PriceList) -> None:
    items = PriceListItem.objects.filter(pricelist=price_list).order_by("pk")
    count = items.count()
    if count:
        shown = [f"{pk} ({name})" for pk, name in items.values_list("pk", "variant__name")[:5]]
        more = f" and {count - len(shown)} more" if count > len(shown) else ""
        raise Conflict(
            f"Price list '{price_list.name}' still has {count} item(s): {', '.join(shown)}{more}. Delete them first."
        )


@transaction.atomic
def delete_price_list(*, price_list: PriceList) -> None:
    """Delete a price list without items (409 naming them otherwise; any other reference,
    such as a client's price list, is a 409 too)."""
    _refuse_if_items(price_list)
    core_services.delete_row(instance=price_list)


@transaction.atomic
def delete_price_lists(*, queryset) -> int:
    """Delete several price lists (the admin's bulk delete): none if any still has items."""
    for price_list in queryset.order_by("pk"):
        _refuse_if_items(price_list)
    return core_services.delete_queryset(queryset=queryset)


# Price list items ---------------------------------------------------------------------------------
def price_list_item_errors(item: PriceListItem) -> dict[str, str]:
    errors = {}
    if item.price is not None and item.price < 0:
        errors["price"] = "Must be 0 or more."
    if item.variant_id is not None and item.product_id is not None and item.variant.product_id != item.product_id:
        errors["variant"] = (
            f"Variant {item.variant_id} belongs to product {item.variant.product_id}, not to product {item.product_id}."
        )
    return errors


def _duplicate_price(item: PriceListItem) -> Conflict:
    existing = (
        PriceListItem.objects.filter(pricelist_id=item.pricelist_id, variant_id=item.variant_id)
        .exclude(pk=item.pk)
        .values_list("pk", flat=True)
        .first()
    )
    return Conflict(
        f"Price list {item.pricelist_id} already has a price for variant {item.variant_id}: item {existing}. "
        "Update that item instead."
    )


@transaction.atomic
def save_price_list_item(*, item: PriceListItem) -> PriceListItem:
    _check(item, price_list_item_errors(item), PRICE_LIST_ITEM_NAMES)
    taken = PriceListItem.objects.filter(pricelist_id=item.pricelist_id, variant_id=item.variant_id).exclude(pk=item.pk)
    if taken.exists():
        raise _duplicate_price(item)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:  # the same price written concurrently: the constraint decides
        raise _duplicate_price(item) from None
    return item


def create_price_list_item(*, tenant: Tenant, data: dict) -> PriceListItem:
    return save_price_list_item(item=PriceListItem(tenant=tenant, **data))


def update_price_list_item(*, item: PriceListItem, data: dict) -> PriceListItem:
    _assign(item, data)
    return save_price_list_item(item=item)


# Must-stock lists ---------------------------------------------------------------------------------
def msl_errors(msl: Msl) -> dict[str, str]:
    errors = {}
    if not (msl.name or "").strip():
        errors["name"] = "This field may not be blank."
    if msl.start_date is not None and msl.end_date is not None and msl.end_date < msl.start_date:
        errors["end_date"] = "Must not be before startDate."
    return errors


@transaction.atomic
def save_msl(*, msl: Msl) -> Msl:
    _check(msl, msl_errors(msl), MSL_NAMES)
    msl.save()
    return msl


def create_msl(*, tenant: Tenant, data: dict) -> Msl:
    return save_msl(msl=Msl(tenant=tenant, **data))


def update_msl(*, msl: Msl, data: dict) -> Msl:
    _assign(msl, data)
    return save_msl(msl=msl)


def msl_product_errors(line: MslProduct) -> dict[str, str]:
    errors = {}
    if line.target_quantity is not None and line.target_quantity < 0:
        errors["target_quantity"] = "Must be 0 or more."
    if line.variant_id is not None and line.product_id is not None and line.variant.product_id != line.product_id:
        errors["variant"] = (
            f"Variant {line.variant_id} belongs to product {line.variant.product_id}, not to product {line.product_id}."
        )
    return errors


@transaction.atomic
def save_msl_product(*, line: MslProduct) -> MslProduct:
    if line.product_id is None and line.variant_id is not None:
        line.product_id = line.variant.product_id
    if line.product_id is None:
        raise ValidationError({"product": ["This field is required (or give a variant)."]})
    _check(line, msl_product_errors(line), MSL_PRODUCT_NAMES)
    line.save()
    return line


def create_msl_product(*, tenant: Tenant, data: dict) -> MslProduct:
    return save_msl_product(line=MslProduct(tenant=tenant, **data))


def update_msl_product(*, line: MslProduct, data: dict) -> MslProduct:
    _assign(line, data)
    return save_msl_product(line=line)


def msl_achieved_quantity(*, msl_product: MslProduct) -> Decimal:
    """How much of the line's product (its variant, when given) the MSL's client has bought
    between the MSL's startDate and endDate (inclusive; an open end is unbounded): the sum of the
    base-unit quantities of the client's invoice lines, less its returns' lines, void documents
    left out. An MSL without a client counts its rep's invoices, and without either the company's.
    The same expression as the list column (`msl_achieved_quantity_expression`)."""
    value = (
        MslProduct.objects.filter(pk=msl_product.pk)
        .annotate(_achieved=msl_achieved_quantity_expression())
        .values_list("_achieved", flat=True)
        .first()
    )
    return Decimal(value or 0)


def msl_achieved_quantity_expression() -> models.Expression:
    """`msl_achieved_quantity` as a column of a list query (a page renders in one query, not
    one per line): a summing subquery on the outer MSL line. An MSL without a client achieves 0."""
    import datetime as dt

    from django.db.models import Case, F, OuterRef, Subquery, Sum, Value, When
    from django.db.models.functions import Coalesce

    from sales.models import InvoiceItem

    out = models.DecimalField(**QUANTITY)
    earliest = Value(dt.datetime(1, 1, 2, tzinfo=dt.UTC))
    latest = Value(dt.datetime(9999, 12, 30, tzinfo=dt.UTC))
    signed = Case(When(invoice__kind="return", then=-F("base_unit_qty")), default=F("base_unit_qty"), output_field=out)
    # The MSL's columns through nested subqueries: a join in the outer query would change the
    # shape of the list's compiled page query (core/api/registry.py PageReader).
    msl = Msl.objects.filter(pk=OuterRef(OuterRef("msl_id")))

    def of_msl(column):
        return Subquery(msl.values(column)[:1])

    lines = (
        InvoiceItem.objects.filter(
            invoice__tenant_id=OuterRef("tenant_id"),
            invoice__client_id=of_msl("client_id"),
            invoice__is_void=False,
            invoice__issue_date__gte=Coalesce(of_msl("start_date"), earliest),
            invoice__issue_date__lte=Coalesce(of_msl("end_date"), latest),
            product_id=OuterRef("product_id"),
            variant_id=Coalesce(OuterRef("variant_id"), F("variant_id")),
        )
        .order_by()
        .values("product_id")
        .annotate(achieved=Sum(signed))
        .values("achieved")
    )
    return Coalesce(Subquery(lines, output_field=out), Value(0, output_field=out), output_field=out)
