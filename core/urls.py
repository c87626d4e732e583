from core.api.routers import router

from . import views

router.register("settings", views.SettingViewSet)
router.register("media", views.MediaViewSet)
router.register("media-storage", views.MediaStorageViewSet)
router.register("custom-status", views.CustomStatusViewSet)
router.register("custom-list", views.CustomListViewSet)
router.register("custom-list-item", views.CustomListItemViewSet)
