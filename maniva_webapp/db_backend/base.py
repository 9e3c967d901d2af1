"""The database backend: django-mongodb-backend, plus a per-pool answer to "is this the embedded server?"."""
from django_mongodb_backend.base import DatabaseWrapper as MongoDatabaseWrapper
from django_mongodb_backend.operations import DatabaseOperations as MongoDatabaseOperations

from maniva_webapp.db_backend.pipeline import is_embedded_server


class DatabaseOperations(MongoDatabaseOperations):
    compiler_module = "maniva_webapp.db_backend.compiler"


class DatabaseWrapper(MongoDatabaseWrapper):
    ops_class = DatabaseOperations
    # Keyed by alias, like the backend's one MongoClient per alias that every thread shares: one
    # `buildInfo` per process and pool, not one per request thread.
    _embedded_servers: dict[str, bool] = {}

    @property
    def embedded_server(self) -> bool:
        """True when the server is SecantusDB, whose pipeline quirks the compilers work around."""
        if self.alias not in self._embedded_servers:
            self.ensure_connection()
            self._embedded_servers[self.alias] = is_embedded_server(self.connection.server_info())
        return self._embedded_servers[self.alias]

    def close_pool(self) -> None:
        self._embedded_servers.pop(self.alias, None)
        super().close_pool()
