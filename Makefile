# Two commands do everything on a fresh machine: `make demo` and `make test`.
VENV   ?= .venv
PYTHON := "$(VENV)/bin/python"
OUT    ?= demo_output

.PHONY: demo test bench lint setup clean

setup:
	@bash scripts/bootstrap.sh "$(VENV)" dev

demo: setup
	$(PYTHON) -m nn.demo --out "$(OUT)"

test: setup
	$(PYTHON) -m pytest tests notebooks --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg -q -p no:cacheprovider

bench: setup
	@bash scripts/bootstrap.sh "$(VENV)" bench
	$(PYTHON) -m benchmarks

lint: setup
	$(PYTHON) -m ruff check autodiff nn tests benchmarks

clean:
	rm -rf "$(VENV)" "$(OUT)" .pytest_cache .hypothesis build *.egg-info
