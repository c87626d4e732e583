from clients.views import people as views
from core.api.routers import router

router.register("tag", views.TagViewSet)
