#!/usr/bin/env bash
# make run: the embedded database (unless MONGODB_URI is set), migrations, the outbox worker, the
# inbound SMTP receiver on 127.0.0.1:$INBOUND_SMTP_PORT (default 2525) and the web server on
# 127.0.0.1:$PORT. Ctrl-C or SIGTERM stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}
DB_PORT=${DB_PORT:-27017}
mkdir -p var/db var/spool

# Plain HTTP on loopback: no HTTPS redirect; a secret key kept in var/ across runs.
export DJANGO_HTTPS=${DJANGO_HTTPS:-false}
export DJANGO_ALLOWED_HOSTS=${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$PORT}
export INBOUND_EMAIL_DOMAIN=${INBOUND_EMAIL_DOMAIN:-inbound.localhost}
# No EMAIL_HOST: every mail is caught in var/mail/ (CRM → Mail), the staff notice of each new lead too.
if [ -z "${EMAIL_HOST:-}" ]; then export CONTACT_NOTIFY_EMAILS=${CONTACT_NOTIFY_EMAILS:-team@localhost}; fi
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  [ -s var/secret_key ] || $PY -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key
  DJANGO_SECRET_KEY=$(cat var/secret_key)
  export DJANGO_SECRET_KEY
fi

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${MONGODB_URI:-}" ]; then
  if $PY scripts/wait_for_db.py "mongodb://127.0.0.1:$DB_PORT/" 1 2>/dev/null; then
    echo "Port $DB_PORT already answers as MongoDB; set MONGODB_URI to use it, or DB_PORT for another port." >&2
    exit 1
  fi
  # --sync-on-commit: a write is on disk before it is acknowledged, so kill -9 loses nothing a visitor was told was received.
  .venv/bin/secantusd-py --host 127.0.0.1 --port "$DB_PORT" --storage-path var/db --sync-on-commit --log-level WARNING &
  pids+=($!)
  export MONGODB_URI="mongodb://127.0.0.1:$DB_PORT/maniva"
fi
$PY scripts/wait_for_db.py "$MONGODB_URI" 30

# What this run set, for manage.py in another shell (it reads var/local.env for names not set there).
umask 077
{
  echo "# Written by make run (scripts/run.sh) at $(date -u +%FT%TZ); read by manage.py. Not for production."
  for name in MONGODB_URI DJANGO_SECRET_KEY DJANGO_HTTPS DJANGO_ALLOWED_HOSTS SITE_URL \
              EMAIL_HOST EMAIL_PORT EMAIL_USE_TLS CONTACT_NOTIFY_EMAILS INBOUND_EMAIL_DOMAIN; do
    if [ -n "${!name:-}" ]; then echo "$name=${!name}"; fi
  done
} > var/local.env.tmp
mv var/local.env.tmp var/local.env
umask 022
$PY manage.py migrate --noinput
$PY manage.py collectstatic --noinput -v 0
$PY manage.py run_worker &
pids+=($!)
# Inbound mail (replies to reply+<token>@$INBOUND_EMAIL_DOMAIN) over SMTP on loopback.
$PY manage.py run_mailserver --port "${INBOUND_SMTP_PORT:-2525}" &
pids+=($!)
echo "Maniva Digital on http://127.0.0.1:$PORT/ (database: ${MONGODB_URI%%\?*})"
$PY manage.py run_web --port "$PORT" --threads "${WEB_THREADS:-8}" &
pids+=($!)
wait -n "${pids[@]}"
