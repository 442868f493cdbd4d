#!/bin/sh
# pipex end to end over PPTP with the peers VM's Linux client: tests/pipex/e2e.sh.
exec sh "$(dirname "$0")/../pipex/e2e.sh" pptp
