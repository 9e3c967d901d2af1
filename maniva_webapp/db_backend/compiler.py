"""django-mongodb-backend's compilers, building queries whose pipeline suits the server.

Django looks compilers up by name in `DatabaseOperations.compiler_module`, so every name is here;
only the ones that run aggregation pipelines need the compatible query class."""
from django_mongodb_backend import compiler as mongo
from django_mongodb_backend.query import MongoQuery

from maniva_webapp.db_backend.pipeline import dotted_pipeline

# Writes send a filter, not a pipeline: django-mongodb-backend's own classes serve.
SQLInsertCompiler = mongo.SQLInsertCompiler
SQLDeleteCompiler = mongo.SQLDeleteCompiler
SQLUpdateCompiler = mongo.SQLUpdateCompiler


class CompatMongoQuery(MongoQuery):
    """Every pipeline the ORM runs (or explains) comes from `get_pipeline()`, subqueries included."""

    def get_pipeline(self) -> list[dict]:
        pipeline = super().get_pipeline()
        return dotted_pipeline(pipeline) if self.compiler.connection.embedded_server else pipeline


class SQLCompiler(mongo.SQLCompiler):
    query_class = CompatMongoQuery


class SQLAggregateCompiler(mongo.SQLAggregateCompiler):
    query_class = CompatMongoQuery
