#!/usr/bin/env bash
# Sets up and runs the whole test suite. On a machine with PostgreSQL and Redis
# on their default ports (as every developer machine and CI has) the tests run
# against them; otherwise on SQLite, and the tests that need PostgreSQL or a real
# Redis/Celery worker are skipped. DATABASE_URL and REDIS_URL override this.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
port_open() { .venv/bin/python -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null; }
if [ -z "${DATABASE_URL:-}" ] && port_open 5432; then
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/test"
fi
if [ -z "${REDIS_URL:-}" ] && port_open 6379; then
  export REDIS_URL="redis://127.0.0.1:6379/0"
fi
.venv/bin/lint-imports   # the layers contract in pyproject.toml
echo "Tests on ${DATABASE_URL:-SQLite}, broker ${REDIS_URL:-none}"
exec .venv/bin/python -m pytest "$@"
