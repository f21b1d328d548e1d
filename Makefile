# Two commands for a newcomer: `make demo` and `make test` (both run `make setup`).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONTRIB := opencv-contrib-python==5.0.0.93
DEMO_WS := vot_workspace

.PHONY: setup demo test bench weights clean

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
	$(PY) -m bench.run

# Shipped weights: a generated training corpus (seeds disjoint from demo/bench/tests; --reuse keeps it while the
# generator is unchanged), then offline training from scratch of the full CMI (models/cmi.pth) and, same recipe,
# of each ablation's interaction mode (models/README.md).
CORPUS := bench/work/corpus
WEIGHTS := both:cmi pixel:cmi-pixel relation:cmi-relation none:cmi-concat
weights: setup
	$(PY) -m tracker.data.synthetic --out $(CORPUS) --sequences 200 --frames 80 --seed 500 --reuse
	for pair in $(WEIGHTS); do mode=$${pair%%:*}; name=$${pair#*:}; rm -rf bench/work/train-$$name; \
	  $(PY) -m tracker.train --config models/cmi-train.yaml --data vot:$(CORPUS) --out bench/work/train-$$name \
	    model.cmi_mode=$$mode && cp bench/work/train-$$name/cmi.pth models/$$name.pth || exit 1; done

clean:
	rm -rf $(DEMO_WS)/sequences $(DEMO_WS)/results $(DEMO_WS)/analysis $(DEMO_WS)/reports $(DEMO_WS)/logs $(DEMO_WS)/cache bench/work
