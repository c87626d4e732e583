"""factory-boy factories, one per model. Each takes `tenant=`; related rows are made in the
same tenant."""

import factory

from clients import models as cm
from core import models as core


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = core.Tenant
        django_get_or_create = ("namespace",)

    namespace = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.LazyAttribute(lambda o: o.namespace.title())


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Tag

    name = factory.Sequence(lambda n: f"Tag {n}")


class SpecialityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Speciality

    name = factory.Sequence(lambda n: f"Speciality {n}")


class ClientChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.ClientChannel

    name = factory.Sequence(lambda n: f"Channel {n}")


class ClientContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.ClientContact

    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.test")
    creator = factory.LazyFunction(lambda: {"_id": None, "name": "factory", "type": "admin"})


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Client

    name = factory.Sequence(lambda n: f"Client {n}")
    client_code = factory.Sequence(lambda n: f"C-{n:05d}")
    email = factory.Sequence(lambda n: f"client{n}@example.test")
    city = "Amman"


class ClientLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.ClientLocation

    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..tenant"))
    name = factory.Sequence(lambda n: f"Location {n}")
    address = "1 Main Street"


class MailUnsubscribeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.MailUnsubscribe

    email = factory.Sequence(lambda n: f"unsub{n}@example.test")
    unsubscribe_types = factory.LazyFunction(lambda: ["all"])


class SettingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = core.Setting

    key = factory.Sequence(lambda n: f"custom_setting_{n}")
    value = 1
    category = "general"


class MediaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = core.Media

    name = factory.Sequence(lambda n: f"Media {n}")
    url = factory.Sequence(lambda n: f"https://files.example.test/{n}.pdf")
    document_type = "pdf"


class MediaStorageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = core.MediaStorage

    filename = factory.Sequence(lambda n: f"file{n}.png")
    url = factory.Sequence(lambda n: f"https://files.example.test/{n}.png")
    mime_type = "image/png"
    size = 1024


class CustomStatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = core.CustomStatus

    name = factory.Sequence(lambda n: f"Status {n}")
    color = "#00aa00"
    entity = "workorder"


class CustomListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = core.CustomList

    name = factory.Sequence(lambda n: f"List {n}")
    entity = "client"


class CustomListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = core.CustomListItem

    custom_list = factory.SubFactory(CustomListFactory, tenant=factory.SelfAttribute("..tenant"))
    name = factory.Sequence(lambda n: f"Item {n}")
    value = factory.Sequence(lambda n: f"v{n}")
