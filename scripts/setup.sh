#!/usr/bin/env bash
# Installs everything the portal needs on a fresh machine; safe to run again.
# System packages (Debian): WeasyPrint's text stack and fonts, pdftotext for the
# PDF tests, Chromium for the browser tests, pg_dump/pg_restore (postgresql-client)
# for the smoke test's backup and restore. Python packages into .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
              fonts-liberation poppler-utils chromium postgresql-client)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Please install these Debian packages: ${missing[*]}" >&2
    # In CI a missing package would only surface as failing tests later: stop here.
    if [ -n "${CI:-}" ]; then exit 1; fi
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# The Python packages are installed again only when something they depend on
# changed: pyproject.toml, the system package list or the Python. A clean clone
# has no stamp; `rm .venv/.setup-stamp` forces a new installation.
stamp=.venv/.setup-stamp
key=$( { cat pyproject.toml; printf '%s\n' "${APT_PACKAGES[@]}";
         .venv/bin/python -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1 )
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
  echo "Python-Pakete aktuell (pyproject.toml unverändert), keine Installation."
  exit 0
fi
rm -f "$stamp"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"
echo "$key" > "$stamp"
