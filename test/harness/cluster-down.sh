#!/usr/bin/env bash
# Stop the test cluster in DIR (only the sshds recorded there, and their sessions); --purge also deletes DIR.
#   test/harness/cluster-down.sh /tmp/c [--purge]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/../../node_modules/.bin/tsx" "$here/cli.ts" down "$@"
