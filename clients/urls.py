from core.api.routers import router

from . import views

router.register("tag", views.TagViewSet)
