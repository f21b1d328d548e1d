# Two commands for a newcomer: `make demo` and `make test` (both run `make setup`).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONTRIB := opencv-contrib-python==5.0.0.93
DEMO_WS := vot_workspace

.PHONY: setup demo test bench real weights clean

setup: $(STAMP)

# Re-installs only when requirements.txt changes.
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	# Both opencv wheels own cv2/; the one installed last wins. Contrib last gives CSRT.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall $(CONTRIB)
	touch $(STAMP)

# The demo: two 760-frame sequences, one for each modality's blind spot (thermal crossover; night, where RGB is dark
# and noisy), each run from its anchors as in `make bench` (VOT-RGBT2019's multistart: forward from the first half,
# backward from the second). Sequences must outlast the EAO range (115-755 frames): on 150-frame ones EAO ranked
# the trackers that fail above those that do not (README, pitfalls). Four trackers, 1898 tracked frames each; it
# ends with a contact sheet of the CMI run (tracker.show).
DEMO_TRACKERS := CMI CMI-offline CSRT-RGB NCC-RGBT
DEMO_SEQS := 00-crossover-scale 00-night-camera_motion
DEMO_GEN := $(PY) -m tracker.data.synthetic --out $(DEMO_WS)/sequences --sequences 1 --frames 760 --anchor-spacing 380

demo: setup
	@start=$$(date +%s); \
	rm -rf $(DEMO_WS)/sequences $(DEMO_WS)/results $(DEMO_WS)/analysis $(DEMO_WS)/cache $(DEMO_WS)/show; \
	$(DEMO_GEN) --kinds crossover,scale --seed 7 && $(DEMO_GEN) --kinds night,camera_motion --seed 8 && \
	printf '%s\n' $(DEMO_SEQS) > $(DEMO_WS)/sequences/list.txt && \
	$(PY) -m tracker.toolkit --workspace $(DEMO_WS) $(DEMO_TRACKERS) && \
	$(PY) -m tracker.show --workspace $(DEMO_WS) --tracker CMI --sequence 00-crossover-scale \
	  --out $(DEMO_WS)/show/CMI-00-crossover-scale.png && \
	echo "demo finished in $$(( $$(date +%s) - start )) s"

test: setup
	$(PY) -m pytest -q --durations=15 tests

# Slow measurements (not in CI): timings, then all trackers through the toolkit.
bench: setup real
	$(PY) -m bench.run

# One-pass runs on real footage (../shared/data/real-rgbt: RGB-T, thermal-only and RGB sequences): CMI at track
# seeds 0-3 and every reference, then mean IoU per kind of sequence (mean +- sd over seeds).
REAL := ../shared/data/real-rgbt
REAL_ENTRIES := $(foreach s,0 1 2 3,CMI-s$(s):threads=1,track.seed=$(s)) CMI-base:threads=1 CMI-offline:threads=1 \
  CSRT-RGB CSRT-TIR NCC-RGBT
real: setup
	$(PY) -m bench.sweep --jobs 2 --out bench/work/real --root $(REAL) $(REAL_ENTRIES)
	$(PY) -m bench.summary --root $(REAL) bench/work/real | tee bench/work/real/summary.md

# Shipped weights: a generated training corpus (seeds disjoint from demo/bench/tests; --reuse keeps it while the
# generator is unchanged) and real registered RGB-T still pairs made into pseudo-sequences (STILLS; never the real
# development sequences), each source half the steps; then offline training from scratch of the full CMI
# (models/cmi.pth) and, same recipe, of each ablation's interaction mode (models/README.md). First the default CMI's
# fixed projections (models/projection.pt) from the same still pairs.
CORPUS := bench/work/corpus
STILLS ?= ../shared/data/real-rgbt-stills
WEIGHTS := both:cmi pixel:cmi-pixel relation:cmi-relation none:cmi-concat
weights: setup
	$(PY) -m tracker.model.projection --stills $(STILLS) --out models/projection.pt
	$(PY) -m tracker.data.synthetic --out $(CORPUS) --sequences 200 --frames 80 --seed 500 --reuse
	for pair in $(WEIGHTS); do mode=$${pair%%:*}; name=$${pair#*:}; rm -rf bench/work/train-$$name; \
	  $(PY) -m tracker.train --config models/cmi-train.yaml --data vot:$(CORPUS) --data stills:$(STILLS) \
	    --out bench/work/train-$$name model.cmi_mode=$$mode && cp bench/work/train-$$name/cmi.pth models/$$name.pth \
	    || exit 1; done

clean:
	rm -rf $(DEMO_WS)/sequences $(DEMO_WS)/results $(DEMO_WS)/analysis $(DEMO_WS)/reports $(DEMO_WS)/logs $(DEMO_WS)/cache $(DEMO_WS)/show bench/work
