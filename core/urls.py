from core.api.routers import router  # noqa: F401
