# auditpack: build, test and demo targets. `make test` is what CI runs.
GO ?= go
BIN := bin/auditpack
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/auditpack/auditpack/cmd.Version=$(VERSION) -X github.com/auditpack/auditpack/cmd.Commit=$(COMMIT)

.PHONY: build test demo bench docs vet clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

# Every test, integration tests included; they start moto_server and a
# throwaway PostgreSQL cluster on loopback ports.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

# Starts the demo environment, seeds it, runs auditpack on it, verifies the
# bundle and stops the services. The bundle lands in demo-output/.
demo: build
	$(GO) run ./internal/demo -bin $(BIN) -config configs/demo.yaml -out demo-output

# Runs every benchmark of the project (AWS collection against moto_server and
# its floor, the manual ways, audit-log statistics, reports) and rewrites
# docs/benchmarks.md from that run. Needs hyperfine, benchstat, GNU time,
# moto_server, the AWS CLI and boto3; BENCHFLAGS passes options such as
# -rounds 2 to internal/bench.
bench:
	$(GO) run ./internal/bench -out docs/benchmarks.md $(BENCHFLAGS)

# Regenerates the check and configuration references from the code.
docs:
	$(GO) run ./internal/docgen

clean:
	rm -rf bin demo-output
