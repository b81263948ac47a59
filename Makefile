# Two commands do all the set-up (see README): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements/constraints.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint format install serve demo bench clean messages

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c requirements/constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

demo: $(STAMP)
	@mkdir -p var
	@DEBUG=1 $(BIN)/python manage.py migrate --noinput -v 0
	@DEBUG=1 SDM_BASE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py load_demo

# Quiet set-up first; what a person needs (a patient link and code, the URLs and the demo
# accounts) is printed last, just before the server's own two lines.
run: $(STAMP)
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

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_weighing.py
	$(BIN)/python benchmarks/bench_summary.py

clean:
	rm -rf $(VENV) var/staticfiles
