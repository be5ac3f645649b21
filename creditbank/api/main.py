"""The NinjaAPI instance: auth, error handlers, and each app's router."""

from ninja import NinjaAPI

api = NinjaAPI(title="creditbank", version="1", urls_namespace="api")
