"""GET /health/: is the portal able to serve? For load balancers and monitoring.

200 when the database answers a query and the broker (if one is configured) answers a
ping; 503 otherwise. The body names each part: "ok", "error" or "not configured".
"""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: database unreachable")
        return "error"
    return "ok"


def broker_status() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    try:
        with Connection(
            settings.REDIS_URL,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
            transport_options={"socket_timeout": BROKER_TIMEOUT_SECONDS},
        ) as broker:
            broker.ensure_connection(
                max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS
            )
            broker.default_channel.client.ping()
    except Exception:
        logger.exception("Health check: broker unreachable")
        return "error"
    return "ok"


@never_cache
@require_GET
def health(request):
    parts = {"database": database_status(), "broker": broker_status()}
    healthy = all(state in ("ok", "not configured") for state in parts.values())
    return JsonResponse(parts, status=200 if healthy else 503)
