import pytest


@pytest.fixture
def django_client(db, settings):
    """One test client for a whole hypothesis run (function-scoped fixtures are not reset per example)."""
    from django.test import Client

    settings.CONTACT_RATE_LIMITS = {"ip": (10**9, 600), "email": (10**9, 3600)}
    return Client()
