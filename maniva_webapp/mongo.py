"""Database naming from MONGODB_URI, shared by settings and pymongo users."""
from pymongo.uri_parser import parse_uri

DEFAULT_URI = "mongodb://127.0.0.1:27017/maniva"
DEFAULT_DB_NAME = "maniva"


def database_name(uri: str) -> str:
    """The database named in the URI's path, or `maniva` when the path is empty."""
    return parse_uri(uri, warn=True).get("database") or DEFAULT_DB_NAME
