# Two commands set everything up on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PEOPLE ?= 100000

export DAGSTER_HOME ?= $(CURDIR)/.dagster

.PHONY: install run test ui docs dashboard bench bench-rules clean distclean

# Re-install only when the dependency list changes; the project itself is installed editable.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Loyalist needs Python >= 3.11; run: make PYTHON=python3.11 ..."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/loyalist run

test: install
	$(BIN)/python -m pytest

ui: install
	@mkdir -p $(DAGSTER_HOME)
	$(BIN)/loyalist parse
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dagster dev -m orchestration.definitions

# the marketers' dashboard on the serving marts' snapshot (http://localhost:8501); runs the pipeline first if there is none
dashboard: install
	@$(BIN)/python -c 'from orchestration import settings; raise SystemExit(not settings.snapshot_path().exists())' \
	  || $(BIN)/loyalist run
	$(BIN)/python -m streamlit run dashboard/app.py --server.headless true --server.port $(or $(PORT),8501) \
	  --browser.gatherUsageStats false

# dbt docs of the warehouse `make run` built: generated, checked for undescribed columns, served on :8080
docs: install
	$(BIN)/loyalist docs --serve --port $(or $(PORT),8080)

bench: install
	$(BIN)/loyalist bench --people $(PEOPLE)
	$(BIN)/python benchmarks/rules_vs_mlxtend.py

# our rule miner vs mlxtend on Online Retail, same baskets in memory to the same rules table
bench-rules: install
	$(BIN)/python benchmarks/rules_vs_mlxtend.py

clean:
	rm -rf warehouse .dagster dbt_project/target dbt_project/logs

distclean: clean
	rm -rf $(VENV)
