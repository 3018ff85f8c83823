# Two commands to start: `make lab` opens the workbench, `make test` runs every test.
# Both install first; installing again is a no-op until pyproject.toml changes.

PYTHON_BOOTSTRAP ?= python3
VENV             := .venv
PY               := $(VENV)/bin/python
STAMP            := $(VENV)/.installed
KERNEL_NAME      := fastapi-workbench
KERNEL_DISPLAY   := FastAPI Workbench (.venv)
KERNELSPEC       := $(VENV)/share/jupyter/kernels/$(KERNEL_NAME)/kernel.json
LAB_OVERRIDES    := $(VENV)/share/jupyter/lab/settings/overrides.json
CHAT_CONFIG      := $(VENV)/etc/jupyter/jupyter_jupyter_ai_persona_manager_config.json

JUPYTER_PORT     ?= 8888
JUPYTER_IP       ?= 127.0.0.1
WORKBENCH_MODE   ?= auto
PYTEST_ARGS      ?=

# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: install lab test lint

# The workbench's own bytecode is compiled here, incrementally: an editable install leaves
# it to the first import, which never caches it where PYTHONDONTWRITEBYTECODE is set (many
# container images), so every kernel and CLI start would compile the package again.
install: $(STAMP) $(KERNELSPEC) $(LAB_OVERRIDES) $(CHAT_CONFIG)
	@$(PY) -m compileall -q agent_kernel

$(PY):
	@echo "Installing into $(VENV) (a few minutes the first time)..."
	@$(PYTHON_BOOTSTRAP) -m venv $(VENV)

# -qq: pip's errors only, so the first screen of `make lab` is the workbench's.
$(STAMP): pyproject.toml | $(PY)
	@$(PY) -m pip install -qq --upgrade pip
	@$(PY) -m pip install -qq -e '.[dev]'
	@touch $(STAMP)

# The kernelspec goes into the venv itself under its own name, so a user-level `python3`
# kernelspec can never make the notebooks run elsewhere; it loads the workbench's kernel
# extensions, so it is written again whenever they change.
$(KERNELSPEC): $(STAMP) agent_kernel/notebook/kernelspec.py agent_kernel/notebook/kernel_exit.py \
		agent_kernel/notebook/kernel_launch.py
	@$(PY) -m agent_kernel.notebook.kernelspec --name $(KERNEL_NAME) --display-name "$(KERNEL_DISPLAY)" >/dev/null

# JupyterLab's defaults for this venv's server only: no news question on first start, which
# would cover the notebook's outputs (a setting in JupyterLab's overrides.json, no patch).
$(LAB_OVERRIDES): agent_kernel/notebook/lab_overrides.json | $(STAMP)
	@mkdir -p $(dir $@)
	@cp $< $@

# The chat's persona picker starts on the workbench's agent: a setting in the config file of
# jupyter-ai-persona-manager's server extension, for this venv's server only.
$(CHAT_CONFIG): agent_kernel/chat/persona_manager_config.json | $(STAMP)
	mkdir -p $(dir $@)
	cp $< $@

# The first screen: the URL of the tour, and whether the session is offline or live
# (agent_kernel/notebook/lab.py); then JupyterLab's warnings only.
lab: install
	@WORKBENCH_MODE=$(WORKBENCH_MODE) $(PY) -m agent_kernel.notebook.lab \
		--ip=$(JUPYTER_IP) --port=$(JUPYTER_PORT) $(ALLOW_ROOT)

test: install
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

.PHONY: notebooks record

# Re-execute the notebooks offline so their committed outputs are current (nbval checks them).
notebooks: install
	$(PY) scripts/refresh_notebooks.py $(NB)

# Re-record one notebook's session live (needs ANTHROPIC_API_KEY): make record NB=01_rest_design
record: install
	@test -n "$(NB)" || { echo "usage: make record NB=01_rest_design"; exit 2; }
	$(PY) scripts/record_session.py $(NB)

.PHONY: docs

# The documentation site (docs/, mkdocs.yml) into site/, strictly: a broken link fails.
docs: install
	$(VENV)/bin/mkdocs build --strict --site-dir site

.PHONY: bench

# Benchmarks: ratios measured side by side in one run, written to benchmarks/RESULTS.md.
bench: install
	$(PY) benchmarks/run.py
