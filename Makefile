# medlib: two commands do all set-up on a fresh machine.
#   make reproduce   run notebooks 01-06 headless (PROFILE=smoke|quick|extended|full, default quick;
#                    DATA=folder runs notebooks 01-02 on your own folder of classes, and
#                    DATA_TARGET=folder notebook 03 on the pair)
#   make test        unit tests + notebooks under nbval (smoke defaults; SLOW=1, or CI=true, adds the slow end-to-end tests)
# Both create the Python environment (.venv) first if it is missing or stale.

PYTHON  ?= python3
VENV    ?= .venv
PROFILE ?= quick
# TF=cpu installs tensorflow-cpu; TF=gpu installs tensorflow[and-cuda]
TF      ?= cpu
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-$(TF)
# tcmalloc or jemalloc preloaded where installed (about 2x faster training on CPU, the same numbers:
# scripts/allocator.sh says why); MEDLIB_ALLOCATOR=glibc turns it off
ALLOC   := . scripts/allocator.sh;

.PHONY: help env data reproduce run test lab clean
help:
	@sed -n 's/^#   //p' Makefile

env: $(STAMP)
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[$(TF),dev,dicom,jax]'
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (medlib)" >/dev/null
	rm -f $(VENV)/.installed-*
	touch $@

data: env                  ## where every dataset was looked for, and the inventory (DOWNLOAD=1 fetches direct ones)
	$(PY) -m medlib data $(if $(DOWNLOAD),--download)

reproduce: env             ## execute the notebooks with papermill into build/$(PROFILE)
	$(ALLOC) $(PY) -m medlib reproduce --profile $(PROFILE) $(if $(DATA),--data $(DATA)) $(if $(DATA_TARGET),--data-target $(DATA_TARGET))

run: env                   ## fold jobs of a profile without notebooks (SHARD=i/n for one part of them)
	$(ALLOC) $(PY) -m medlib run --profile $(PROFILE) $(if $(SHARD),--shard $(SHARD))

test: env                  ## pytest + nbval (notebooks re-run with their smoke defaults)
	$(ALLOC) $(PY) -m pytest -q $(if $(or $(SLOW),$(CI)),,-m "not slow") tests
	$(ALLOC) $(PY) -m pytest -q --nbval-lax -p no:cacheprovider notebooks

lab: env                   ## JupyterLab on the notebooks
	$(ALLOC) $(VENV)/bin/jupyter lab notebooks

clean:                     ## remove build outputs and caches (keeps the venv and data)
	rm -rf build data/cache .pytest_cache
