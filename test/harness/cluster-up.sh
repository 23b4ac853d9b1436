#!/usr/bin/env bash
# Start a loopback OpenSSH test cluster of N nodes in DIR (detached sshds that outlive this script).
#   test/harness/cluster-up.sh 20 /tmp/c [--login-shell /usr/bin/zsh] [--max-sessions 10] [--max-startups 10:30:100]
#   source /tmp/c/cluster.env; ssh -F /tmp/c/ssh_config node3 hostname
#   test/harness/cluster-down.sh /tmp/c --purge
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/../../node_modules/.bin/tsx" "$here/cli.ts" up "$@"
