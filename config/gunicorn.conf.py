"""gunicorn settings for production: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Every value can be overridden from the environment (see README.md, "Betrieb").
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Uploads of registration lists and PDF rendering can take a while; never forever.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = 100
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
