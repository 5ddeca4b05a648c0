#!/usr/bin/env bash
# System packages that some tests and plugins need, installed with apt when missing and run
# as root; otherwise the apt-get line to run is printed. Kept out of bootstrap.sh so that
# adding one does not change the venv cache key (only Python dependencies rebuild the venv).
#
# One line per package: the Debian package, then a shell test that is true when it is there.
set -uo pipefail
log() { echo "[bootstrap] $*" >&2; }

PACKAGES=(
  # Hangul in plots and word clouds
  "fonts-nanum|fc-list 2>/dev/null | grep -qi nanum || [ -d /usr/share/fonts/truetype/nanum ]"
  # the chatbot API tests against a real PostgreSQL
  "postgresql|ls /usr/lib/postgresql/*/bin/initdb"
  # ... and against a real MariaDB (Debian's MySQL); the server lives in /usr/sbin
  "mariadb-server|command -v mariadbd || command -v mysqld || [ -x /usr/sbin/mariadbd ]"
  # KoNLPy's taggers run on the JVM
  "default-jre-headless|command -v java"
  # `specrun ui`'s browser tests (Playwright drives this chromium; no browser download)
  "chromium|command -v chromium"
)

need_apt=()
for entry in "${PACKAGES[@]}"; do
  pkg="${entry%%|*}"
  check="${entry#*|}"
  bash -c "$check" >/dev/null 2>&1 || need_apt+=("$pkg")
done
[ ${#need_apt[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing system packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null; } \
    || log "warning: could not install ${need_apt[*]} (tests that need them will say so)"
else
  log "warning: missing system packages ${need_apt[*]}; install them with: sudo apt-get install ${need_apt[*]}"
fi
exit 0
