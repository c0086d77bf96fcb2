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

.PHONY: help test unit fuzz fmt-check vet lint bench build dev deploy configs-validate configs-push clean

help: ## list targets
	@grep -hE '^[a-zA-Z_%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

test: fmt-check vet unit fuzz ## run every test (the one command CI runs)

fmt-check: ## fail if any Go file is not gofmt'ed
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

unit: ## go test -race over every package
	$(GO) test -race -count=1 ./...

fuzz: ## short fuzz run of the config parser (the seed corpus also runs in unit)
	$(GO) test -run '^$$' -fuzz '^FuzzBuild$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./pkg/business

lint: fmt-check vet ## gofmt, go vet and staticcheck
	$(GO) run $(STATICCHECK) ./...

bench: ## run the benchmarks (figures go in BENCHMARKS.md)
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

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

dev: ## run the product locally (see README: what it does today)
	$(GO) run ./infra/ahca configs validate --dir configs

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
