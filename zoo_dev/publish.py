"""``zoo publish``: upload a model's hub folder and pin the commit it lands at in its model.yaml.

A model.yaml cannot hold the id of the commit that contains it, so the hub copy carries
``revision: null`` and the local one gets the commit the upload returns. From then on every download
is pinned to that commit and sha256-checked against the digests both copies share.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from pydantic import ValidationError

from zoo_core.errors import InputError, WeightsNotFoundError, ZooError
from zoo_core.spec import GIT_SHA, ModelSpec, WeightsSpec, load_spec
from zoo_core.weights import verify
from zoo_dev.specs import write_spec

CARD = "README.md"


class PublishError(ZooError, RuntimeError):
    """Raised when the hub refuses or fails an upload; the local model.yaml is then left as it was."""


def model_yaml_path(model: str | Path) -> Path:
    """The model.yaml of ``model``: a path to it, a folder holding it, or an installed model's id or alias.

    Raises
    ------
    UnknownModelError
        ``model`` is not a path and no installed plugin provides it.
    """
    path = Path(model)
    if path.is_file():
        return path
    if (path / "model.yaml").is_file():
        return path / "model.yaml"
    from zoo_core.registry import registry

    return registry().get(str(model)).spec_path


def hub_endpoint() -> str:
    """Where uploads go: ``HF_ENDPOINT``, or huggingface.co."""
    return os.environ.get("HF_ENDPOINT") or "https://huggingface.co"


def _stage(spec: ModelSpec, folder: Path, staging: Path) -> None:
    """Put exactly what the hub repository holds in ``staging``: model.yaml, the card, the weights."""
    card = folder / CARD
    if not card.is_file():
        raise InputError(folder, f"no model card ({CARD}); write one before publishing, it is the model's hub page")
    hub_spec = spec.model_copy(update={"weights": spec.weights.model_copy(update={"revision": None})})
    write_spec(hub_spec, staging / "model.yaml")
    shutil.copyfile(card, staging / CARD)
    for f in spec.weights.files:
        src = folder / f.name
        if not src.is_file():
            raise WeightsNotFoundError(f"{spec.name}: {src} does not exist; model.yaml lists it under weights.files")
        try:
            os.link(src, staging / f.name)  # weights can be large; a hard link costs nothing
        except OSError:
            shutil.copyfile(src, staging / f.name)
        # checked on the staged copy, which is exactly what is uploaded
        verify(staging / f.name, f.sha256)


def _why(e: BaseException) -> str:
    """First line of ``e``, and of its cause: huggingface_hub wraps the hub's reason in a generic RuntimeError."""
    why = f"{type(e).__name__}: {(str(e).splitlines() or [''])[0]}"
    server = getattr(e, "server_message", None)  # the hub's own reason, on a later line of str(e)
    if server:
        why += f": {server.strip().splitlines()[0]}"
    return f"{why} ({_why(e.__cause__)})" if e.__cause__ is not None else why


def publish_model(
    model: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    commit_message: str | None = None,
) -> str:
    """Upload ``model``'s hub folder to ``repo_id`` and pin the new commit in its model.yaml.

    The repository is created if needed (``private`` only applies then). It receives model.yaml (with
    ``weights.repo_id`` set and ``weights.revision`` null), the model card ``README.md`` and every file
    of ``weights.files``, each sha256-checked first. The local model.yaml then gets ``weights.repo_id``
    and ``weights.revision`` = the commit. Uploads go to ``HF_ENDPOINT`` when it is set; ``token``
    defaults to ``HF_TOKEN`` or the saved login.

    Parameters
    ----------
    model: a model.yaml, the folder holding it, or an installed model's id or alias.
    repo_id: the hub repository, ``owner/name``.

    Returns
    -------
    The 40-hex commit id now pinned in model.yaml.

    Raises
    ------
    InputError
        ``repo_id`` is not ``owner/name``, or the folder has no model card.
    WeightsNotFoundError, WeightsIntegrityError
        A listed weights file is missing or differs from its sha256: nothing is uploaded.
    PublishError
        The hub refused or failed the upload: model.yaml is unchanged.
    """
    spec_path = model_yaml_path(model)
    spec = load_spec(spec_path)
    try:
        weights = WeightsSpec.model_validate({**spec.weights.model_dump(), "repo_id": repo_id, "revision": None})
    except ValidationError:
        raise InputError(repo_id, "not a Hugging Face repository id 'owner/name'") from None
    spec = spec.model_copy(update={"weights": weights})
    message = commit_message or f"{spec.name} {spec.version}: model.yaml, model card and weights (zoo publish)"

    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    with tempfile.TemporaryDirectory(prefix="zoo-publish-") as tmp:
        _stage(spec, spec_path.parent, Path(tmp))
        api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=token)
        try:
            # an existing repository keeps its visibility: private=None leaves the hub's choice alone
            api.create_repo(repo_id, repo_type="model", private=True if private else None, exist_ok=True)
            info = api.upload_folder(repo_id=repo_id, repo_type="model", folder_path=tmp, commit_message=message)
        except (HfHubHTTPError, OSError, ValueError, RuntimeError) as e:
            raise PublishError(f"{spec.name}: upload to {hub_endpoint()}/{repo_id} failed: {_why(e)}") from e
    commit = getattr(info, "oid", None)
    if not isinstance(commit, str) or not re.match(GIT_SHA, commit):
        raise PublishError(f"{spec.name}: the hub answered the upload to {repo_id} without a commit id ({commit!r})")
    pinned = spec.model_copy(update={"weights": weights.model_copy(update={"revision": commit})})
    write_spec(pinned, spec_path)
    return commit
