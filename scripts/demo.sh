#!/usr/bin/env bash
# Sets up and starts the portal on SQLite with demo data (no broker needed:
# Celery tasks run in-process). Stop with Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export DJANGO_SETTINGS_MODULE=config.settings.local
.venv/bin/python manage.py migrate --no-input -v 0
# The demo's own e-mails (order confirmations, the demo invoice with its PDF) go
# to files instead of flooding the terminal; the running server prints its mails.
EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend EMAIL_FILE_PATH=var/mails \
  .venv/bin/python manage.py seed_demo
PORT="${PORT:-8000}"
echo
echo "Lizenzportal läuft auf http://127.0.0.1:${PORT}/  (Verwaltung: http://127.0.0.1:${PORT}/admin/)"
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT}"
