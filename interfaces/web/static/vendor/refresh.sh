#!/usr/bin/env bash
# Refresh the vendored front-end assets from the npm registry (the only source), with their licences.
# Usage: bash interfaces/web/static/vendor/refresh.sh [HTMX_VERSION] [AXE_VERSION]   (defaults: the pinned ones)
# Then update the versions and checksums in README.md (printed below) and run tests/web.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
htmx="${1:-2.0.11}"
axe="${2:-4.14.1}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "htmx.org@$htmx" "axe-core@$axe" >/dev/null
mkdir htmx axe
tar xzf "htmx.org-$htmx.tgz" -C htmx
tar xzf "axe-core-$axe.tgz" -C axe
install -m 0644 htmx/package/dist/htmx.min.js htmx/package/LICENSE "$here/htmx/"
install -m 0644 axe/package/axe.min.js axe/package/LICENSE axe/package/LICENSE-3RD-PARTY.txt "$here/axe-core/"
sha256sum "htmx.org-$htmx.tgz" "axe-core-$axe.tgz"
(cd "$here" && sha256sum htmx/htmx.min.js axe-core/axe.min.js)
