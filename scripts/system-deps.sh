#!/usr/bin/env bash
# What the test suite needs beyond Python: Debian's chromium for the browser tests, dovecot-imapd
# (the real IMAP server the mailbox polling tests start), and axe-core from npm (injected into
# pages by the accessibility tests). Idempotent and quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -x /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)  # dovecot-core alone has no IMAP server
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
if ((${#need[@]})); then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  npm ci --no-audit --no-fund --silent
fi
