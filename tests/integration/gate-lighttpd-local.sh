#!/bin/sh
# gate-lighttpd-local.sh - the lighttpd test with settlement = local: the
# gate verifies offline and settles on chain from its own relayer key.
MODE=local exec sh "$(dirname "$0")/gate-lighttpd.sh"
