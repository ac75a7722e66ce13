# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both bootstrap their own environment (.venv from the lock file, DynamoDB Local from npm).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.deps-installed
NODE_STAMP := node_modules/.deps-installed

## Python keeps what it compiles: a shell that exports PYTHONDONTWRITEBYTECODE makes every pytest process
## rewrite the assertions of its plugins' packages again (Schemathesis, Hypothesis, anyio: about 270
## modules, 5-7 s of CPU per process, and the two lanes start about ten of them).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: deps test test-unit lint typecheck cfn-lint check run demo bench lock clean
.PHONY: sam-venv sam-validate sam-build ddb

$(STAMP): requirements-dev.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11+"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "error: $(PYTHON) is $$($(PYTHON) -V 2>&1); leadrouter needs Python 3.11+ (make PYTHON=python3.12 …)"; exit 1; }
	$(PYTHON) -m venv --clear $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found; install Node.js 18+ (e.g. apt-get install nodejs npm)"; exit 1; }
	@command -v java >/dev/null || { echo "error: java not found; DynamoDB Local needs Java 17+ (e.g. apt-get install openjdk-17-jre-headless)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser of its own).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "error: the browser tests need Chromium at $(CHROMIUM) (Debian/Ubuntu: sudo apt-get install chromium)"; exit 1; fi

deps: $(STAMP) $(NODE_STAMP)

## The console (console/): installed from its npm lock, built by Vite into console/dist. The build checks
## that src/api/schema.d.ts matches docs/openapi.json, type-checks, and fails over 250 KB of first-load JS.
CONSOLE_STAMP := console/node_modules/.deps-installed
CONSOLE_SRC := $(shell find console/src console/index.html console/vite.config.ts console/tsconfig.json console/scripts -type f 2>/dev/null)
$(CONSOLE_STAMP): console/package.json console/package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found; install Node.js 20.19+ (e.g. apt-get install nodejs npm)"; exit 1; }
	cd console && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
console/dist/index.html: $(CONSOLE_STAMP) $(CONSOLE_SRC) docs/openapi.json
	cd console && npm run --silent build
.PHONY: console console-test
console: console/dist/index.html
## The console's own tests (Vitest: translations complete, formats, its logic); the browser tests are in tests/.
console-test: $(CONSOLE_STAMP)
	cd console && npm run --silent check:api && npm run --silent typecheck && npm test --silent

## The whole suite: unit (moto, pure, hypothesis) + integration on DynamoDB Local + lint, types, template,
## and the unit suite again on Python 3.12, the Lambda runtime (when python3.12 is on the machine; CI
## sets REQUIRE_PY312=1 so that a missing 3.12 fails instead). The installs run side by side (mostly
## downloads), then two lanes of about the same length: the 3.11 suite but the console's browser tests,
## and everything else one after the other (the console's own tests, lint/types/template, the 3.12 unit
## suite, Schemathesis against two stacks side by side, then the console's browser tests on 3.11). Each
## lane's output is printed as a block when it ends; make fails if either lane does.
test:
	@$(MAKE) --no-print-directory -j4 deps $(CHROMIUM) console test-envs
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-suite test-others

## The Python 3.11 suite. Workers take tests one or two at a time, the longest first (tests/conftest.py):
## xdist's default hands each worker a quarter of the suite at once, which left one worker with nearly
## every DynamoDB Local test while the other ran out of work.
PYTEST_WORKERS ?= 2
.PHONY: test-suite test-others
CONSOLE_BROWSER_TESTS := tests/integration/console
## Schemathesis' two runs (admin, staff) are about 4 minutes of CPU: they run in the other lane, which
## was shorter by about that much.
SCHEMATHESIS_TESTS := tests/integration/test_schemathesis.py
test-suite: deps
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --maxschedchunk 1 --durations=15 --ignore=$(CONSOLE_BROWSER_TESTS) \
	  --ignore=$(SCHEMATHESIS_TESTS)

test-others: deps console
	$(MAKE) --no-print-directory lock-check
	$(MAKE) --no-print-directory console-test
	$(MAKE) --no-print-directory lint typecheck sam-validate # cfn-lint: tests/unit/test_template.py
	$(MAKE) --no-print-directory test-py312
	$(MAKE) --no-print-directory test-schemathesis
	$(MAKE) --no-print-directory test-console-browser

## Schemathesis against `make run`'s stack, once per identity, the two side by side.
.PHONY: test-schemathesis
test-schemathesis: deps
	$(PY) -m pytest -q -p no:cacheprovider -n 2 $(SCHEMATHESIS_TESTS)

## The console in headless Chromium on `make run`'s stack (one stack and one browser for all of them).
.PHONY: test-console-browser
test-console-browser: deps console
	$(PY) -m pytest -q -p no:cacheprovider $(CONSOLE_BROWSER_TESTS)

## The other environments the lanes use (3.12 when the machine has it, the SAM CLI), installed with the
## rest before the lanes start instead of inside the second one. The SAM CLI's is installed by .venv's uv:
## a prerequisite here (not in a sub-make), so that the one .venv install is shared with deps.
.PHONY: test-envs test-env-312
test-envs: sam-venv test-env-312
test-env-312:
	@$(if $(PY312),$(MAKE) --no-print-directory $(STAMP312) PY312=$(PY312),true)

## The unit suite on the Lambda runtime's Python (3.12), in its own venv from the same lock file.
# pyenv's shim answers "command not found" unless 3.12 is selected, so ask for a python3.12 that runs.
PY312 ?= $(shell for p in $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12.*/bin/python3.12 2>/dev/null) \
  $$(command -v python3.12); do "$$p" -V >/dev/null 2>&1 && { echo "$$p"; break; }; done)
VENV312 := .venv-3.12
STAMP312 := $(VENV312)/.deps-installed
$(STAMP312): requirements-dev.lock
	$(PY312) -m venv --clear $(VENV312)
	$(VENV312)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@touch $@

.PHONY: test-py312
test-py312:
	@if [ -z "$(PY312)" ]; then \
	  if [ -n "$$REQUIRE_PY312" ]; then echo "error: python3.12 (the Lambda runtime) not found"; exit 1; fi; \
	  echo "note: python3.12 not found: the unit suite ran on $$($(PY) -V) only"; exit 0; fi
	@$(MAKE) --no-print-directory $(STAMP312) PY312=$(PY312)
	$(VENV312)/bin/python -m pytest -q -p no:cacheprovider tests/unit -n 2

test-unit: deps
	$(PY) -m pytest -q tests/unit

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy shared functions leadrouter_local tests bench

cfn-lint: $(STAMP)
	$(VENV)/bin/cfn-lint template.yaml

check: lint typecheck cfn-lint sam-validate

## The SAM CLI (pinned, requirements-sam.txt) in its own .venv-sam: it pins its own boto3. No AWS account
## needed for `sam validate --lint` (region from samconfig.toml; no credentials, no network to AWS).
## Installed by the dev venv's uv: pip's hash-checking mode refuses the SAM CLI's dependency on
## boto3-stubs[…] ("all requirements must have their versions pinned with ==") although the lock pins it.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.deps-installed
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
$(SAM_STAMP): requirements-sam.txt $(STAMP)
	$(PYTHON) -m venv --clear $(SAM_VENV)
	$(VENV)/bin/uv pip install --quiet --python $(SAM_VENV)/bin/python --require-hashes -r requirements-sam.txt
	@touch $@

sam-venv: $(SAM_STAMP)

sam-validate: $(SAM_STAMP)
	$(SAM) validate --lint

## sam build needs the Lambda runtime's python3.12 on PATH: found as for test-py312 (pyenv or PATH).
sam-build: $(SAM_STAMP)
	@if [ -z "$(PY312)" ]; then echo "error: sam build needs python3.12 on PATH (the Lambda runtime): pyenv install 3.12, \
	  or Debian trixie/Ubuntu 24.04: apt-get install python3.12, or sam build --use-container (Docker)"; exit 1; fi
	PATH="$(dir $(PY312)):$$PATH" $(SAM) build

## The console in production, after `sam deploy`: build console/ (from its npm lock) and publish it to the
## stack's bucket behind CloudFront, with a config.json made from the stack's outputs, then invalidate
## index.html and config.json. CONFIG_ENV=prod publishes to samconfig.toml's [prod] stack. AWS credentials
## from the usual places (AWS_PROFILE, environment, SSO).
CONFIG_ENV ?= default
.PHONY: console-deploy
console-deploy: $(STAMP) console
	PYTHONPATH=shared:. $(PY) -m leadrouter_local.console_deploy --config-env $(CONFIG_ENV)

## checkov (static analysis of template.yaml, pinned) in its own environment; not part of `make test`.
## The findings that stay are listed with their reasons in docs/operations.md (## checkov); their check ids
## are CHECKOV_SKIP (tests/unit/test_alarms_template.py keeps the two the same).
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.checkov-$(CHECKOV_VERSION)
CHECKOV_SKIP := CKV_AWS_18,CKV_AWS_21,CKV_AWS_26,CKV_AWS_27,CKV_AWS_68,CKV_AWS_73,CKV_AWS_86,CKV_AWS_115,CKV_AWS_116,CKV_AWS_117,CKV_AWS_119,CKV_AWS_120,CKV_AWS_158,CKV_AWS_173,CKV_AWS_174
$(CHECKOV_STAMP):
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	@touch $@

.PHONY: checkov
checkov: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --skip-download --compact --quiet \
	  --skip-check $(CHECKOV_SKIP)

## DynamoDB Local for `sam local` on a fixed port, tables from the template, demo data seeded (env.local.json).
DDB_PORT ?= 8000
ddb: deps
	@PYTHONPATH=shared:. $(PY) -m leadrouter_local.sam_ddb --port $(DDB_PORT)

## A new tenant and its first admin (Cognito e-mails the invitation), with your AWS credentials: the stack's
## tables and user pool from STACK's outputs, or from CONFIG_TABLE/LEADS_TABLE/USER_POOL_ID (make run's stack).
## make tenant TENANT=an-phat NAME="Công ty An Phát" ADMIN_EMAIL=lan@anphat.vn [TIME_ZONE=…] [STACK=leadrouter-dev]
.PHONY: tenant
TIME_ZONE ?= Asia/Ho_Chi_Minh
tenant: $(STAMP)
	@test -n "$(TENANT)" -a -n "$(NAME)" -a -n "$(ADMIN_EMAIL)" || { echo 'usage: make tenant TENANT=id NAME="…" ADMIN_EMAIL=a@b.vn [TIME_ZONE=…] [STACK=…]'; exit 2; }
	PYTHONPATH=shared:. $(PY) -m leadrouter_local.tenant create --tenant-id "$(TENANT)" --name "$(NAME)" \
	  --time-zone "$(TIME_ZONE)" --admin-email "$(ADMIN_EMAIL)" $(if $(STACK),--stack "$(STACK)")

## Regenerate docs/openapi.json from the API's routes and models (tests/unit/test_openapi.py fails while it is stale).
.PHONY: openapi
openapi: $(STAMP)
	$(PY) -m leadrouter_local.openapi
	@if [ -f $(CONSOLE_STAMP) ]; then cd console && npm run --silent api; fi

## Regenerate docs/events/*.schema.json from the event models (tests/unit/test_event_schemas.py fails while one is stale).
.PHONY: event-schemas
event-schemas: $(STAMP)
	@PYTHONPATH=shared:. $(PY) -m leadrouter_local.event_schemas

## The hashed locks, compiled by uv (from the dev lock itself) from pyproject.toml's pins, the one source:
## requirements-dev.lock (the dev extra, for every platform and Python 3.11+: .venv, .venv-3.12),
## shared/requirements.txt (the runtime dependencies as sam build installs them for the layer, python3.12
## arm64, held to the dev lock's versions: the layer runs the botocore the tests ran) and
## requirements-sam.txt (the SAM CLI, pyproject's `sam` group). A lock's existing versions are kept unless
## a pin moves them, and releases after LOCK_EXCLUDE_NEWER are not seen: `make lock` twice writes the same
## files. Raise LOCK_EXCLUDE_NEWER when a pin needs a newer release. They are compiled in a copy
## (LOCK_DIR) and only a changed lock is written back, so an unchanged one does not reinstall the venvs.
LOCK_EXCLUDE_NEWER := 2026-12-07T00:00:00Z
LOCK_FILES := requirements-dev.lock shared/requirements.txt requirements-sam.txt
LOCK_DIR := $(VENV)/locks
UV_COMPILE := cd $(LOCK_DIR) && $(abspath $(VENV))/bin/uv pip compile --quiet --generate-hashes \
  --exclude-newer $(LOCK_EXCLUDE_NEWER) --custom-compile-command 'make lock'

.PHONY: lock-compile lock-check
lock-compile: $(STAMP)
	@rm -rf $(LOCK_DIR) && mkdir -p $(LOCK_DIR)/shared
	@for f in pyproject.toml $(LOCK_FILES); do cp $$f $(LOCK_DIR)/$$f; done
	$(UV_COMPILE) pyproject.toml --extra dev --universal --python-version 3.11 -o requirements-dev.lock
	$(UV_COMPILE) pyproject.toml --python-version 3.12 --python-platform aarch64-manylinux_2_34 \
	  -c requirements-dev.lock -o shared/requirements.txt
	$(UV_COMPILE) --group pyproject.toml:sam --universal --python-version 3.11 -o requirements-sam.txt

lock: lock-compile
	@for f in $(LOCK_FILES); do cmp -s $$f $(LOCK_DIR)/$$f && echo "$$f: unchanged" || \
	  { cp $(LOCK_DIR)/$$f $$f && echo "$$f: written"; }; done

## Fails when a lock is stale against pyproject.toml (compiled again, it would differ). It asks PyPI, as
## make test's installs do: a few seconds with uv's cache.
lock-check: lock-compile
	@for f in $(LOCK_FILES); do diff -u $$f $(LOCK_DIR)/$$f >&2 || \
	  { echo "error: $$f is stale against pyproject.toml: run make lock" >&2; exit 1; }; done
	@echo "lock-check: $(LOCK_FILES) match pyproject.toml"

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) node_modules console/node_modules console/dist .pytest_cache .mypy_cache .ruff_cache .hypothesis .aws-sam

## The whole service locally: DynamoDB Local (data kept in .local/), the API on :$(PORT), schedules.
PORT ?= 3000
run: deps console
	@PYTHONPATH=shared:. $(PY) -m leadrouter_local.runner --port $(PORT)

## A guided demo on a fresh in-memory stack; exits non-zero if anything is off.
demo: deps
	@PYTHONPATH=shared:. $(PY) -m leadrouter_local.demo

## Every benchmark at full size (bench/dispatch_bench.py alone takes ~6 min on 2 cores; --quick smoke-runs it).
bench: deps
	@PYTHONPATH=shared:. $(PY) bench/cold_start.py
	@PYTHONPATH=shared:. $(PY) bench/rotation_bench.py
	@PYTHONPATH=shared:. $(PY) bench/sweep_bench.py
	@PYTHONPATH=shared:. $(PY) bench/write_cost.py
	@PYTHONPATH=shared:. $(PY) bench/lead_cost.py
	@PYTHONPATH=shared:. $(PY) bench/intake_cost.py
	@PYTHONPATH=shared:. $(PY) bench/source_cost.py
	@PYTHONPATH=shared:. $(PY) bench/import_rate.py
	@PYTHONPATH=shared:. $(PY) bench/intake_latency.py
	@PYTHONPATH=shared:. $(PY) bench/tenant_burst.py
	@PYTHONPATH=shared:. $(PY) bench/event_latency.py
	@PYTHONPATH=shared:. $(PY) bench/cost_per_million.py
	@PYTHONPATH=shared:. $(PY) bench/idle_rules.py
	@PYTHONPATH=shared:. $(PY) bench/dispatch_bench.py
