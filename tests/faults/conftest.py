from tests.contact.conftest import push_service  # noqa: F401  (the local push service fixture)
