from django.urls import path

from core.api.routers import router

from .surfaces import aiwyn, crm
from .views import client, people

router.register("client", client.ClientViewSet)
router.register("tag", people.TagViewSet)
router.register("client-channel", people.ClientChannelViewSet)
router.register("client-contact", people.ClientContactViewSet)
router.register("client-location", people.ClientLocationViewSet)
router.register("speciality", people.SpecialityViewSet)
router.register("mail-unsubscribe", people.MailUnsubscribeViewSet)

# The Aiwyn (seed 000) and CRM (seed 002) client surfaces: the same rows, other vocabularies.
surface_urlpatterns = [
    path("gql/v1/clients", aiwyn.AiwynClientListView.as_view(), name="aiwyn-clients"),
    path("gql/v1/clients/search", aiwyn.AiwynClientSearchView.as_view(), name="aiwyn-clients-search"),
    path("gql/v1/client/<str:id>", aiwyn.AiwynClientDetailView.as_view(), name="aiwyn-client"),
    path("clients", crm.CrmClientListView.as_view(), name="crm-clients"),
    path("clients/<str:id>", crm.CrmClientDetailView.as_view(), name="crm-client"),
]
