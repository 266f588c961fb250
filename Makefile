# Every target does its own set-up: a fresh clone needs only Python 3.11+, Node.js, git and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .venv-tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
STAMP := $(VENV)/.installed
PORT ?= 8000
AWS_PORT ?= 4566

.PHONY: install run test test-py313 lint typecheck unit integration infra e2e synth deploy destroy bench openapi lock layer-lock clean \
	console console-check browser

install: $(STAMP)

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv

$(STAMP): requirements.lock pyproject.toml | $(UV)
	test -x $(BIN)/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	VIRTUAL_ENV=$(VENV) $(UV) pip sync --quiet requirements.lock
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP) console
	$(BIN)/forge dev --port $(PORT) --aws-port $(AWS_PORT)

# Two pytest processes (pytest-xdist) on the machine's two cores; each tier that shares a platform or a synthesized app
# stays in one of them (tests/conftest.py). TEST_PROCESSES=0: one process, as a plain `pytest` runs.
TEST_PROCESSES ?= 2
PARALLEL := -n $(TEST_PROCESSES) --dist loadgroup

test: lint typecheck console-check browser
	FORGE_CONSOLE_E2E_REQUIRED=1 CHROMIUM=$(CHROMIUM) $(BIN)/pytest $(PARALLEL)

# Ruff, then the import contracts of pyproject's [tool.importlinter] (docs/architecture.md).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy shared devserver functions infra tests bench cli

unit: $(STAMP)
	$(BIN)/pytest $(PARALLEL) tests/unit

integration: $(STAMP)
	$(BIN)/pytest $(PARALLEL) tests/integration

infra: $(STAMP)
	$(BIN)/pytest tests/infra

e2e: $(STAMP) console browser
	FORGE_CONSOLE_E2E_REQUIRED=1 CHROMIUM=$(CHROMIUM) $(BIN)/pytest tests/e2e

# The web console (console/): npm installs exactly its lock file; the build is redone only when a source changed.
CONSOLE_SOURCES := $(shell find console/src console/public -type f 2>/dev/null) \
	console/index.html console/vite.config.ts console/tsconfig.json console/package.json
console: console/dist/index.html

console/node_modules/.package-lock.json: console/package-lock.json
	@command -v npm >/dev/null || { echo "make: the console needs Node.js 20+ with npm (Debian: apt-get install nodejs npm)"; exit 1; }
	cd console && npm ci --no-audit --no-fund --loglevel=error

console/dist/index.html: $(CONSOLE_SOURCES) console/node_modules/.package-lock.json
	cd console && npm run --silent build -- --logLevel warn

# The API types are those of the committed OpenAPI document; TypeScript, then the Vitest unit tests.
console-check: console
	cd console && npm run --silent api:check && npm run --silent typecheck && npm test --silent

# The console's browser tests drive Debian's chromium: installed here as root, else named for the person to install.
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null \
		|| { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null; }; \
	else echo "make: the console's browser tests need the 'chromium' package (Debian: sudo apt-get install chromium), or CHROMIUM=/path/to/chromium"; exit 1; fi

# Unit and integration tests on Python 3.13, the Lambda runtime, in their own venv from the same lock. Needs a
# python3.13 on PATH or in pyenv; skipped (not failed) without one, so `make test` never needs it.
VENV313 := .venv-py313
test-py313: | $(UV)
	@py=""; for candidate in python3.13 $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13; do \
		if "$$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then \
			py=$$(command -v "$$candidate"); break; fi; done; \
	if [ -z "$$py" ]; then echo "test-py313: SKIPPED: no Python 3.13 on PATH or in pyenv"; exit 0; fi; \
	echo "test-py313: $$py"; \
	set -e; \
	test -x $(VENV313)/bin/python || $(UV) venv --quiet --python "$$py" $(VENV313); \
	VIRTUAL_ENV=$(VENV313) $(UV) pip sync --quiet requirements.lock; \
	VIRTUAL_ENV=$(VENV313) $(UV) pip install --quiet --no-deps -e .; \
	$(VENV313)/bin/python --version; \
	$(VENV313)/bin/pytest tests/unit tests/integration

# The CDK CLI runs the app (cdk.json's `app`) and prints its warnings and errors. CONFIG=path/to/forge.json: the
# platform's configuration (docs/deploy.md) instead of cdk.json's `forge` context; CDK_ARGS: more arguments for the
# cdk command, e.g. `make deploy CONFIG=prod.json CDK_ARGS='--require-approval never'`.
CDK := npx --yes aws-cdk@2
CONFIG ?=
CDK_ARGS ?=
CDK_CONFIG = $(if $(CONFIG),--context forge_config_file=$(abspath $(CONFIG)))

# Offline (no AWS credentials); templates in cdk.out/.
synth: $(STAMP)
	$(CDK) synth --quiet $(CDK_CONFIG) $(CDK_ARGS)

# Needs AWS credentials and a bootstrapped account: see docs/deploy.md.
deploy: $(STAMP) console
	$(CDK) deploy --all $(CDK_CONFIG) $(CDK_ARGS)

# Every stack of the configuration; what `removal` retains stays (docs/deploy.md, Tear down).
destroy: $(STAMP)
	$(CDK) destroy --all $(CDK_CONFIG) $(CDK_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH)

openapi: $(STAMP)
	$(BIN)/forge openapi

lock: | $(UV)
	$(UV) pip compile pyproject.toml --extra local --extra cli --extra infra --extra dev --python-version 3.11 \
		--generate-hashes --quiet -o requirements.lock
	$(MAKE) --no-print-directory layer-lock

# The Lambda dependency layer's pins: pyproject's runtime dependencies for Lambda's Python 3.13 on x86_64 (Amazon
# Linux 2023, so manylinux_2_28 wheels), less what the runtime and the Powertools managed layer already provide.
LAYER_PROVIDED := boto3 botocore s3transfer jmespath urllib3 python-dateutil six aws-lambda-powertools aws-xray-sdk wrapt
layer-lock: | $(UV)
	$(UV) pip compile pyproject.toml --python-version 3.13 --python-platform x86_64-manylinux_2_28 \
		--generate-hashes --quiet $(foreach p,$(LAYER_PROVIDED),--no-emit-package $(p)) \
		-o layers/requirements.txt

clean:
	rm -rf $(VENV) $(VENV313) $(TOOLS) cdk.out layers/build .build .forge console/node_modules console/dist
