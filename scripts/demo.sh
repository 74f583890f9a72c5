#!/usr/bin/env bash
# Sets up and starts the portal on SQLite with demo data (no broker needed:
# Celery tasks run in-process). Stop with Ctrl+C.
#   PORT=8101 ./scripts/demo.sh   another port (the links in the e-mails follow it)
#   ./scripts/demo.sh --reset     start again from fresh demo data: deletes the demo's
#                                 SQLite database, its e-mails in var/mails and its
#                                 stored files in var/private first
set -euo pipefail
cd "$(dirname "$0")/.."
reset=""
for arg in "$@"; do
  case "$arg" in
    --reset) reset=1 ;;
    *) echo "Unbekannte Option: $arg (erlaubt: --reset)" >&2; exit 2 ;;
  esac
done
./scripts/setup.sh
export DJANGO_SETTINGS_MODULE=config.settings.local
PORT="${PORT:-8000}"
# Links in the e-mails point to the port the demo runs on.
export PORTAL_URL="${PORTAL_URL:-http://127.0.0.1:${PORT}}"
# Every e-mail of the demo, those of seed_demo and those the running server sends
# (activations, invitations, password resets, ...), goes to files in var/mails.
export EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend
export EMAIL_FILE_PATH="${EMAIL_FILE_PATH:-$PWD/var/mails}"
if [ -n "$reset" ]; then
  .venv/bin/python manage.py demo_reset
fi
.venv/bin/python manage.py migrate --no-input -v 0
.venv/bin/python manage.py seed_demo
echo
echo "Lizenzportal läuft auf http://127.0.0.1:${PORT}/  (Verwaltung: http://127.0.0.1:${PORT}/admin/)"
echo "E-Mails der Demo (auch die des laufenden Servers) liegen als Dateien in ${EMAIL_FILE_PATH}/"
echo "Demodaten neu anlegen: ./scripts/demo.sh --reset"
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT}"
