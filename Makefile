# Everything a fresh machine needs comes from pyproject.toml: `make demo`, `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo baseline test cluster-test lint format app bench calibrate validate sensitivity clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,app]'
	@touch $(STAMP)

demo: $(STAMP)  ## quick policy comparison (13 arms x 6 seeds, small scale, local cores): figures in outputs/quick_comparison/
	$(PY) experiments/policy_comparison.py --quick

baseline: $(STAMP)  ## one run of the pre-reform baseline at the default scale, headline figures printed
	$(PY) -m sim

app: $(STAMP)  ## the interactive page for students: open http://localhost:8765
	SOLARA_TELEMETRY_MIXPANEL_ENABLE=false $(VENV)/bin/solara run sim/app/page.py --production

test: $(STAMP)  ## the whole test suite (without the cluster tests)
	$(PY) -m pytest -n 2

cluster-test: $(STAMP)  ## the cluster tests on a one-node SLURM cluster and a Ray head, started if not running (root); stop: bash scripts/stop_slurm.sh; bash scripts/stop_ray.sh
	bash scripts/start_slurm.sh
	bash scripts/start_ray.sh
	$(PY) -m pytest -m cluster

bench: $(STAMP)  ## benchmark table (patient-days/s by scale, set-up, peak RSS, reference ratio, sweep speed-up); JSON in benchmarks/results/
	$(PY) -m benchmarks.bench

calibrate: $(STAMP)  ## ABC calibration of the baseline (~70 min on 2 cores): configs/calibration/pre_reform.yaml, docs/calibration.md
	$(PY) experiments/calibrate.py --write-config --write-docs

validate: $(STAMP)  ## literature patterns not used in fitting (~3 min): docs/validation.md
	$(PY) experiments/validate.py --write-docs

sensitivity: $(STAMP)  ## Morris, Sobol, policy-ranking flips (publication setting, ~2 h on 2 cores): docs/sensitivity.md
	$(PY) experiments/sensitivity.py --write-docs

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) outputs .pytest_cache
