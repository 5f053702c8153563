# slices-agent — see README.md.
GO        ?= go
BIN       ?= bin
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build install test test-stress demo bench bench-smoke lint fuzz soak clean

all: build

## build: the binaries into ./bin (slices-agent, its slices-agent-core, slices-tui, slices-devportal);
## static, no cgo: 'slices-agent token' starts ~1 ms faster (docs/BENCHMARKS.md)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN)/ ./cmd/...

## install: the three commands into $(PREFIX)/bin (default ~/.local/bin), and slices-agent-core,
## which slices-agent hands most commands to, into $(PREFIX)/libexec/slices-agent (off PATH)
PREFIX ?= $(HOME)/.local
install: build
	install -d "$(PREFIX)/bin" "$(PREFIX)/libexec/slices-agent"
	install -m 0755 $(BIN)/slices-agent-core "$(PREFIX)/libexec/slices-agent/"
	install -m 0755 $(BIN)/slices-agent $(BIN)/slices-tui $(BIN)/slices-devportal "$(PREFIX)/bin/"
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; *) echo "note: $(PREFIX)/bin is not on your PATH; add it in your shell's rc file and open a new shell";; esac

## test: every test; the system keyring tests run on a private D-Bus with a throwaway gnome-keyring;
## then interop/ (its own module): the agent against an OpenID provider we did not write
test:
	$(GO) vet ./...
	cd interop && $(GO) vet ./...
	scripts/with-keyring $(GO) test -count=1 -timeout 15m ./...
	cd interop && $(GO) test -count=1 -timeout 5m ./...

## test-stress: make test 5 times in a row beside two CPU burners (RUNS=n for another count)
test-stress:
	scripts/test-stress $(or $(RUNS),5)

## demo: the emulated portal + an agent on a private socket, logged in, then what to type
demo: build
	scripts/demo

## bench: slices-agent beside ssh-agent and oidc-agent in one run (~6 min); writes docs/BENCHMARKS.md
bench:
	scripts/bench

## bench-smoke: the same harness, short (<1 min), for CI; fails only when a row cannot be measured
bench-smoke:
	scripts/bench --smoke

## lint: gofmt, go vet, staticcheck
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(STATICCHECK) ./...
	cd interop && $(GO) vet ./... && $(STATICCHECK) ./...

## fuzz: a short run of each fuzz target
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 30s ./token/
	$(GO) test -run '^$$' -fuzz FuzzParseKeySet -fuzztime 30s ./token/
	$(GO) test -run '^$$' -fuzz FuzzHandler -fuzztime 30s -fuzzminimizetime 200x ./ipc/
	$(GO) test -run '^$$' -fuzz FuzzServer -fuzztime 30s -fuzzminimizetime 200x ./ipc/
	$(GO) test -run '^$$' -fuzz FuzzReadAnswer -fuzztime 30s ./ipc/wire/

clean:
	rm -rf $(BIN)

## soak: 10 minutes of steady load, 60 s of 200 clients, 40 s of slowloris (SOAK=30m for longer)
soak:
	scripts/soak $(or $(SOAK),10m)
