"""Settings for Maniva Digital. Everything that changes per deploy comes from the environment."""
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from maniva_webapp.env import env_bool, env_float, env_int, env_list, env_str
from maniva_webapp.mongo import DEFAULT_URI, client_options, database_name

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "maniva_webapp.mongo_apps.MongoAdminConfig",
    "maniva_webapp.mongo_apps.MongoAuthConfig",
    "maniva_webapp.mongo_apps.MongoContentTypesConfig",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_mongodb_backend",
    "django_bootstrap5",
    "django_htmx",
    "csp",
    "maniva_webapp",
    "contact",
    "maniva_crm",
    "analytics",
]

MIDDLEWARE = [
    # The header middlewares come first, so that every answer passes back through them: error
    # pages from later middlewares (a bad Host header's 400, a refused charset's 415) included.
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "maniva_webapp.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "maniva_webapp.middleware.RequestCharsetMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",  # pages only; whitenoise serves static files pre-compressed
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "maniva_crm.middleware.LoginThrottledMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "maniva_webapp.middleware.CrmNoStoreMiddleware",
]

ROOT_URLCONF = "maniva_webapp.urls"
WSGI_APPLICATION = "maniva_webapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "maniva_webapp.context_processors.site_content",
            ],
        },
    },
]

MONGODB_URI = env_str("MONGODB_URI", DEFAULT_URI)
DATABASES = {
    "default": {
        "ENGINE": "maniva_webapp.db_backend",  # django-mongodb-backend + embedded-server workarounds
        "HOST": MONGODB_URI,
        "NAME": database_name(MONGODB_URI),
        "OPTIONS": client_options(MONGODB_URI, timeout_ms=env_int("MONGODB_TIMEOUT_MS", 5000)),
    },
}
DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
MIGRATION_MODULES = {
    "admin": "mongo_migrations.admin",
    "auth": "mongo_migrations.auth",
    "contenttypes": "mongo_migrations.contenttypes",
    "sessions": "mongo_migrations.sessions",  # Django's, and a plain index for the lookup by key
}

SESSION_ENGINE = "maniva_webapp.sessions"  # the database engine, read with one plain find
# Flash messages live in a signed cookie, so a page that shows one still works while MongoDB is down.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Every login (CRM, admin, any view calling authenticate()) passes the throttle in this backend.
AUTHENTICATION_BACKENDS = ["maniva_crm.backends.ThrottledModelBackend"]
LOGIN_THROTTLE = {  # scope: (max failed logins, window seconds); successful logins never count
    "account_address": (env_int("LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", 5), env_int("LOGIN_FAILURES_WINDOW", 900)),
    "address": (env_int("LOGIN_FAILURES_PER_ADDRESS", 25), env_int("LOGIN_FAILURES_WINDOW", 900)),
    "account": (env_int("LOGIN_FAILURES_PER_ACCOUNT", 100), env_int("LOGIN_FAILURES_ACCOUNT_WINDOW", 3600)),
}
LOGIN_URL = "crm:login"
LOGIN_REDIRECT_URL = "crm:inbox"

LANGUAGE_CODE = "en"
# The site's copy (landing page, privacy page, footer): see maniva_webapp/content.py and the README.
SITE_CONTENT_PATH = Path(env_str("SITE_CONTENT_PATH", str(BASE_DIR / "content" / "site.toml")))
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_MAX_AGE = 3600

# Security headers: HTTPS-only pieces switch on with DJANGO_HTTPS.
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# No script reads the cookie: forms carry the token in a hidden field, htmx and the push button
# take it from the page (hx-headers, data-csrf).
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "maniva_webapp.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Mail: SMTP to EMAIL_HOST; without one, every mail is caught as a file in MAIL_CATCH_DIR (CRM → Mail).
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "contact.mailcatch.CatchingEmailBackend"
MAIL_CATCH_DIR = Path(env_str("MAIL_CATCH_DIR") or BASE_DIR / "var" / "mail")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Maniva Digital <hello@maniva.digital>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
CONTACT_NOTIFY_EMAILS = env_list("CONTACT_NOTIFY_EMAILS")
# Inbound mail from a provider's mailbox: the worker polls it over IMAP when IMAP_HOST is set (contact.imap).
IMAP_HOST = env_str("IMAP_HOST")
IMAP_PORT = env_int("IMAP_PORT", 993)
IMAP_USER = env_str("IMAP_USER")
IMAP_PASSWORD = env_str("IMAP_PASSWORD")
IMAP_FOLDER = env_str("IMAP_FOLDER", "INBOX")
IMAP_SSL = env_bool("IMAP_SSL", True)
IMAP_POLL_SECONDS = env_int("IMAP_POLL_SECONDS", 60)
# Replies to mail about a lead go to reply+<signed token>@INBOUND_EMAIL_DOMAIN (contact.replytoken).
INBOUND_EMAIL_DOMAIN = env_str("INBOUND_EMAIL_DOMAIN", "inbound.localhost")
# Inbound mail (contact.inbound): the SMTP receiver's port (manage.py run_mailserver), the largest mail
# taken whole (bigger is refused with 552), and the attachment types kept (others are noted, not stored).
INBOUND_SMTP_PORT = env_int("INBOUND_SMTP_PORT", 2525)
INBOUND_MAX_BYTES = env_int("INBOUND_MAX_BYTES", 10 * 1024 * 1024)
INBOUND_ATTACHMENT_TYPES = env_list(
    "INBOUND_ATTACHMENT_TYPES",
    "application/pdf,image/png,image/jpeg,image/gif,image/webp,text/plain,text/csv,text/calendar,message/rfc822,"
    "application/msword,application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "application/vnd.ms-excel,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
    "application/vnd.ms-powerpoint,application/vnd.openxmlformats-officedocument.presentationml.presentation,"
    "application/vnd.oasis.opendocument.text,application/vnd.oasis.opendocument.spreadsheet",
)

# Web push
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY")
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:hello@maniva.digital")
# Pushes go only to https endpoints on public addresses; origins listed here (e.g.
# http://127.0.0.1:8399, a local push service in tests) are let in anyway. Empty in production.
PUSH_ENDPOINT_ALLOW = env_list("PUSH_ENDPOINT_ALLOW")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES")

# Lead intake: spam defences, rate limits, delivery
CONTACT_MIN_FILL_SECONDS = env_int("CONTACT_MIN_FILL_SECONDS", 3)
CONTACT_MAX_LINKS = 2
# A message the live spam model scores at or above the hold threshold is held as spam (nobody is
# notified); between the review and the hold threshold it is flagged for review (staff are
# notified). Unset, both are the cut-offs chosen with the live model on held-out data.
CONTACT_SPAM_MODEL_THRESHOLD = env_float("CONTACT_SPAM_MODEL_THRESHOLD", None)
CONTACT_SPAM_REVIEW_THRESHOLD = env_float("CONTACT_SPAM_REVIEW_THRESHOLD", None)
# How often each process asks MongoDB which model version is live (never once per submission).
CONTACT_SPAM_MODEL_RECHECK_SECONDS = env_int("CONTACT_SPAM_MODEL_RECHECK_SECONDS", 60)
# The worker retrains on staff labels after this many new ones (or nightly when any are new),
# and deploys the new model only if it does no worse on held-out labels than the live one.
SPAM_RETRAIN_AFTER_LABELS = env_int("SPAM_RETRAIN_AFTER_LABELS", 50)
SPAM_RETRAIN_CHECK_SECONDS = 300
SPAM_RETRAIN_CORPORA = None  # {name: label,text CSV}; None: the day-one corpora (analytics.spam_model.DAY_ONE_CORPORA)
# The scorer behind the threshold (an analytics.scoring.SpamScorer: any classifier with .probability(text)),
# and how long a submission waits for it; past that, or if it fails, the rules decide alone (logged).
CONTACT_SPAM_SCORER = "analytics.scoring.saved_model"
CONTACT_SPAM_SCORE_TIMEOUT_MS = 1000
# Triage in the worker (contact.triage): the intent model, and the routing rules of the CRM.
CONTACT_INTENT_SCORER = "analytics.intent_scoring.saved_intent_model"
CONTACT_LEAD_ROUTER = "maniva_crm.routing.lead_route"
CONTACT_BLOCKLIST = ["viagra", "cialis", "casino", "porn", "payday loan", "crypto giveaway", "bitcoin doubler"]
CONTACT_BLOCKED_DOMAINS = env_list("CONTACT_BLOCKED_DOMAINS")
CONTACT_RATE_LIMITS = {  # scope: (max messages, window seconds)
    "ip": (env_int("CONTACT_RATE_IP", 5), 600),
    "email": (env_int("CONTACT_RATE_EMAIL", 3), 3600),
}
CONTACT_SPOOL_DIR = Path(env_str("CONTACT_SPOOL_DIR", str(BASE_DIR / "var" / "spool")))
CONTACT_SPOOL_MAX_BYTES = env_int("CONTACT_SPOOL_MAX_BYTES", 50_000_000)  # ~10,000 submissions
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 30)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 3600)
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 120)
# The spam model the intake scores with while MongoDB names no deployed version: the day-one
# model shipped in the repository (data/README.md says what it was trained on).
ANALYTICS_MODEL_PATH = Path(env_str("ANALYTICS_MODEL_PATH", str(BASE_DIR / "data" / "spam_model.joblib")))
