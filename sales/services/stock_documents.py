"""Stock documents: inventory adjustments, receipts (receiving material) and transfers.

Called alike by the API's serializers, the admin's actions, imports and the demo loader. Every
function runs in one transaction; a document's status changes only through `change_*_status`,
which locks the document row first (so two requests asking the same transition move stock
once) and checks the document's transition table (a refused transition is a 409 naming the
current and the requested status; asking for the status it already has changes nothing).

Lines arrive as dicts of model instances and Decimals: `variant` (required), `product`
(optional; when given it must be the variant's product), `measureunit` (optional; quantities
are in that unit and the ledger receives `quantity × factor`), and the document's quantities.

* adjust-inventory: immutable. Each line moves `adjustment_quantity` with the sign of its
  reason's type (increase +, decrease −), or, without a reason, the sign it was sent with.
  Taking stock below zero is a 422 unless the tenant allows negative stock.
* receiving-material: `total_cost = received_quantity × unit_cost` per line (half-up, 3 decimals),
  `total_amount = Σ total_cost`. `received_quantity` defaults to `expected_quantity`. Lines can
  change only while pending (409 after). pending → received puts the received quantities in at
  `unit_cost` (moving-average cost); pending → cancelled does nothing; received → cancelled takes
  them out again, refused with 409 when that stock has already left (it would go below zero,
  whatever the negative-stock setting). The reversal does not un-average the cost.
* transfer: `from_warehouse ≠ to_warehouse` (422). `transfer_number` (`TRF-000001`, ...) is
  generated, unique per tenant. pending → in_transit takes `sent_quantity` (default: requested)
  out of the source (422 when short); in_transit → completed puts `received_quantity` (default:
  sent; more than sent is 422) into the destination at the cost it left the source with, and
  the difference is the line's transit loss; pending → cancelled does nothing; in_transit →
  cancelled returns the sent quantities to the source. completed and cancelled are terminal.
  While pending, `items` replace the lines; in transit only `receivedQuantity` may change.
  `total_value = Σ (sent, else requested) × unit_cost`; `unit_cost` defaults to the source's
  average cost of the variant (per line unit).
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from rest_framework.exceptions import ValidationError

from core.api.exceptions import Conflict, Unprocessable
from core.models import Tenant
from core.models.base import now_ms
from sales.models import (
    Inventory,
    InventoryAdjustment,
    InventoryAdjustmentItem,
    InventoryAdjustmentReason,
    ReceivingMaterial,
    ReceivingMaterialItem,
    StockMovement,
    Transfer,
    TransferItem,
)
from sales.services import stock
from sales.services.stock import InsufficientStock, StockLine

ADJUSTMENT, RECEIPT, TRANSFER = "adjust_inventory", "receiving_material", "transfer"
ZERO = Decimal(0)
CENTS = Decimal("0.001")  # money on these documents carries three decimals (catalogue prices do)
MAX_LINES = 1000

RECEIPT_TRANSITIONS = {
    "pending": {"received", "cancelled"},
    "received": {"cancelled"},
    "cancelled": set(),
}
TRANSFER_TRANSITIONS = {
    "pending": {"in_transit", "cancelled"},
    "in_transit": {"completed", "cancelled"},
    "completed": set(),
    "cancelled": set(),
}


# The API's names of line values, for error paths (`items[0].requestedQuantity`).
PUBLIC = {
    "adjustment_quantity": "adjustmentQuantity",
    "expected_quantity": "expectedQuantity",
    "received_quantity": "receivedQuantity",
    "requested_quantity": "requestedQuantity",
    "sent_quantity": "sentQuantity",
    "unit_cost": "unitCost",
}


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP)


def check_transition(*, table: dict, kind: str, current: str, requested: str) -> bool:
    """True when the status must change, False for the status it already has; a status the
    table does not know is a 400 naming `status`, a refused transition a 409."""
    if requested not in table:
        raise ValidationError({"status": [f"Expected one of: {', '.join(table)}."]})
    if requested == current:
        return False
    if requested not in table[current]:
        allowed = ", ".join(sorted(table[current])) or "none: it is final"
        message = f"Cannot change a {kind} from {current} to {requested} (allowed from {current}: {allowed})."
        raise Conflict(
            message,
            details=[
                {"path": "status", "message": message, "code": "invalid_transition", "current": current,
                 "requested": requested}
            ],
        )  # fmt: skip
    return True


# Lines ----------------------------------------------------------------------------------------------------
def _factor(line: dict) -> Decimal:
    unit = line.get("measureunit")
    return Decimal(unit.factor) if unit is not None else Decimal(1)


def _check_lines(*, tenant: Tenant, lines, required: dict[str, bool]) -> list[dict]:
    """Common checks: 1..MAX_LINES lines, each with the tenant's variant, a matching product, and
    the quantities of `required` (name -> must be > 0, else ≥ 0)."""
    if not isinstance(lines, list) or not lines:
        raise ValidationError({"items": ["At least one line is required."]})
    if len(lines) > MAX_LINES:
        raise ValidationError({"items": [f"At most {MAX_LINES} lines."]})
    errors: dict = {}
    out = []
    for i, raw in enumerate(lines):
        line = dict(raw)
        line_errors = {}
        variant = line.get("variant")
        if variant is None:
            line_errors["variant"] = ["This field is required."]
        elif variant.tenant_id != tenant.pk:
            line_errors["variant"] = [f"Not found: {variant.pk}."]
        else:
            product = line.get("product")
            if product is None:
                line["product"] = variant.product
            elif product.pk != variant.product_id:
                line_errors["product"] = [f"Variant {variant.pk} is not a variant of product {product.pk}."]
        for name in ("measureunit", "reason"):
            ref = line.get(name)
            if ref is not None and ref.tenant_id != tenant.pk:
                line_errors[name] = [f"Not found: {ref.pk}."]
        for name, positive in required.items():
            value = line.get(name)
            if value is None:
                continue
            if positive and value <= 0:
                line_errors[PUBLIC.get(name, name)] = ["Must be greater than 0."]
            elif not positive and value < 0:
                line_errors[PUBLIC.get(name, name)] = ["Must not be negative."]
        if line_errors:
            errors[i] = line_errors
        out.append(line)
    if errors:
        raise ValidationError({"items": errors})
    return out


def _check_refs(*, tenant: Tenant, data: dict, names) -> None:
    errors = {}
    for name in names:
        ref = data.get(name)
        if ref is not None and ref.tenant_id != tenant.pk:
            errors[name] = [f"Not found: {ref.pk}."]
    if errors:
        raise ValidationError(errors)


def _require(data: dict, names) -> None:
    missing = {name: ["This field is required."] for name in names if data.get(name) is None}
    if missing:
        raise ValidationError(missing)


def _given_id(data: dict) -> dict:
    """An id chosen by the caller (an import keeps the ids it maps), else the model's own."""
    return {"id": data["id"]} if data.get("id") is not None else {}


def _set_fields(document, data: dict, names) -> None:
    for name in names:
        if name in data:
            setattr(document, name, data[name])


# adjust-inventory ------------------------------------------------------------------------------------------
@transaction.atomic
def create_adjustment(*, tenant: Tenant, data: dict) -> InventoryAdjustment:
    """Create an adjustment and move its lines' stock (see the module doc)."""
    _require(data, ["warehouse"])
    _check_refs(tenant=tenant, data=data, names=["warehouse", "rep"])
    lines = _check_lines(tenant=tenant, lines=data.get("items"), required={})
    errors = {}
    for i, line in enumerate(lines):
        quantity = line.get("adjustment_quantity")
        if quantity is None:
            errors[i] = {"adjustmentQuantity": ["This field is required."]}
        elif quantity == 0:
            errors[i] = {"adjustmentQuantity": ["Must not be 0."]}
    if errors:
        raise ValidationError({"items": errors})
    adjustment = InventoryAdjustment(
        **_given_id(data),
        tenant=tenant,
        warehouse=data["warehouse"],
        rep=data.get("rep"),
        notes=data.get("notes") or "",
        integration_meta=data.get("integration_meta") or {},
    )
    adjustment.save()
    items, stock_lines = [], []
    for i, line in enumerate(lines):
        sent = line["adjustment_quantity"]
        reason = line.get("reason")
        if reason is not None and reason.type == InventoryAdjustmentReason.Type.INCREASE:
            signed = abs(sent)
        elif reason is not None and reason.type == InventoryAdjustmentReason.Type.DECREASE:
            signed = -abs(sent)
        else:
            signed = sent
        base = signed * _factor(line)
        items.append(
            InventoryAdjustmentItem(
                adjustment=adjustment,
                position=i,
                product=line["product"],
                variant=line["variant"],
                measureunit=line.get("measureunit"),
                adjustment_quantity=sent,
                quantity=base,
                reason=reason,
            )
        )
        stock_lines.append(StockLine(adjustment.warehouse_id, line["variant"].pk, base))
    InventoryAdjustmentItem.objects.bulk_create(items)
    stock.post_movements(tenant=tenant, lines=stock_lines, document_type=ADJUSTMENT, document_id=adjustment.pk)
    return adjustment


# receiving-material ---------------------------------------------------------------------------------------
RECEIPT_FIELDS = ("warehouse", "supplier", "rep", "receipt_number", "receipt_date", "notes", "integration_meta")


def _receipt_lines(*, tenant, receipt: ReceivingMaterial, lines) -> None:
    lines = _check_lines(
        tenant=tenant,
        lines=lines,
        required={"expected_quantity": False, "received_quantity": False, "unit_cost": False},
    )
    errors = {}
    for i, line in enumerate(lines):
        if line.get("expected_quantity") is None and line.get("received_quantity") is None:
            errors[i] = {"receivedQuantity": ["Give receivedQuantity or expectedQuantity."]}
    if errors:
        raise ValidationError({"items": errors})
    receipt.items.all().delete()
    items = []
    for i, line in enumerate(lines):
        expected = line.get("expected_quantity")
        received = line.get("received_quantity")
        received = expected if received is None else received
        unit_cost = line.get("unit_cost") or ZERO
        items.append(
            ReceivingMaterialItem(
                receipt=receipt,
                position=i,
                product=line["product"],
                variant=line["variant"],
                measureunit=line.get("measureunit"),
                expected_quantity=received if expected is None else expected,
                received_quantity=received,
                unit_cost=unit_cost,
                total_cost=money(received * unit_cost),
            )
        )
    ReceivingMaterialItem.objects.bulk_create(items)
    receipt.total_amount = sum((item.total_cost for item in items), ZERO)


@transaction.atomic
def create_receipt(*, tenant: Tenant, data: dict) -> ReceivingMaterial:
    """A pending receipt (or received at once when `status` says so)."""
    _require(data, ["warehouse", "supplier"])
    _check_refs(tenant=tenant, data=data, names=["warehouse", "supplier", "rep"])
    if "status" in data:
        check_transition(table=RECEIPT_TRANSITIONS, kind="receipt", current="pending", requested=data["status"])
    receipt = ReceivingMaterial(**_given_id(data), tenant=tenant)
    _set_fields(receipt, data, RECEIPT_FIELDS)
    receipt.receipt_date = receipt.receipt_date or now_ms()
    receipt.save()
    _receipt_lines(tenant=tenant, receipt=receipt, lines=data.get("items"))
    # The total of the lines just written: not a second write of the document (its __v stays 0).
    ReceivingMaterial.objects.filter(pk=receipt.pk).update(total_amount=receipt.total_amount)
    if data.get("status", "pending") != "pending":
        return change_receipt_status(receipt=receipt, status=data["status"])
    return receipt


@transaction.atomic
def update_receipt(*, receipt: ReceivingMaterial, data: dict) -> ReceivingMaterial:
    """Notes, dates and integration_meta at any time; warehouse, supplier and lines only while
    pending (409 after); `status` through the transition table."""
    locked = ReceivingMaterial.objects.select_for_update().get(pk=receipt.pk)
    tenant = locked.tenant
    _check_refs(tenant=tenant, data=data, names=["warehouse", "supplier", "rep"])
    frozen = [name for name in ("items", "warehouse", "supplier") if name in data]
    if frozen and locked.status != ReceivingMaterial.Status.PENDING:
        changed = [
            name
            for name in frozen
            if name == "items" or getattr(locked, f"{name}_id") != getattr(data[name], "pk", None)
        ]
        if changed:
            raise Conflict(
                f"A {locked.status} receipt's {', '.join(changed)} cannot change: only a pending receipt's can.",
                details=[{"path": changed[0], "message": "Only a pending receipt's lines and warehouse can change.",
                          "code": "frozen", "current": locked.status}],
            )  # fmt: skip
    _set_fields(locked, data, RECEIPT_FIELDS)
    if "items" in data and locked.status == ReceivingMaterial.Status.PENDING:
        _receipt_lines(tenant=tenant, receipt=locked, lines=data["items"])
    locked.save()
    if "status" in data:
        return change_receipt_status(receipt=locked, status=data["status"])
    return locked


@transaction.atomic
def change_receipt_status(*, receipt: ReceivingMaterial, status: str) -> ReceivingMaterial:
    locked = ReceivingMaterial.objects.select_for_update().get(pk=receipt.pk)
    if not check_transition(table=RECEIPT_TRANSITIONS, kind="receipt", current=locked.status, requested=status):
        return locked
    tenant = locked.tenant
    if status == ReceivingMaterial.Status.RECEIVED:
        lines = []
        for item in locked.items.select_related("measureunit"):
            factor = Decimal(item.measureunit.factor) if item.measureunit_id else Decimal(1)
            lines.append(
                StockLine(
                    locked.warehouse_id, item.variant_id, item.received_quantity * factor, item.unit_cost / factor
                )
            )
        stock.post_movements(tenant=tenant, lines=lines, document_type=RECEIPT, document_id=locked.pk)
        locked.received_at = now_ms()
    elif locked.status == ReceivingMaterial.Status.RECEIVED:  # received → cancelled: take it out again
        try:
            _reverse(tenant=tenant, document_type=RECEIPT, document_id=locked.pk)
        except InsufficientStock as exc:
            raise Conflict(
                f"Cannot cancel this receipt: the stock it received has already left. {exc.detail}",
                details=[{**d, "path": "status"} for d in exc.details],
            ) from None
    locked.status = status
    locked.save()
    return locked


def _reverse(*, tenant, document_type, document_id, warehouse_id=None) -> None:
    """Post the opposite of a document's movements (of one warehouse), never below zero."""
    totals = defaultdict(lambda: [ZERO, ZERO])  # key -> [quantity, quantity × cost]
    for movement in stock.movements_of(tenant=tenant, document_type=document_type, document_id=document_id):
        if warehouse_id is not None and movement.warehouse_id != warehouse_id:
            continue
        entry = totals[(movement.warehouse_id, movement.variant_id)]
        entry[0] += movement.quantity
        entry[1] += movement.quantity * movement.unit_cost
    lines = [
        StockLine(w, v, -quantity, (value / quantity) if quantity else None)
        for (w, v), (quantity, value) in sorted(totals.items())
        if quantity
    ]
    stock.post_movements(
        tenant=tenant, lines=lines, document_type=document_type, document_id=document_id, allow_negative=False
    )


# transfer ----------------------------------------------------------------------------------------------------
TRANSFER_FIELDS = ("from_warehouse", "to_warehouse", "rep", "expected_date", "reason", "notes", "integration_meta")


def _next_transfer_number(tenant) -> int:
    return Transfer.objects.filter(tenant=tenant).count() + 1


def _transfer_lines(*, tenant, transfer: Transfer, lines) -> None:
    lines = _check_lines(
        tenant=tenant,
        lines=lines,
        required={"requested_quantity": True, "sent_quantity": False, "received_quantity": False, "unit_cost": False},
    )
    errors, seen = {}, {}
    for i, line in enumerate(lines):
        if line.get("requested_quantity") is None:
            errors.setdefault(i, {})["requestedQuantity"] = ["This field is required."]
        variant = line["variant"].pk
        if variant in seen:
            errors.setdefault(i, {})["variant"] = [f"Already on line {seen[variant]}: one line per variant."]
        seen.setdefault(variant, i)
    if errors:
        raise ValidationError({"items": errors})
    costs = dict(
        Inventory.objects.filter(
            tenant=tenant, warehouse_id=transfer.from_warehouse_id, variant_id__in=list(seen)
        ).values_list("variant_id", "cost")
    )
    transfer.items.all().delete()
    items = [
        TransferItem(
            transfer=transfer,
            position=i,
            product=line["product"],
            variant=line["variant"],
            measureunit=line.get("measureunit"),
            requested_quantity=line["requested_quantity"],
            sent_quantity=line.get("sent_quantity"),
            received_quantity=line.get("received_quantity"),
            unit_cost=(
                line["unit_cost"]
                if line.get("unit_cost") is not None
                else costs.get(line["variant"].pk, ZERO) * _factor(line)
            ),
        )
        for i, line in enumerate(lines)
    ]
    TransferItem.objects.bulk_create(items)


def _transfer_total(transfer: Transfer) -> Decimal:
    return sum(
        (
            money((item.sent_quantity if item.sent_quantity is not None else item.requested_quantity) * item.unit_cost)
            for item in transfer.items.all()
        ),
        ZERO,
    )


@transaction.atomic
def create_transfer(*, tenant: Tenant, data: dict) -> Transfer:
    """A pending transfer with a generated `transfer_number` (then moved on when `status` says so)."""
    _require(data, ["from_warehouse", "to_warehouse"])
    _check_refs(tenant=tenant, data=data, names=["from_warehouse", "to_warehouse", "rep"])
    if data["from_warehouse"].pk == data["to_warehouse"].pk:
        message = "The destination must differ from the source warehouse."
        exc = Unprocessable(message)
        exc.details = [{"path": "toWarehouse", "message": message, "code": "same_warehouse"}]
        raise exc
    if "status" in data:
        check_transition(table=TRANSFER_TRANSITIONS, kind="transfer", current="pending", requested=data["status"])
    transfer = Transfer(**_given_id(data), tenant=tenant, transfer_date=now_ms())
    _set_fields(transfer, data, TRANSFER_FIELDS)
    number = _next_transfer_number(tenant)
    for _attempt in range(50):
        transfer.transfer_number = f"TRF-{number:06d}"
        try:
            with transaction.atomic():
                transfer.save()
            break
        except IntegrityError:  # taken meanwhile by a concurrent create: the next one
            transfer._state.adding = True
            number += 1
    else:  # pragma: no cover - fifty concurrent creates in a row
        raise Conflict("Could not number the transfer; try again.")
    _transfer_lines(tenant=tenant, transfer=transfer, lines=data.get("items"))
    transfer.total_value = _transfer_total(transfer)
    Transfer.objects.filter(pk=transfer.pk).update(total_value=transfer.total_value)
    if data.get("status", "pending") != "pending":
        return change_transfer_status(transfer=transfer, status=data["status"])
    return transfer


def _update_transit_lines(*, transfer: Transfer, lines) -> None:
    """In transit: lines matched by variant; only `received_quantity` may change."""
    if not isinstance(lines, list):
        raise ValidationError({"items": ["Expected a list."]})
    stored = {item.variant_id: item for item in transfer.items.all()}
    errors = {}
    changed = []
    for i, line in enumerate(lines):
        variant = line.get("variant")
        item = stored.get(getattr(variant, "pk", None))
        if item is None:
            errors[i] = {"variant": ["Not on this transfer: in transit, lines can be updated, not added."]}
            continue
        for name, public in (("requested_quantity", "requestedQuantity"), ("sent_quantity", "sentQuantity")):
            if line.get(name) is not None and line[name] != getattr(item, name):
                raise Conflict(
                    f"{public} of a transfer in transit cannot change: the stock has left.",
                    details=[
                        {"path": f"items[{i}].{public}", "message": "Cannot change in transit.", "code": "frozen"}
                    ],
                )
        received = line.get("received_quantity")
        if received is not None:
            if received < 0:
                errors[i] = {"receivedQuantity": ["Must not be negative."]}
            elif received > item.sent_quantity:
                errors[i] = {
                    "receivedQuantity": [f"Cannot exceed the sent quantity ({item.sent_quantity.normalize():f})."]
                }
            else:
                item.received_quantity = received
                changed.append(item)
    if errors:
        raise ValidationError({"items": errors})
    TransferItem.objects.bulk_update(changed, ["received_quantity"])


@transaction.atomic
def update_transfer(*, transfer: Transfer, data: dict) -> Transfer:
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    tenant = locked.tenant
    _check_refs(tenant=tenant, data=data, names=["from_warehouse", "to_warehouse", "rep"])
    pending = locked.status == Transfer.Status.PENDING
    for name in ("from_warehouse", "to_warehouse"):
        if name in data and getattr(data[name], "pk", None) != getattr(locked, f"{name}_id") and not pending:
            raise Conflict(f"The warehouses of a {locked.status} transfer cannot change.")
    _set_fields(locked, data, TRANSFER_FIELDS)
    if locked.from_warehouse_id == locked.to_warehouse_id:
        exc = Unprocessable("The destination must differ from the source warehouse.")
        exc.details = [{"path": "toWarehouse", "message": str(exc.detail), "code": "same_warehouse"}]
        raise exc
    if "items" in data:
        if pending:
            _transfer_lines(tenant=tenant, transfer=locked, lines=data["items"])
        elif locked.status == Transfer.Status.IN_TRANSIT:
            _update_transit_lines(transfer=locked, lines=data["items"])
        else:
            raise Conflict(f"The lines of a {locked.status} transfer cannot change.")
    locked.total_value = _transfer_total(locked)
    locked.save()
    if "status" in data:
        return change_transfer_status(transfer=locked, status=data["status"])
    return locked


def _out_costs(*, tenant, transfer: Transfer) -> dict:
    """Per variant, the cost per base unit the stock left the source with."""
    totals = defaultdict(lambda: [ZERO, ZERO])
    rows = (
        StockMovement.objects.filter(
            tenant=tenant, document_type=TRANSFER, document_id=transfer.pk, warehouse_id=transfer.from_warehouse_id,
            quantity__lt=0,
        )
        .values_list("variant_id", "quantity", "unit_cost")
    )  # fmt: skip
    for variant_id, quantity, unit_cost in rows:
        totals[variant_id][0] += quantity
        totals[variant_id][1] += quantity * unit_cost
    return {v: (value / quantity if quantity else ZERO) for v, (quantity, value) in totals.items()}


@transaction.atomic
def change_transfer_status(*, transfer: Transfer, status: str) -> Transfer:
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if not check_transition(table=TRANSFER_TRANSITIONS, kind="transfer", current=locked.status, requested=status):
        return locked
    tenant = locked.tenant
    items = list(locked.items.select_related("measureunit"))

    def factor(item):
        return Decimal(item.measureunit.factor) if item.measureunit_id else Decimal(1)

    if status == Transfer.Status.IN_TRANSIT:
        for item in items:
            if item.sent_quantity is None:
                item.sent_quantity = item.requested_quantity
        TransferItem.objects.bulk_update(items, ["sent_quantity"])
        lines = [StockLine(locked.from_warehouse_id, i.variant_id, -i.sent_quantity * factor(i)) for i in items]
        stock.post_movements(tenant=tenant, lines=lines, document_type=TRANSFER, document_id=locked.pk)
    elif status == Transfer.Status.COMPLETED:
        costs = _out_costs(tenant=tenant, transfer=locked)
        for item in items:
            if item.received_quantity is None:
                item.received_quantity = item.sent_quantity
        TransferItem.objects.bulk_update(items, ["received_quantity"])
        lines = [
            StockLine(locked.to_warehouse_id, i.variant_id, i.received_quantity * factor(i), costs.get(i.variant_id))
            for i in items
        ]
        stock.post_movements(tenant=tenant, lines=lines, document_type=TRANSFER, document_id=locked.pk)
        locked.completed_date = now_ms()
    elif locked.status == Transfer.Status.IN_TRANSIT:  # in_transit → cancelled: the stock goes back
        costs = _out_costs(tenant=tenant, transfer=locked)
        lines = [
            StockLine(locked.from_warehouse_id, i.variant_id, i.sent_quantity * factor(i), costs.get(i.variant_id))
            for i in items
        ]
        stock.post_movements(tenant=tenant, lines=lines, document_type=TRANSFER, document_id=locked.pk)
    locked.status = status
    locked.total_value = _transfer_total(locked)
    locked.save()
    return locked


def transit_loss(*, transfer: Transfer) -> Decimal:
    """Σ (sent − received) over the lines of a completed transfer (in line units)."""
    return transfer.items.aggregate(loss=Sum("sent_quantity") - Sum("received_quantity"))["loss"] or ZERO
