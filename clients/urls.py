from core.api.routers import router

from .views import client, people

router.register("client", client.ClientViewSet)
router.register("tag", people.TagViewSet)
