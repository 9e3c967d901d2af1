# The README's two promises: `make run` and `make test`, from nothing but python3, make and apt.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000

.PHONY: run test setup system-deps worker migrate clean

setup: $(STAMP)

$(STAMP): requirements.txt scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	touch $(STAMP)

run: setup
	PORT=$(PORT) bash scripts/run.sh

test: setup system-deps
	$(PY) -m pytest

system-deps:
	bash scripts/system-deps.sh

clean:
	rm -rf $(VENV) var/staticfiles node_modules
