# Duta — the two commands a newcomer needs: `make up` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test install install-convert protos system-deps check format bench reliability soak clean
SOAK_MINUTES ?= 10
HUNSPELL_DEBS := myspell-tl hunspell-mn hunspell-kk hunspell-ru hunspell-uk hunspell-bg \
	hunspell-en-us hunspell-es hunspell-tr aspell-mr hunspell-ne hunspell-hi hunspell-ar aspell-fa

# torch for the `convert` extra (`duta models convert` and its test; never needed to serve):
# the CPU build. Where no CPU wheel is at hand locally, use
# TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu".
TORCH_SPEC ?= torch==2.13.0
CONVERT_STAMP := $(VENV)/.installed-convert

$(STAMP): pyproject.toml setup.py $(wildcard protos/duta/v1/*.proto)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(CONVERT_STAMP): $(STAMP)
	$(BIN)/pip install --quiet $(TORCH_SPEC)
	$(BIN)/pip install --quiet -e ".[dev,convert]"
	touch $(CONVERT_STAMP)

install-convert: $(CONVERT_STAMP) ## add the convert extra (torch CPU + transformers)

install: $(STAMP) ## create the venv, install Duta and its stubs

protos: $(STAMP) ## regenerate the gRPC stubs into services/duta/v1 (gitignored)
	$(BIN)/python -m grpc_tools.protoc -Iprotos \
		-I$$($(BIN)/python -c 'import google.rpc.status_pb2 as s, pathlib; print(pathlib.Path(s.__file__).parents[2])') \
		--python_out=services --pyi_out=services \
		--grpc_python_out=services protos/duta/v1/*.proto
	touch services/duta/v1/__init__.py

up: $(STAMP) ## start Redis (if installed), a worker per model in ./models, the router
	$(BIN)/duta up

system-deps: ## redis-server, docker-compose, hunspell dictionaries (the tests need them), via apt-get as root
	@command -v redis-server >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get install -y -qq redis-server >/dev/null 2>&1 || \
			 (apt-get update -qq && apt-get install -y -qq redis-server)); \
		else echo "redis-server missing: install it (apt-get install redis-server)"; exit 1; fi; }
	@command -v docker-compose >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get install -y -qq docker-compose >/dev/null 2>&1 || \
			 (apt-get update -qq && apt-get install -y -qq docker-compose)); \
		else echo "docker-compose missing: install it (apt-get install docker-compose)"; exit 1; fi; }
	@# Spelling dictionaries language ID reads as known-word evidence (duta/langid/dictionaries.py)
	@[ -f /usr/share/hunspell/mn_MN.dic ] && [ -f /usr/share/aspell/fa-common.cwl.gz ] || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get install -y -qq $(HUNSPELL_DEBS) >/dev/null 2>&1 || \
			 (apt-get update -qq && apt-get install -y -qq $(HUNSPELL_DEBS))); \
		else echo "hunspell dictionaries missing: apt-get install $(HUNSPELL_DEBS)"; exit 1; fi; }

test: $(STAMP) $(CONVERT_STAMP) system-deps ## run the whole test suite (real Redis, real servers, tiny real models)
	$(BIN)/pytest -q

check: $(STAMP) ## lint, format check and type check
	$(BIN)/ruff check services tests bench
	$(BIN)/ruff format --check services tests bench
	$(BIN)/mypy services/duta

format: $(STAMP)
	$(BIN)/ruff format services tests bench
	$(BIN)/ruff check --fix services tests bench

bench: $(STAMP) system-deps ## every benchmark, one report: bench/REPORT.md (+ plots in bench/report/)
	$(BIN)/python bench/report.py --soak-minutes $(SOAK_MINUTES)

reliability: $(STAMP) system-deps ## the cluster as processes under load, with faults and hostile input
	$(BIN)/pytest -q -m reliability tests/reliability

soak: $(STAMP) system-deps ## 10 minutes of mixed traffic; memory and p99 must stay flat
	$(BIN)/python bench/soak.py --minutes $(SOAK_MINUTES)

clean:
	rm -rf $(VENV) services/duta/v1 build *.egg-info .pytest_cache
