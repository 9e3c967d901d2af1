"""Staff views, a module per job: thin, server-side permission checks, htmx partials with plain-form
fallbacks. maniva_crm/urls.py names each view's module."""
