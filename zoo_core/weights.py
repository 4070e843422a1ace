"""Find a model's weights: pinned, sha256-verified, cache-aware, offline-capable.

Resolution order for each file listed in model.yaml ``weights.files``:

1. an explicit folder: the ``weights_dir`` argument, or ``ZOO_WEIGHTS_<MODEL_ID>`` in the
   environment (id upper-cased, ``-``/``.`` → ``_``), e.g. ``ZOO_WEIGHTS_XPRESSO_HUMAN_MEDIAN``;
2. the copy bundled inside the installed plugin, next to its model.yaml;
3. the Hugging Face cache (``HF_HOME`` / ``HF_HUB_CACHE``), at the pinned revision;
4. a download with ``huggingface_hub`` at the pinned revision (``HF_ENDPOINT`` honoured), unless
   ``HF_HUB_OFFLINE=1`` or ``local_files_only``.

Steps 3 and 4 need ``weights.revision``, the hub commit that ``zoo publish`` writes into model.yaml; a
model that was never published (revision null) only runs from an explicit folder or its bundled copy.

Every file is sha256-checked wherever it came from; a mismatch raises and nothing corrupt is used.
Only safetensors (and JSON configs) are ever listed, so nothing is unpickled.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from zoo_core.errors import WeightsIntegrityError, WeightsNotFoundError
from zoo_core.spec import ModelSpec


def sha256sum(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(path: Path, expected: str) -> Path:
    """Return ``path`` if its sha256 is ``expected``.

    Raises
    ------
    WeightsIntegrityError
        Naming the file, the expected and the actual digest.
    """
    actual = sha256sum(path)
    if actual != expected:
        raise WeightsIntegrityError(path, expected, actual)
    return path


def override_env_var(model_id: str) -> str:
    """Name of the environment variable that points a model at a weights folder."""
    return "ZOO_WEIGHTS_" + re.sub(r"[^A-Z0-9]", "_", model_id.upper())


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _hub_cache() -> str:
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "huggingface"
    )
    return os.path.join(home, "hub")


def unpublished_error(spec: ModelSpec, filename: str | None = None) -> WeightsNotFoundError:
    """The error for a model whose model.yaml pins no hub revision, saying how to provide its weights."""
    what = f"{filename} is not bundled and the model" if filename else "the model"
    return WeightsNotFoundError(
        f"{spec.name}: {what} is not published on the Hugging Face hub (model.yaml pins no weights.revision), "
        f"so there is nothing to download. Provide the weights with --weights-dir DIR or by setting "
        f"{override_env_var(spec.name)}=DIR (a folder holding {', '.join(f.name for f in spec.weights.files)}), "
        f"or publish the model with `zoo publish {spec.name} --repo-id OWNER/NAME`"
    )


def hub_download(spec: ModelSpec, filename: str, *, local_files_only: bool, pulling: bool = False) -> Path:
    """Fetch one file from the hub cache (or the hub) at the pinned revision, sha256-checked.

    A corrupt download is removed from the cache before raising, so a retry fetches it again. ``pulling``: the
    caller is `zoo pull`, so a failure says why the download failed rather than advising `zoo pull`.

    Raises
    ------
    WeightsNotFoundError
        The model is not published (no revision), not cached and offline, or the repository, revision or
        file does not exist.
    WeightsIntegrityError
        The fetched file's digest differs from model.yaml.
    """
    w = spec.weights
    if w.revision is None:
        # a branch name would let the bytes change under the same model.yaml, so nothing is fetched unpinned
        raise unpublished_error(spec, filename)
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    expected = next(f.sha256 for f in w.files if f.name == filename)
    try:
        path = Path(
            hf_hub_download(
                w.repo_id,
                filename,
                revision=w.revision,
                cache_dir=_hub_cache(),
                endpoint=os.environ.get("HF_ENDPOINT") or None,
                local_files_only=local_files_only or _offline(),
            )
        )
    except LocalEntryNotFoundError:
        hub = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
        off = f"HF_HUB_OFFLINE={os.environ.get('HF_HUB_OFFLINE')}" if _offline() else "local_files_only"
        if pulling:
            why = (f"downloading is off ({off}); unset HF_HUB_OFFLINE where the hub is reachable"
                   if _offline() else f"the hub ({hub}) could not be reached; check the network and HF_ENDPOINT")
            raise WeightsNotFoundError(
                f"{spec.name}: cannot pull {filename} ({w.repo_id}@{w.revision[:10]}), it is not in the Hugging Face "
                f"cache and {why}"
            ) from None
        why = f"downloading is off ({off})" if local_files_only or _offline() else f"the hub ({hub}) could not be reached"
        raise WeightsNotFoundError(
            f"{spec.name}: {filename} is not bundled and not in the Hugging Face cache "
            f"({w.repo_id}@{w.revision[:10]}) and {why}. Run `zoo pull {spec.name}` "
            f"where the hub is reachable, or set {override_env_var(spec.name)} to a folder holding it"
        ) from None
    except (RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError, HfHubHTTPError, OSError) as e:
        raise WeightsNotFoundError(
            f"{spec.name}: cannot fetch {filename} from {w.repo_id}@{w.revision[:10]}: {type(e).__name__}: "
            f"{str(e).splitlines()[0] if str(e) else ''}"
        ) from None
    try:
        return verify(path, expected)
    except WeightsIntegrityError:
        blob = path.resolve()
        path.unlink(missing_ok=True)
        if blob != path:
            blob.unlink(missing_ok=True)
        raise


def resolve_weights(
    spec: ModelSpec,
    bundle_dir: str | Path | None = None,
    *,
    weights_dir: str | Path | None = None,
    local_files_only: bool = False,
) -> dict[str, Path]:
    """Local, verified paths of every weights file of ``spec``, keyed by file name.

    Parameters
    ----------
    spec: the model's spec.
    bundle_dir: folder of the model.yaml inside the installed plugin (bundled copies live there).
    weights_dir: explicit folder that takes precedence over everything else.
    local_files_only: never touch the network (also implied by ``HF_HUB_OFFLINE=1``).

    Raises
    ------
    WeightsNotFoundError, WeightsIntegrityError
    """
    explicit = weights_dir or os.environ.get(override_env_var(spec.name))
    out: dict[str, Path] = {}
    for f in spec.weights.files:
        if explicit:
            p = Path(explicit) / f.name
            if not p.is_file():
                raise WeightsNotFoundError(f"{spec.name}: {p} does not exist (explicit weights folder)")
            out[f.name] = verify(p, f.sha256)
        elif bundle_dir is not None and (Path(bundle_dir) / f.name).is_file():
            out[f.name] = verify(Path(bundle_dir) / f.name, f.sha256)
        else:
            out[f.name] = hub_download(spec, f.name, local_files_only=local_files_only)
    return out


def pull(spec: ModelSpec) -> dict[str, Path]:
    """Fill the Hugging Face cache with every weights file of ``spec`` (for offline nodes).

    Raises
    ------
    WeightsNotFoundError
        The model is not published (no revision pinned), or a file is not cached and cannot be fetched
        (``HF_HUB_OFFLINE=1``, or the hub unreachable); files already cached are only verified.
    WeightsIntegrityError
        A fetched file's digest differs from model.yaml.
    """
    if spec.weights.revision is None:
        raise unpublished_error(spec)
    return {f.name: hub_download(spec, f.name, local_files_only=False, pulling=True) for f in spec.weights.files}

