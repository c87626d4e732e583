"""The client's reps (`assigned_to`), teams and price list become foreign keys into the sales app.

The earlier columns held plain id strings; ids that name a rep, team or price list of the same
tenant are carried over, anything else (ids from before those resources existed) is dropped.
"""

import uuid

from django.db import migrations, models
import django.db.models.deletion


def _ids(values):
    out = []
    for value in values or []:
        try:
            out.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return out


def carry_over(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    Rep = apps.get_model("sales", "Rep")
    Team = apps.get_model("sales", "Team")
    PriceList = apps.get_model("sales", "PriceList")
    rows = Client.objects.exclude(assigned_to_legacy=[], teams_legacy=[], sv_price_list_legacy__isnull=True)
    for client in rows.iterator():
        reps = Rep.objects.filter(tenant_id=client.tenant_id, pk__in=_ids(client.assigned_to_legacy))
        teams = Team.objects.filter(tenant_id=client.tenant_id, pk__in=_ids(client.teams_legacy))
        client.assigned_to.set(reps)
        client.teams.set(teams)
        price_lists = _ids([client.sv_price_list_legacy] if client.sv_price_list_legacy else [])
        price_list = PriceList.objects.filter(tenant_id=client.tenant_id, pk__in=price_lists).first()
        if price_list is not None:
            Client.objects.filter(pk=client.pk).update(sv_price_list=price_list)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0003_client_search_indexes"),
        ("sales", "0001_initial"),
    ]

    operations = [
        migrations.RenameField("client", "assigned_to", "assigned_to_legacy"),
        migrations.RenameField("client", "teams", "teams_legacy"),
        migrations.RenameField("client", "sv_price_list", "sv_price_list_legacy"),
        migrations.AddField(
            model_name="client",
            name="assigned_to",
            field=models.ManyToManyField(blank=True, related_name="assigned_clients", to="sales.rep"),
        ),
        migrations.AddField(
            model_name="client",
            name="teams",
            field=models.ManyToManyField(blank=True, related_name="clients", to="sales.team"),
        ),
        migrations.AddField(
            model_name="client",
            name="sv_price_list",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="clients",
                to="sales.pricelist",
            ),
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.RemoveField("client", "assigned_to_legacy"),
        migrations.RemoveField("client", "teams_legacy"),
        migrations.RemoveField("client", "sv_price_list_legacy"),
    ]
