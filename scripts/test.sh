#!/usr/bin/env bash
# Runs the whole test suite: Rust unit, store and HTTP tests (SQLite always, PostgreSQL when
# ABONENT_TEST_POSTGRES_URL is set or a server answers on 127.0.0.1:5432), then the browser
# tests in real headless Chromium. Installs what a fresh machine lacks (Debian's chromium, the
# mail servers the mail tests start on loopback — Dovecot for IMAP, aiosmtpd for SMTP —, poppler's
# PDF reader and zbar's QR decoder for the document tests, and the
# npm packages of e2e/). One debug build is shared by every step.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

# Debian packages the tests need, installed once on a fresh machine.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need+=(python3-aiosmtpd)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
if [ ${#need[@]} -gt 0 ]; then
  log "Installing Debian packages: ${need[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ -z "${ABONENT_TEST_POSTGRES_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 \
    && pg_isready -q -h 127.0.0.1 -p 5432; then
  export ABONENT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/postgres"
fi
if [ -n "${ABONENT_TEST_POSTGRES_URL:-}" ]; then
  log "PostgreSQL tests enabled: ${ABONENT_TEST_POSTGRES_URL%%@*}@…"
else
  log "PostgreSQL not available: Rust tests run on SQLite only (CI requires PostgreSQL)"
fi

log "Build (debug, shared by all steps)"
cargo build --workspace --all-targets --locked

log "Format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

log "Import structure (docs/architecture.md, \"Adding a capability\")"
python3 scripts/check_imports_test.py
python3 scripts/check_imports.py crates/web/src crates/store/src crates/jobs/src crates/domain/src
# The company's own copy of the check, where the checkout sits beside it (CI).
if [ -f ../shared/tools/check_imports.py ]; then
  python3 ../shared/tools/check_imports.py crates/web/src crates/store/src crates/jobs/src crates/domain/src
fi

log "Rust tests"
cargo test --workspace --locked

log "Browser tests"
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
(cd e2e && ABONENT_BIN="$PWD/../target/debug/abonent" node --test --test-reporter=spec)
