from core.api.routers import router

from .views import serials

serials.register(router)
