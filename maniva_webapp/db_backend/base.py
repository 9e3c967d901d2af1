"""The database backend: django-mongodb-backend, plus a per-pool answer to "is this the embedded
server?", plus regexes for iexact & co. escaped right (backend bugs, see `regex.py`)."""
import re

from django_mongodb_backend.base import DatabaseWrapper as MongoDatabaseWrapper
from django_mongodb_backend.operations import DatabaseOperations as MongoDatabaseOperations

from maniva_webapp.db_backend.pipeline import is_embedded_server
from maniva_webapp.db_backend.regex import EscapedPattern, brace_escape_corrected, escaped_constant, escaped_expression

PATTERN_LOOKUPS = ("startswith", "istartswith", "endswith", "iendswith", "contains", "icontains")


class DatabaseOperations(MongoDatabaseOperations):
    compiler_module = "maniva_webapp.db_backend.compiler"

    def prep_for_iexact_query(self, x: object) -> EscapedPattern:
        """iexact's constant escaped for the regex `^…$` it becomes, as `prep_for_like_query` is."""
        return escaped_constant(x)


def _iexact_path(field: str, value: object) -> dict:
    # Not an EscapedPattern: a Value() on the right, which reaches here as it is.
    pattern = value if isinstance(value, EscapedPattern) else re.escape(str(value))
    return MongoDatabaseWrapper._regex_operator(field, f"^{pattern}$", insensitive=True)


def _iexact_expr(field: object, value: object) -> dict:
    pattern = value if isinstance(value, EscapedPattern) else escaped_expression(value)
    return MongoDatabaseWrapper._regex_expr(field, ("^", pattern, {"$literal": "$"}), insensitive=True)


def _brace_corrected(operator):
    return lambda field, value: operator(field, brace_escape_corrected(value))


class DatabaseWrapper(MongoDatabaseWrapper):
    ops_class = DatabaseOperations
    mongo_operators = {**MongoDatabaseWrapper.mongo_operators, "iexact": _iexact_path}
    mongo_expr_operators = {
        **MongoDatabaseWrapper.mongo_expr_operators,
        "iexact": _iexact_expr,
        **{name: _brace_corrected(MongoDatabaseWrapper.mongo_expr_operators[name]) for name in PATTERN_LOOKUPS},
    }
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
