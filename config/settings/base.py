"""Settings shared by every environment, read from environment variables.

Every variable is documented in README.md ("Konfiguration"). Defaults make the
portal run on a fresh machine: SQLite, no broker (Celery tasks run in-process),
e-mails printed to the console.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The admin's URL prefix; a less guessable path keeps scanners off its login.
ADMIN_URL = env("ADMIN_URL", default="admin/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "config.apps.ProjectConfig",
    "config.apps.GermanAxesConfig",
    "django_otp",
    "config.apps.GermanTOTPConfig",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "schools",
    "licensing",
    "invoicing",
    "config.apps.GermanAuditlogConfig",
    "portal",
    "pgtrigger",
]

MIDDLEWARE = [
    "config.request_id.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Renews the session for the idle timeout at most once a minute (not per request).
    "config.session_refresh.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.security.NoStoreForUsersMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "config.security.StaffOTPRequiredMiddleware",
    # Records the logged-in user as the actor of every audited change.
    "auditlog.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it turns a lockout raised anywhere into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "schools.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2 first (config/hashers.py: ~100 ms per check); the others verify older
# hashes, which are rehashed with Argon2 at the next log-in.
PASSWORD_HASHERS = [
    "config.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    # Refuses logins of locked-out users before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:start"
LOGOUT_REDIRECT_URL = "home"

# --- Login hardening -----------------------------------------------------------------
# Sessions end after this many minutes without a request. A request renews the
# session when it was last renewed SESSION_REFRESH_SECONDS ago or more
# (config/session_refresh.py), so it ends at most that much earlier, never later.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_HOURS", default=24) * 3600
# Password-reset e-mails per hour: per client address and per e-mail address.
PASSWORD_RESET_PER_ADDRESS = env.int("PASSWORD_RESET_PER_ADDRESS", default=10)
PASSWORD_RESET_PER_EMAIL = env.int("PASSWORD_RESET_PER_EMAIL", default=3)

# django-axes: after AXES_FAILURE_LIMIT failed logins of one user name from one address
# that pair is locked for AXES_COOLOFF_TIME; after LOGIN_ADDRESS_FAILURE_LIMIT failures
# from one address (any user names) the address is. Never a user name alone, so nobody
# can lock another user out (config.security.LockoutHandler). A success resets the pair.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "config.security.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
# Number of reverse proxies in front of gunicorn that append to X-Forwarded-For.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# django-otp: the publisher's staff (is_staff) must confirm every login with a TOTP
# code before any page answers them (config.security.StaffOTPRequiredMiddleware).
OTP_REQUIRED_FOR_STAFF = env.bool("OTP_REQUIRED_FOR_STAFF", default=True)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Lizenzportal")
# The admin never shows a device's secret key or QR code again after it was set up
# (config/otp_admin.py; the devices are managed by superusers only).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# German first; English can be added later through the same gettext catalogues.
LANGUAGE_CODE = "de"
LANGUAGES = [("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded registration lists and issued invoice documents are private: they live
# outside STATIC_ROOT, are never served by URL, and only views that check the
# authority hand them out.
PRIVATE_STORAGE_ROOT = Path(env("PRIVATE_STORAGE_ROOT", default=str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Content-Security-Policy (django-csp) ------------------------------------------
# No inline scripts or style attributes anywhere: JS and CSS come from our own static
# files. Bootstrap's CSS draws its form icons from data: URIs, hence img-src data:.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail -----------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Folder for EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend.
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mails"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Lizenzportal <lizenzen@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The publisher's staff who get a note for every new order (comma-separated).
PUBLISHER_NOTIFY_EMAILS = env.list("PUBLISHER_NOTIFY_EMAILS", default=["vertrieb@example.org"])

# --- Celery -----------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- The seller on every invoice (§ 14 UStG) ----------------------------------
SELLER = {
    "name": env("SELLER_NAME", default="Westermann Bildungsmedien Verlag GmbH"),
    "street": env("SELLER_STREET", default="Georg-Westermann-Allee 66"),
    "postal_code": env("SELLER_POSTAL_CODE", default="38104"),
    "city": env("SELLER_CITY", default="Braunschweig"),
    "country": env("SELLER_COUNTRY", default="DE"),
    "vat_id": env("SELLER_VAT_ID", default="DE811181311"),
    "tax_number": env("SELLER_TAX_NUMBER", default="13/200/12345"),
    "register": env("SELLER_REGISTER", default="Amtsgericht Braunschweig HRB 1234"),
    "managing_directors": env("SELLER_MANAGING_DIRECTORS", default="Max Mustermann"),
    "email": env("SELLER_EMAIL", default="rechnungen@example.org"),
    "phone": env("SELLER_PHONE", default="0531 708 0"),
    "bank_name": env("SELLER_BANK_NAME", default="Musterbank Braunschweig"),
    "iban": env("SELLER_IBAN", default="DE02120300000000202051"),
    "bic": env("SELLER_BIC", default="BYLADEM1001"),
}

# The portal's public address, for links in e-mails (no trailing slash).
PORTAL_URL = env("PORTAL_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Support contacts named to schools (DOMAIN R4) ------------------------------
SUPPORT_PHONE = env("SUPPORT_PHONE", default="0531 708 86 86")
SUPPORT_EMAIL = env("SUPPORT_EMAIL", default="online-support@westermanngruppe.de")
WEBINAR_URL = env("WEBINAR_URL", default="www.webinare.schule")
# Days an invitation link of an authority's Verwalter stays valid.
INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)
# The buyer's own contacts at the publisher ("Ihre Ansprechpartner im Verlag"), named
# in the portal and in every e-mail to an authority (schools get the support line).
# Entries "Name|Telefon|E-Mail", separated by ";"; a missing part is empty (and
# refused by the deploy check, config/checks.py, as are these placeholder numbers
# and addresses).
PUBLISHER_CONTACTS = [
    dict(
        zip(
            ("name", "phone", "email"),
            [*(p.strip() for p in entry.split("|")), "", ""][:3],
            strict=True,
        )
    )
    for entry in env(
        "PUBLISHER_CONTACTS",
        default="Franziska Dorbert|0531 708 8250|schultraeger@example.org;"
        "Daniel Rieger|0531 708 8251|schultraeger@example.org",
    ).split(";")
    if entry.strip()
]

# --- Business settings ------------------------------------------------------------
# Days before a licence year ends on which the buyer is told about the renewal (R6).
RENEWAL_NOTICE_DAYS = env.int("RENEWAL_NOTICE_DAYS", default=42)
# Days after setup or renewal until a draft invoice is issued (R9: 7..14).
INVOICE_ISSUE_DELAY_DAYS = env.int("INVOICE_ISSUE_DELAY_DAYS", default=7)
# Payment term of an invoice in days.
INVOICE_PAYMENT_DAYS = env.int("INVOICE_PAYMENT_DAYS", default=30)
# Days after the first payment reminder until the second (last) one; after that
# the invoice is listed for staff (no automatic debt collection).
INVOICE_SECOND_REMINDER_DAYS = env.int("INVOICE_SECOND_REMINDER_DAYS", default=14)
# Days the link in a refund's e-mail (the school enters its account) stays valid.
REFUND_ACCOUNT_LINK_DAYS = env.int("REFUND_ACCOUNT_LINK_DAYS", default=60)
# Upload limits for registration lists.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
UPLOAD_MAX_ROWS = env.int("UPLOAD_MAX_ROWS", default=20_000)
UPLOAD_MAX_UNCOMPRESSED_BYTES = env.int("UPLOAD_MAX_UNCOMPRESSED_BYTES", default=100 * 1024 * 1024)
# Bank statements (camt.053 / MT940 / ZIP): a day of 5,000 entries is about 6 MB of XML.
BANK_UPLOAD_MAX_BYTES = env.int("BANK_UPLOAD_MAX_BYTES", default=30 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# A file past its page's limit is refused while it streams (config/uploads.py); the
# rest of the request body is never read.
FILE_UPLOAD_HANDLERS = [
    "config.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Form fields (everything but files): a form of the portal is a few kB; a larger body
# is refused (400) before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# --- Data protection (DSGVO) ---------------------------------------------------------
# Contact persons of orders that ended or were rejected are anonymised this many days
# later (licensing.privacy.contacts_anonymise); invoices are kept for 8 years regardless.
CONTACT_RETENTION_DAYS = env.int("CONTACT_RETENTION_DAYS", default=365)
INVOICE_RETENTION_YEARS = 8
# Named on the Datenschutzerklärung page.
DATA_PROTECTION_OFFICER = {
    "name": env("DPO_NAME", default="Datenschutzbeauftragte der Westermann Gruppe"),
    "email": env("DPO_EMAIL", default="datenschutz@example.org"),
    "address": env("DPO_ADDRESS", default="Georg-Westermann-Allee 66, 38104 Braunschweig"),
}
PRIVACY_SUPERVISORY_AUTHORITY = env(
    "PRIVACY_SUPERVISORY_AUTHORITY",
    default=(
        "Die Landesbeauftragte für den Datenschutz Niedersachsen, Prinzenstraße 5, 30159 Hannover"
    ),
)
HOSTING_PROVIDER = env("HOSTING_PROVIDER", default="")

# Logs go to stderr, one line per record, each with the request id; LOG_FORMAT=json
# writes JSON objects for a log collector instead of plain text.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.request_id.RequestIDFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        "factur-x": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
