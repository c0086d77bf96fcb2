#!/usr/bin/env bash
# Cold start and binary size of every function (issue 12 part 6): each
# functions/* bootstrap and the hello-world yardstick (infra/coldstart/hello)
# built with make build's flags, run under the Lambda Runtime Interface
# Emulator round-robin, INIT duration (the emulator's INIT REPORT) as a
# multiple of hello's. Exits 1 when a function is over its budget
# (ws-connect 1.5x, the others 2x; email-summary 25 MB). Not part of
# make test: timings need a quiet machine.
#
#   bash infra/scripts/coldstart.sh [-runs N]      (make coldstart)
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v aws-lambda-rie >/dev/null; then
  echo "coldstart: installing aws-lambda-rie" >&2
  go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@latest
  export PATH="$PATH:$(go env GOPATH)/bin"
fi
exec go run ./infra/coldstart "$@"
