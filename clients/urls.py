from core.api.routers import router

from .views import client, people

router.register("client", client.ClientViewSet)
router.register("tag", people.TagViewSet)
router.register("client-channel", people.ClientChannelViewSet)
router.register("client-contact", people.ClientContactViewSet)
router.register("client-location", people.ClientLocationViewSet)
router.register("speciality", people.SpecialityViewSet)
router.register("mail-unsubscribe", people.MailUnsubscribeViewSet)
