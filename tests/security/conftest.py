from tests.maniva_crm.conftest import make_message, make_user, manager, manager_client, roles, sales  # noqa: F401
