# Two commands for a newcomer: `make demo` and `make test` (both run `make setup`).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONTRIB := opencv-contrib-python==5.0.0.93
DEMO_WS := vot_workspace

.PHONY: setup demo test bench clean

setup: $(STAMP)

# Re-installs only when requirements.txt changes.
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	# Both opencv wheels own cv2/; the one installed last wins. Contrib last gives CSRT.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall $(CONTRIB)
	touch $(STAMP)

demo: setup
	@start=$$(date +%s); \
	rm -rf $(DEMO_WS)/sequences $(DEMO_WS)/results $(DEMO_WS)/analysis $(DEMO_WS)/cache; \
	$(PY) -m tracker.data.synthetic --out $(DEMO_WS)/sequences --sequences 3 --frames 150 --seed 7 && \
	$(PY) -m tracker.toolkit --workspace $(DEMO_WS) && \
	echo "demo finished in $$(( $$(date +%s) - start )) s"

test: setup
	$(PY) -m pytest -q tests

# Slow measurements (not in CI): timings, then all trackers through the toolkit.
bench: setup
	PYTHONPATH=. $(PY) bench/run.py

clean:
	rm -rf $(DEMO_WS)/sequences $(DEMO_WS)/results $(DEMO_WS)/analysis $(DEMO_WS)/reports $(DEMO_WS)/logs $(DEMO_WS)/cache bench/work
