"""factory-boy factories, one per model. Each takes `tenant=`."""

import factory

from clients import models as cm


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Tag

    name = factory.Sequence(lambda n: f"Tag {n}")
