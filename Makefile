# The README's two promises: `make run` and `make test`, from nothing but python3, make and apt.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000

.PHONY: run test setup system-deps worker migrate clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	touch $(STAMP)

run: setup
	PORT=$(PORT) bash scripts/run.sh

test: setup system-deps
	$(PY) -m pytest

system-deps:
	bash scripts/system-deps.sh

# Jupyter on loopback only; the URL it prints (with its token) opens notebooks/analytics.ipynb.
# The kernel runs in notebooks/ with the repository on PYTHONPATH and reads the database `make run`
# uses: MONGODB_URI, else var/local.env, else mongodb://127.0.0.1:27017/maniva.
# JUPYTER_PREFER_ENV_PATH: this venv's kernel, not one a user-wide Jupyter config names python3.
# Jupyter refuses root without --allow-root; these machines (and CI) work as root. Its checkpoints
# (copies it saves on opening a notebook) go to the git-ignored var/, not beside the notebook.
NOTEBOOK_PORT ?= 8888
.PHONY: notebook
notebook: setup
	PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" JUPYTER_PREFER_ENV_PATH=1 $(VENV)/bin/jupyter notebook \
	  --ip=127.0.0.1 --port=$(NOTEBOOK_PORT) --no-browser $(if $(filter 0,$(shell id -u)),--allow-root) \
	  --ServerApp.root_dir="$(CURDIR)" --JupyterNotebookApp.default_url=/notebooks/notebooks/analytics.ipynb \
	  --FileCheckpoints.checkpoint_dir="$(CURDIR)/var/notebook-checkpoints"

clean:
	rm -rf $(VENV) var/staticfiles node_modules
