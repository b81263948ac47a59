# Two commands do all the set-up (see README): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Two installs: `make run` needs only the runtime packages (about half the size, and half the
# cold start); tests, benchmarks and the load test need the dev extras too. The stamps carry
# a checksum of the requirements, so a changed pyproject.toml reinstalls.
REQUIREMENTS_SUM := $(shell cat pyproject.toml requirements/constraints.txt | cksum | cut -d' ' -f1)
RUNTIME_STAMP := $(VENV)/.installed-runtime-$(REQUIREMENTS_SUM)
STAMP := $(VENV)/.installed-dev-$(REQUIREMENTS_SUM)
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint format install serve demo bench load clean messages

$(RUNTIME_STAMP):
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -c requirements/constraints.txt -e .
	rm -f $(VENV)/.installed-runtime-*
	touch $@

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -c requirements/constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@ $(RUNTIME_STAMP)

install: $(STAMP)

demo: $(RUNTIME_STAMP)
	@mkdir -p var
	@DEBUG=1 $(BIN)/python manage.py migrate --noinput -v 0
	@DEBUG=1 SDM_BASE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py load_demo

# Quiet set-up first; what a person needs (a patient link and code, the URLs and the demo
# accounts) is printed last, just before the server's own two lines.
run: $(RUNTIME_STAMP)
	@mkdir -p var
	@DEBUG=1 $(BIN)/python manage.py migrate --noinput -v 0
	@loaded=$$(DEBUG=1 SDM_BASE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py load_demo) \
		|| exit 1; \
	echo; \
	echo "A demo patient invitation for the Demo clinic team (link, or the code at /code/):"; \
	DEBUG=1 $(BIN)/python manage.py create_invitation --questionnaire treatment-discussion \
		--disease psoriasis --ref DEMO-$$(date +%H%M%S) --team "Demo clinic" \
		--base-url http://$(HOST):$(PORT) | tail -n 2 | sed 's/^/  /'; \
	echo "$$loaded" | sed -n '/^$$/,$$p'; \
	echo "Home (patients enter their code, staff sign in): http://$(HOST):$(PORT)/"; \
	echo
	@DEBUG=1 SDM_BASE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py runserver \
		--noreload --skip-checks $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=sdm.settings_test
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv

# Benchmarks (docs/performance.md): ratios to floors measured in the same run, written to
# var/bench.json with one line per aim. BENCH_DATABASE_URL=postgres://.../sdm_bench runs them
# on PostgreSQL (that database is dropped and re-created); BENCH_LARGE=1 seeds the dashboard
# to 100,000 rows (slow); BENCH_COLDSTART=1 times `make run` in a fresh clone.
BENCH_DATABASE_URL ?=
BENCH_LARGE ?=
BENCH_COLDSTART ?=
BENCH_DB_ARG := $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL))
bench: $(STAMP)
	rm -rf var/bench-parts
	$(BIN)/python benchmarks/bench_weighing.py
	$(BIN)/python benchmarks/bench_summary.py $(BENCH_DB_ARG)
	$(BIN)/python benchmarks/bench_wizard.py $(BENCH_DB_ARG)
	$(BIN)/python benchmarks/bench_dashboard.py $(BENCH_DB_ARG) $(if $(BENCH_LARGE),--large)
	$(if $(BENCH_COLDSTART),$(BIN)/python benchmarks/bench_coldstart.py)
	$(BIN)/python benchmarks/bench_report.py

# The load test (docs/performance.md): gunicorn with the production settings on the local
# PostgreSQL (database $(LOAD_DB), dropped and re-created) and Redis; N simulated patients,
# one loopback address each and then all from one; LOAD_SERVERS=2 adds a second gunicorn
# and two db_worker processes. Writes var/load.json.
LOAD_N ?= 50
LOAD_SERVERS ?= 1
LOAD_DB ?= sdm_load
LOAD_REDIS ?= redis://127.0.0.1:6379/4
LOAD_ARGS ?=
load: $(STAMP)
	$(BIN)/python benchmarks/load.py --patients $(LOAD_N) --servers $(LOAD_SERVERS) \
		--database $(LOAD_DB) --redis-url $(LOAD_REDIS) $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var/staticfiles
