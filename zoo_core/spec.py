"""The model.yaml specification: strict, typed and versioned.

Every model a plugin registers is described by one model.yaml validated against :class:`ModelSpec`.
Unknown keys and wrong types are errors that name the file and the key (Kipoi silently dropped
them). The JSON Schema shipped in ``templates/model.schema.json`` is generated from these classes
(``python -m zoo_core.spec > templates/model.schema.json``), so the two cannot drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zoo_core.errors import ModelSpecError

SPEC_VERSION = 1
MODEL_ID = r"^[a-z0-9][a-z0-9._-]*$"
SHA256 = r"^[0-9a-f]{64}$"
GIT_SHA = r"^[0-9a-f]{40}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Author(_Strict):
    name: str = Field(description="Full name of an author of the model or the paper.")
    email: str | None = Field(None, description="Contact address, optional.")


class Citation(_Strict):
    text: str = Field(description="Human-readable reference: authors, title, journal, year.")
    doi: str = Field(pattern=r"^10\.\d{4,9}/\S+$", description="DOI of the paper, e.g. 10.1016/j.celrep.2018.03.102.")


class Anchor(_Strict):
    name: str = Field(description="What the anchor is, e.g. 'TSS'.")
    index: int = Field(ge=0, description="0-based index of the anchor inside the window, on the input's strand.")


class InputSpec(_Strict):
    name: str = Field(description="Input name; the key the model's predict_on_batch receives.")
    kind: Literal["dna", "rna", "protein", "numeric"] = Field(description="Alphabet / type of the input.")
    length: int | None = Field(
        None, ge=1, description="Required length (letters, or values for numeric); null = variable length."
    )
    anchor: Anchor | None = Field(None, description="For fixed windows: where the reference point lies.")
    encoding: Literal["one-hot-acgt", "tokens", "float32"] = Field(
        description="How the input is encoded: 'one-hot-acgt' = (L, 4) float32 in A,C,G,T order, "
        "N and other IUPAC codes all-zero (kipoiseq convention)."
    )
    optional: bool = Field(False, description="Whether the user may omit it; numeric inputs then default to zeros.")
    doc: str = Field(description="What the user must supply, in one or two sentences.")

    @model_validator(mode="after")
    def _anchor_inside(self) -> InputSpec:
        if self.anchor is not None and (self.length is None or self.anchor.index >= self.length):
            raise ValueError("anchor.index must lie inside a fixed length")
        return self


class OutputSpec(_Strict):
    name: str = Field(
        pattern=r"^[A-Za-z_][\w.:-]*(\{\w+\}[\w.:-]*)?$",
        description="Output column name. A '{placeholder}' declares a family of columns whose names a run decides, "
        "e.g. 'pred_log2_protein:{sample}' for one column per sample of a user's table.")
    dtype: Literal["float", "int", "bool", "str"] = Field("float", description="Type of each value.")
    shape: list[Annotated[int, Field(ge=1)]] = Field(
        default_factory=list,
        description="Shape of each record's value: [] (default) a scalar, [206] a vector. Vectors go to Parquet and "
        "HDF5 as arrays and to TSV/CSV as columns name.0, name.1, ...")
    optional: bool = Field(False, description="Present only when an option asks for it (e.g. a decoded sequence).")
    unit: str = Field(description="Unit or scale of the value, e.g. 'log10(median RPKM + 0.1), z-scored'.")
    doc: str = Field(description="What the value means.")

    @property
    def numeric_scalar(self) -> bool:
        """Whether it is one number per record: what predict_on_batch returns and attributions explain."""
        return self.dtype in ("float", "int") and not self.shape and "{" not in self.name

    @model_validator(mode="after")
    def _families_are_optional_scalars(self) -> OutputSpec:
        if "{" in self.name and (self.shape or not self.optional):
            raise ValueError("a '{placeholder}' output is a family of optional scalar columns: set optional: true")
        return self

    def matches(self, column: str) -> bool:
        """Whether ``column`` is this output, or a member of its '{placeholder}' family."""
        if "{" not in self.name:
            return column == self.name
        head, _, rest = self.name.partition("{")
        tail = rest.partition("}")[2]
        return column.startswith(head) and column.endswith(tail) and len(column) > len(head) + len(tail)


ScoreFunction = Literal["ref", "alt", "diff", "log2fc", "logit_diff"]


class VariantScoreSpec(OutputSpec):
    output: str | None = Field(
        None,
        description="The allele value the score compares: a numeric output, or a value the model's allele_values "
        "returns (e.g. 'mrl_shift1'). Its ref and alt values fill ref_value and alt_value in `zoo vep` tables.")
    function: ScoreFunction | None = Field(
        None,
        description="How the core computes the score from the output's ref and alt values, with no plugin code: "
        "ref, alt, diff (alt - ref), log2fc (log2(alt / ref), for positive outputs) or logit_diff "
        "(logit(alt) - logit(ref), for probabilities). Empty: the model's compare_alleles returns it.")

    @model_validator(mode="after")
    def _function_needs_output(self) -> VariantScoreSpec:
        if self.function is not None and self.output is None:
            raise ValueError("a score with a function names the output it applies to (output: ...)")
        return self


VepAnchor = Literal["window", "utr5", "transcript", "coding_transcript"]


class VepSpec(_Strict):
    anchor: VepAnchor = Field(
        description="How `zoo vep` builds this model's input around a variant from a genome and an annotation: "
        "'window' = the first sequence input's fixed length placed with its anchor index on the 5' end of each "
        "BED interval or GTF/GFF3 transcript (a TSS, a PAS hexamer); 'utr5' = the spliced 5'UTR of each coding "
        "transcript; 'transcript' = each spliced transcript, coding ones marked cds=START-END in the record "
        "description; 'coding_transcript' = the same, coding transcripts only.")
    doc: str | None = Field(None, description="What the annotation should hold for this model, e.g. 'PAS hexamers'.")


class DataloaderSpec(_Strict):
    name: str = Field(description="A dataloader registered through the `register_dataloaders` hook.")
    args: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments passed to the dataloader.")


class WeightsFile(_Strict):
    name: str = Field(description="File name inside the hub repository, e.g. model.safetensors.")
    sha256: str = Field(pattern=SHA256, description="Lower-case hex sha256; a file that differs is refused.")

    @field_validator("name")
    @classmethod
    def _safetensors_only(cls, v: str) -> str:
        if not v.endswith((".safetensors", ".json")):
            raise ValueError("weights must be .safetensors (plus optional .json config); pickles are never loaded")
        return v


class WeightsSpec(_Strict):
    repo_id: str = Field(pattern=r"^[\w.-]+/[\w.-]+$", description="Hugging Face repository, 'owner/name'.")
    revision: str | None = Field(
        None, pattern=GIT_SHA,
        description="40-hex commit of that repository, never a branch name; null until the model is published with "
        "`zoo publish`, which writes it.")
    framework: Literal["tensorflow", "torch", "numpy"] = Field(description="Framework the weights are loaded into.")
    files: list[WeightsFile] = Field(min_length=1, description="Files to fetch, each with its sha256.")


class ExplainSpec(_Strict):
    methods: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]] = Field(
        default_factory=lambda: ["ism"],
        description="Attribution methods the model supports: the core's ism, grad and ig, or any a plugin registers "
        "through the register_explainers hook.")
    baseline: list[float] | None = Field(
        None, min_length=4, max_length=4,
        description="Per-letter baseline (A,C,G,T) for integrated gradients; default all zeros.",
    )
    target: str | None = Field(None, description="Output explained; default the first numeric output.")


class TestSpec(_Strict):
    __test__ = False  # not a pytest class
    inputs: list[str] = Field(min_length=1, description="Example input files, relative to the model.yaml folder.")
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Options of the run, e.g. {genome: chr22.fa}; path options are relative to the model.yaml folder.")
    expected: str = Field(description="TSV of expected outputs (id + output columns), relative path.")
    tolerance: float = Field(1e-5, ge=0, description="Maximum absolute difference allowed per value.")


class Metric(_Strict):
    name: str = Field(description="Metric, e.g. 'r2 (Pearson squared)'.")
    value: float = Field(description="The figure.")
    source: Literal["paper", "measured"] = Field(description="Reported by the paper, or measured by this project.")
    data: str = Field(description="Data set it was computed on.")
    split: str = Field(description="Which split, e.g. 'held-out test, 1,000 genes'.")
    note: str | None = Field(None, description="Why it differs from the paper's measurement, if it does.")


class ModelSpec(_Strict):
    spec_version: Literal[1] = Field(description="Version of this schema; bump on incompatible change.")
    name: str = Field(pattern=MODEL_ID, description="Model id used on the command line, e.g. xpresso-human-median.")
    aliases: list[Annotated[str, Field(pattern=MODEL_ID)]] = Field(
        default_factory=list,
        description="Other ids that resolve to this model, e.g. the family name 'bioseq2seq' for its shipped variant.")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$", description="Semantic version of the packaged model.")
    description: str = Field(description="One paragraph: what it predicts from what.")
    authors: list[Author] = Field(min_length=1, description="Authors of the model (usually the paper's).")
    citation: Citation = Field(description="The paper to cite when using the model.")
    license: str = Field(description="SPDX id of the weights' license, e.g. MIT.")
    organism: str = Field(description="Organism the model was trained on, e.g. 'Homo sapiens'.")
    task: str = Field(description="Short task name, e.g. 'promoter -> mRNA level'.")
    inputs: list[InputSpec] = Field(min_length=1, description="What the model reads; FASTA/BED feed the first sequence input.")
    outputs: list[OutputSpec] = Field(
        min_length=1, description="Output columns. The numeric scalar ones, in this order, are what predict_on_batch returns.")
    variant_scores: list[VariantScoreSpec] = Field(
        default_factory=list,
        description="What scoring a ref/alt sequence pair returns (zoo vep), declared like outputs. Empty: for each "
        "numeric output o, ref_o, alt_o and delta_o = alt - ref.")
    vep: VepSpec | None = Field(None, description="How `zoo vep` turns a VCF into this model's inputs (its anchor); "
                                                  "without it the model scores sequence pairs only (--pairs).")
    dataloader: DataloaderSpec = Field(description="How input files become model-ready batches.")
    weights: WeightsSpec = Field(description="Where the weights are published and their digests.")
    explain: ExplainSpec = Field(default_factory=ExplainSpec, description="Supported attribution methods and baseline.")
    test: TestSpec = Field(description="Example inputs and expected outputs that `zoo test` checks.")
    metrics: list[Metric] = Field(default_factory=list, description="Reported and measured performance.")

    @property
    def sequence_input(self) -> InputSpec:
        """The first non-numeric input: what FASTA records are read into."""
        return next(i for i in self.inputs if i.kind != "numeric")

    @property
    def sequence_inputs(self) -> list[InputSpec]:
        """Every one-hot sequence input (e.g. a transcript's 5'UTR, CDS and 3'UTR), in order."""
        return [i for i in self.inputs if i.kind != "numeric" and i.encoding == "one-hot-acgt"]

    @property
    def pair_scores(self) -> list[VariantScoreSpec]:
        """``variant_scores``, or the default ref_o, alt_o, delta_o (alt - ref) for each numeric output o."""
        if self.variant_scores:
            return list(self.variant_scores)
        out = []
        for o in self.numeric_outputs:
            out += [VariantScoreSpec(name=f"ref_{o.name}", unit=o.unit, doc=f"{o.name} of the reference sequence.",
                                     output=o.name, function="ref"),
                    VariantScoreSpec(name=f"alt_{o.name}", unit=o.unit, doc=f"{o.name} of the alternative sequence.",
                                     output=o.name, function="alt"),
                    VariantScoreSpec(name=f"delta_{o.name}", unit=o.unit, doc=f"alt - ref of {o.name}.",
                                     output=o.name, function="diff")]
        return out

    @property
    def numeric_outputs(self) -> list[OutputSpec]:
        """The outputs that are one number per record, in model.yaml order."""
        return [o for o in self.outputs if o.numeric_scalar]

    @model_validator(mode="after")
    def _one_sequence_input(self) -> ModelSpec:
        if not any(i.kind != "numeric" for i in self.inputs):
            raise ValueError("at least one input must be a sequence (dna, rna or protein)")
        names = [o.name for o in self.outputs]
        if len(set(names)) != len(names):
            raise ValueError("output names must be unique")
        if not self.numeric_outputs:
            raise ValueError("at least one output must be a numeric scalar (what attributions explain)")
        scores = [s.name for s in self.variant_scores]
        if len(set(scores)) != len(scores):
            raise ValueError("variant_scores names must be unique")
        if self.vep is not None and self.vep.anchor == "window":
            seq = self.sequence_input
            if seq.length is None or seq.anchor is None:
                raise ValueError("vep.anchor 'window' needs a fixed-length first sequence input with an anchor")
        target = self.explain.target
        if target is not None and target not in [o.name for o in self.numeric_outputs]:
            raise ValueError(f"explain.target {target!r} is not a numeric scalar output")
        return self


def load_spec(path: str | Path) -> ModelSpec:
    """Read and validate a model.yaml.

    Raises
    ------
    ModelSpecError
        If the file is missing, is not YAML, or any key is unknown, missing or of the wrong type;
        the message names the file, the key path and the reason.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ModelSpecError(path, "<file>", "no such file") from None
    except yaml.YAMLError as e:
        raise ModelSpecError(path, "<yaml>", str(e).replace("\n", " ")) from None
    if not isinstance(data, dict):
        raise ModelSpecError(path, "<root>", "expected a mapping of keys")
    try:
        return ModelSpec.model_validate(data)
    except ValidationError as e:
        # a misspelled key usually explains the "missing" errors too, so name it first
        err = sorted(e.errors(), key=lambda x: x["type"] != "extra_forbidden")[0]
        field = ".".join(str(p) for p in err["loc"]) or "<root>"
        reason = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        more = f" (and {len(e.errors()) - 1} more)" if len(e.errors()) > 1 else ""
        raise ModelSpecError(path, field, reason + more) from None


def json_schema() -> dict[str, Any]:
    """JSON Schema of model.yaml, generated from :class:`ModelSpec`."""
    schema = ModelSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"zoo model.yaml (spec_version {SPEC_VERSION})"
    return schema


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2))
