#!/bin/sh
# upto-local.sh - the upto test with settlement = local: the gate settles
# through the upto proxy from its own relayer key.
MODE=local exec sh "$(dirname "$0")/upto.sh"
