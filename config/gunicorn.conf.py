"""gunicorn settings for production: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Every value can be overridden from the environment (see README.md, "Betrieb").
"""

import multiprocessing
import os
import sys

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Uploads of registration lists and PDF rendering can take a while; never forever.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# The master loads the portal once and forks its workers from it: a recycled worker
# (below) serves at once instead of importing Django anew (~0.8 s CPU, ~0.25 s more
# for its first pages) while the other workers take its share. Trade-off: ``kill -HUP``
# starts new workers from the code the master loaded; a new version needs a restart
# of gunicorn (README, "Aktualisieren"). GUNICORN_PRELOAD=0 switches it off.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
# Recycle workers now and then so that a slow leak cannot grow without bound; at the
# peak (~45 requests/s per worker) 1000 recycled each worker every ~20 s.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
# Request head limits (gunicorn answers 400 beyond them). gunicorn has no body limit:
# the proxy in front enforces it (README, "Starten"), Django refuses oversize uploads
# while they stream (config/uploads.py) and form bodies over DATA_UPLOAD_MAX_MEMORY_SIZE.
limit_request_line = int(os.environ.get("GUNICORN_LIMIT_REQUEST_LINE", "4094"))
limit_request_fields = int(os.environ.get("GUNICORN_LIMIT_REQUEST_FIELDS", "100"))
limit_request_field_size = int(os.environ.get("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", "8190"))
# The proxy in front sets X-Forwarded-Proto/-For; trust it only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Access log to stdout with the request id the portal put on the response.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
wsgi_app = "config.wsgi:application"


def when_ready(server) -> None:
    """In the master, after the preloaded app and before the first fork: no database
    connection may be shared by the workers (nothing opens one while loading; this
    makes sure of it)."""
    db = sys.modules.get("django.db")
    if db is not None:
        db.connections.close_all()
