"""Names of lookup lists (tags, channels, taxes, ...) are unique per tenant, whatever their case.

A model opts in by declaring the constraint in its Meta:

    constraints = [unique_name("tag")]

and then, with no code of its own:
* saving a row whose name another row of the tenant has, in any case, raises a 409 whose
  details carry the existing row's `_id`; checked before the write, and mapped from the
  database's IntegrityError when two writes race past the check (TenantModel.save);
* the admin's forms show the same refusal on the name field (TenantModel.clean);
* imports match file rows to these rows, and resolve references to them, by name whatever
  the case (core/dataio), so a file naming "vip" finds the tenant's "VIP".

A migration that adds the constraint to a table that may hold duplicates runs
`rename_duplicate_names` first (see its docstring).
"""

from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower

NAME = "name"
_KEY = (models.F("tenant"), Lower(NAME))
_flags: dict = {}


def unique_name(prefix: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(*_KEY, name=f"{prefix}_unique_name")


def has_unique_name(model) -> bool:
    """Does `model` declare unique_name()?"""
    flag = _flags.get(model)
    if flag is None:
        flag = _flags[model] = any(
            isinstance(c, models.UniqueConstraint) and c.expressions == _KEY and c.condition is None
            for c in model._meta.constraints
        )
    return flag


def name_owner(instance) -> tuple | None:
    """(id, name) of the other row of the instance's tenant that has its name in any case, or None."""
    name = getattr(instance, NAME)
    if not isinstance(name, str) or instance.tenant_id is None:
        return None
    rows = type(instance)._base_manager.using(instance._state.db or "default").filter(tenant_id=instance.tenant_id)
    rows = rows.annotate(_name_key=Lower(NAME)).filter(_name_key=Lower(models.Value(name)))
    if not instance._state.adding:
        rows = rows.exclude(pk=instance.pk)
    return rows.values_list("pk", NAME).first()


def name_taken_message(instance, owner: tuple) -> str:
    pk, name = owner
    return f"A {type(instance)._meta.verbose_name} named '{name}' already exists ({pk}); names are unique, in any case."


def name_taken(instance, owner: tuple):
    from core.api.exceptions import Conflict

    message = name_taken_message(instance, owner)
    return Conflict(message, details=[{"path": NAME, "message": message, "code": "unique", "_id": str(owner[0])}])


def save_with_unique_name(instance, save, update_fields=None) -> None:
    """Run the model's own `save` under the rule (a 409 naming the existing row)."""
    if update_fields is not None and NAME not in update_fields:
        save()
        return
    owner = name_owner(instance)
    if owner is not None:
        raise name_taken(instance, owner)
    try:
        with transaction.atomic(using=instance._state.db or "default"):
            save()
    except IntegrityError:
        # Another write took the name between the check and this insert (it committed first).
        owner = name_owner(instance)
        if owner is None:
            raise
        raise name_taken(instance, owner) from None


def rename_duplicate_names(model) -> int:
    """Make a table's names unique per tenant (in any case) before the constraint is added:
    in each group of rows whose names are equal ignoring case, the oldest row (created first,
    then smallest id) keeps its name and the others become "<name> (2)", "<name> (3)", ...
    (the first number not taken). Nothing is merged or deleted: what references a renamed
    row still does. Works on a migration's historical model; returns how many were renamed."""
    rows = model._base_manager.annotate(_name_key=Lower(NAME)).order_by("tenant_id", "_name_key", "created_at", "pk")
    rows = list(rows.values_list("pk", "tenant_id", NAME, "_name_key"))
    seen, renamed = set(), []
    taken = {(tenant, key) for _pk, tenant, _name, key in rows}
    max_length = model._meta.get_field(NAME).max_length
    for pk, tenant, name, key in rows:
        if (tenant, key) not in seen:
            seen.add((tenant, key))
            continue
        number = 2
        while True:
            tail = f" ({number})"
            base_name, base_key = name[: max_length - len(tail)], key[: max_length - len(tail)]
            if (tenant, base_key + tail) not in taken:
                break
            number += 1
        taken.add((tenant, base_key + tail))
        renamed.append((pk, base_name + tail))
    for pk, name in renamed:
        model._base_manager.filter(pk=pk).update(**{NAME: name})
    return len(renamed)


def rename_duplicates_operation(*labels):
    """A RunPython operation that runs rename_duplicate_names on each "app.Model" of `labels`."""
    from django.db import migrations

    def forwards(apps, schema_editor):
        for label in labels:
            rename_duplicate_names(apps.get_model(label))

    return migrations.RunPython(forwards, migrations.RunPython.noop)
