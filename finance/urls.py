from core.api.routers import router

from .views import serials, terms

serials.register(router)
terms.register(router)
