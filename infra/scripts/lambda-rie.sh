#!/usr/bin/env bash
# The AWS Lambda Runtime Interface Emulator, for `ahca dev --lambdas`, its
# tests and make e2e-lambdas. `install` puts the pinned version in GOPATH/bin
# when no aws-lambda-rie is on PATH or there; `path` prints where it is.
set -euo pipefail

# Keep in step with rieModule/rieVersion in infra/ahca/lambdas.go (a test checks).
RIE_MODULE=github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d

find_rie() {
  command -v aws-lambda-rie 2>/dev/null && return 0
  local p
  p="$(go env GOPATH | cut -d: -f1)/bin/aws-lambda-rie"
  [ -x "$p" ] && { echo "$p"; return 0; }
  return 1
}

case "${1:-}" in
  install)
    if ! p="$(find_rie)"; then
      echo "lambda-rie: installing go install $RIE_MODULE@$RIE_VERSION" >&2
      go install "$RIE_MODULE@$RIE_VERSION"
      p="$(find_rie)"
    fi
    echo "lambda-rie: $p" >&2
    ;;
  path) find_rie ;;
  *) echo "usage: $0 install|path" >&2; exit 2 ;;
esac
