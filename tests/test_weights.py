"""Weights resolution against a local fake of the Hugging Face hub (no network, no TensorFlow).

Every test gets an empty HF_HOME under tmp_path and HF_ENDPOINT pointing at :class:`FakeHub`.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.hub_server import FakeHub, hub  # noqa: F401 - `hub` is a pytest fixture
from zoo_core.errors import WeightsIntegrityError, WeightsNotFoundError
from zoo_core.spec import ModelSpec, load_spec
from zoo_core.weights import override_env_var, resolve_weights

MODEL = "xpresso-human-median"
BUNDLE = Path(__file__).resolve().parents[1] / "plugins/zoo-xpresso/src/zoo_xpresso/models" / MODEL
UNPUBLISHED = load_spec(BUNDLE / "model.yaml")  # as committed: revision null until `zoo publish`
REV = "8cf95234ae6a150ab5ec0c378f88622c926f3455"  # a commit the fake hub serves the file at
SPEC = UNPUBLISHED.model_copy(update={"weights": UNPUBLISHED.weights.model_copy(update={"revision": REV})})
REPO = SPEC.weights.repo_id
FILE = "model.safetensors"
SHA = SPEC.weights.files[0].sha256
GOOD = (BUNDLE / FILE).read_bytes()
ENV_VAR = "ZOO_WEIGHTS_XPRESSO_HUMAN_MEDIAN"


def _flip(data: bytes, at: int = 1000) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def hf_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hub: FakeHub) -> Path:  # noqa: F811
    """Empty HF cache in tmp_path, online, HF_ENDPOINT = the fake hub serving the good file."""
    import huggingface_hub.constants

    home = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    for var in ("HF_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", ENV_VAR):
        monkeypatch.delenv(var, raising=False)
    # huggingface_hub reads HF_HUB_OFFLINE once, at import, and then blocks every request: make sure an
    # earlier import under HF_HUB_OFFLINE=1 (another test, or the caller's shell) does not leak in here.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    hub.set_file(REPO, REV, FILE, GOOD)
    return home


def _snapshot(home: Path, revision: str = REV) -> Path:
    return home / "hub" / f"models--{REPO.replace('/', '--')}" / "snapshots" / revision


def _blobs(home: Path) -> list[Path]:
    d = home / "hub" / f"models--{REPO.replace('/', '--')}" / "blobs"
    return sorted(d.iterdir()) if d.is_dir() else []


def _with_revision(spec: ModelSpec, revision: str) -> ModelSpec:
    return spec.model_copy(update={"weights": spec.weights.model_copy(update={"revision": revision})})


# -- the real download path ----------------------------------------------------------------------


@pytest.mark.parametrize("lfs_redirect", [False, True], ids=["direct", "lfs-redirect"])
def test_download_lands_in_pinned_snapshot_and_is_reused_offline(
    hub: FakeHub,  # noqa: F811
    hf_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    lfs_redirect: bool,
) -> None:
    hub.lfs_redirect = lfs_redirect
    paths = resolve_weights(SPEC)  # no bundle dir: must come from the hub

    path = paths[FILE]
    assert path == _snapshot(hf_home) / FILE
    assert _sha(path.read_bytes()) == SHA
    assert hub.downloads(FILE) == 1
    # only the pinned /resolve/ URL (and the LFS "CDN" it redirects to) was asked for: no API call, no Xet
    for r in hub.requests:
        assert r.path == f"/{REPO}/resolve/{REV}/{FILE}" or (lfs_redirect and r.path == f"/__cdn__/{SHA}"), r

    hub.reset_counts()
    assert resolve_weights(SPEC)[FILE] == path  # online again: pinned commit already cached, no request
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert resolve_weights(SPEC)[FILE] == path
    assert hub.requests == []


# -- corrupt weights are refused -------------------------------------------------------------------


@pytest.mark.parametrize("lying_etag", [False, True], ids=["etag-of-served-bytes", "etag-claims-good-sha"])
def test_corrupt_download_is_refused_evicted_and_retried(hub: FakeHub, hf_home: Path, lying_etag: bool) -> None:  # noqa: F811
    bad = _flip(GOOD)
    hub.set_file(REPO, REV, FILE, bad, etag=SHA if lying_etag else None)

    with pytest.raises(WeightsIntegrityError) as exc:
        resolve_weights(SPEC)
    msg = str(exc.value)
    assert FILE in msg and SHA in msg and _sha(bad) in msg
    assert (exc.value.expected, exc.value.actual) == (SHA, _sha(bad))
    # nothing corrupt is left in the cache for a later (offline) run to pick up
    assert not (_snapshot(hf_home) / FILE).exists()
    assert _blobs(hf_home) == []

    hub.set_file(REPO, REV, FILE, GOOD)
    path = resolve_weights(SPEC)[FILE]
    assert _sha(path.read_bytes()) == SHA
    assert hub.downloads(FILE) == 2


def test_corrupted_cache_entry_is_refused_evicted_and_fetched_again(hub: FakeHub, hf_home: Path) -> None:  # noqa: F811
    path = resolve_weights(SPEC)[FILE]
    path.resolve().write_bytes(_flip(GOOD))  # bit rot / tampering after a good download

    with pytest.raises(WeightsIntegrityError, match=SHA):
        resolve_weights(SPEC)
    assert not path.exists() and _blobs(hf_home) == []

    assert _sha(resolve_weights(SPEC)[FILE].read_bytes()) == SHA
    assert hub.downloads(FILE) == 2


def _corrupt_copy(tmp_path: Path) -> Path:
    d = tmp_path / "bundle"
    shutil.copytree(BUNDLE, d)
    (d / FILE).write_bytes(_flip(GOOD))
    return d


def test_corrupt_bundle_is_refused_even_when_hub_has_good_file(hub: FakeHub, hf_home: Path, tmp_path: Path) -> None:  # noqa: F811
    bundle = _corrupt_copy(tmp_path)

    with pytest.raises(WeightsIntegrityError) as exc:
        resolve_weights(SPEC, bundle)
    assert str(bundle / FILE) in str(exc.value) and SHA in str(exc.value)
    assert exc.value.actual == _sha(_flip(GOOD))
    assert hub.requests == []  # no silent fall-back to another copy
    assert _blobs(hf_home) == []


def _point_at(folder: Path, how: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point resolve_weights at ``folder`` through the argument or the environment variable."""
    if how == "env":
        monkeypatch.setenv(ENV_VAR, str(folder))
        return {}
    return {"weights_dir": folder}


@pytest.mark.parametrize("how", ["weights_dir", "env"])
def test_corrupt_explicit_folder_is_refused(
    hub: FakeHub,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    folder = _corrupt_copy(tmp_path)
    kwargs = _point_at(folder, how, monkeypatch)

    with pytest.raises(WeightsIntegrityError, match="sha256 mismatch"):
        resolve_weights(SPEC, BUNDLE, **kwargs)
    assert hub.requests == []


# -- resolution order ----------------------------------------------------------------------------


def _good_folder(tmp_path: Path) -> Path:
    d = tmp_path / "mine"
    d.mkdir()
    shutil.copy(BUNDLE / FILE, d / FILE)
    return d


def test_env_var_name() -> None:
    assert override_env_var(MODEL) == ENV_VAR


@pytest.mark.parametrize("how", ["weights_dir", "env"])
def test_explicit_folder_wins_over_bundle(
    hub: FakeHub,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    mine = _good_folder(tmp_path)
    bundle = _corrupt_copy(tmp_path)  # would raise if it were read
    kwargs = _point_at(mine, how, monkeypatch)

    assert resolve_weights(SPEC, bundle, **kwargs) == {FILE: mine / FILE}
    assert hub.requests == []


def test_weights_dir_argument_wins_over_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = _good_folder(tmp_path)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "does-not-exist"))
    assert resolve_weights(SPEC, BUNDLE, weights_dir=mine) == {FILE: mine / FILE}


def test_explicit_folder_without_the_file_is_an_error_not_a_fallback(
    hub: FakeHub,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(ENV_VAR, str(empty))
    with pytest.raises(WeightsNotFoundError, match="explicit weights folder") as exc:
        resolve_weights(SPEC, BUNDLE)
    assert str(empty / FILE) in str(exc.value)
    assert hub.requests == []


def test_bundle_wins_over_hub(hub: FakeHub, hf_home: Path) -> None:  # noqa: F811
    hub.set_file(REPO, REV, FILE, _flip(GOOD))  # would raise if it were fetched
    assert resolve_weights(SPEC, BUNDLE) == {FILE: BUNDLE / FILE}
    assert hub.requests == []
    assert not (hf_home / "hub").exists()


# -- not found -----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["HF_HUB_OFFLINE", "local_files_only"])
def test_offline_with_empty_cache_says_to_run_zoo_pull(
    hub: FakeHub,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    if how == "HF_HUB_OFFLINE":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsNotFoundError) as exc:
        resolve_weights(SPEC, local_files_only=how == "local_files_only")
    assert f"zoo pull {MODEL}" in str(exc.value)
    assert "downloading is off" in str(exc.value)
    assert ENV_VAR in str(exc.value)
    assert isinstance(exc.value, FileNotFoundError)
    assert hub.requests == []


def test_unreachable_hub_with_empty_cache_says_so(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    import time

    hub.stop()  # e.g. a compute node without internet where HF_HUB_OFFLINE was not set
    monkeypatch.setattr(time, "sleep", lambda s: None)  # skip huggingface_hub's retry back-off
    with pytest.raises(WeightsNotFoundError) as exc:
        resolve_weights(SPEC)
    msg = str(exc.value)
    assert f"the hub ({hub.endpoint}) could not be reached" in msg
    assert "downloading is off" not in msg
    assert f"zoo pull {MODEL}" in msg


@pytest.mark.parametrize("failure", ["http-500", "truncated"])
def test_failed_download_is_weights_not_found_and_leaves_nothing_behind(
    hub: FakeHub,  # noqa: F811
    hf_home: Path,
    failure: str,
) -> None:
    if failure == "http-500":
        hub.download_status = 500  # HEAD answers, the GET of the bytes fails
    else:
        hub.truncate_downloads = 1000  # the GET sends fewer bytes than the HEAD announced
    with pytest.raises(WeightsNotFoundError, match=f"cannot fetch {FILE} from {REPO}@"):
        resolve_weights(SPEC)
    assert not (_snapshot(hf_home) / FILE).exists() and _blobs(hf_home) == []

    hub.download_status, hub.truncate_downloads = 200, None
    assert _sha(resolve_weights(SPEC)[FILE].read_bytes()) == SHA


def test_unknown_revision_is_weights_not_found(hub: FakeHub, hf_home: Path) -> None:  # noqa: F811
    spec = _with_revision(SPEC, "0" * 40)
    with pytest.raises(WeightsNotFoundError) as exc:
        resolve_weights(spec)
    msg = str(exc.value)
    assert FILE in msg and REPO in msg and "RevisionNotFound" in msg
    assert not _snapshot(hf_home, "0" * 40).exists()


def test_missing_file_is_weights_not_found(hub: FakeHub, hf_home: Path) -> None:  # noqa: F811
    hub.remove_file(REPO, REV, FILE)
    with pytest.raises(WeightsNotFoundError) as exc:
        resolve_weights(SPEC)
    msg = str(exc.value)
    assert FILE in msg and REPO in msg and "EntryNotFound" in msg
    assert not (_snapshot(hf_home) / FILE).exists()


def test_unknown_repository_is_weights_not_found(hub: FakeHub) -> None:  # noqa: F811
    spec = SPEC.model_copy(update={"weights": SPEC.weights.model_copy(update={"repo_id": "nobody/nothing"})})
    with pytest.raises(WeightsNotFoundError) as exc:
        resolve_weights(spec)
    assert "nobody/nothing" in str(exc.value) and "RepositoryNotFound" in str(exc.value)


# -- a model that was never published -------------------------------------------------------------


def test_unpublished_model_without_bundle_says_how_to_provide_weights(hub: FakeHub) -> None:  # noqa: F811
    with pytest.raises(WeightsNotFoundError) as exc:
        resolve_weights(UNPUBLISHED)
    msg = str(exc.value)
    assert msg.startswith(f"{MODEL}: {FILE} is not bundled and the model is not published on the Hugging Face hub")
    assert "no weights.revision" in msg and "--weights-dir" in msg and ENV_VAR in msg
    assert f"zoo publish {MODEL} --repo-id" in msg
    assert hub.requests == []  # nothing is fetched unpinned, not even from the cache


@pytest.mark.parametrize("how", ["bundle", "weights_dir", "env"])
def test_unpublished_model_runs_from_bundle_or_explicit_folder(
    hub: FakeHub,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    if how == "bundle":
        assert resolve_weights(UNPUBLISHED, BUNDLE) == {FILE: BUNDLE / FILE}
    else:
        mine = _good_folder(tmp_path)
        assert resolve_weights(UNPUBLISHED, **_point_at(mine, how, monkeypatch)) == {FILE: mine / FILE}
    assert hub.requests == []


def test_pull_of_unpublished_model_is_one_line_error(
    hub: FakeHub,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    from zoo.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["pull", MODEL])  # the installed plugin's model.yaml, as committed
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Error: {MODEL}: the model is not published on the Hugging Face hub")
    assert ENV_VAR in err and "Traceback" not in err
    assert hub.requests == []


# -- zoo pull ------------------------------------------------------------------------------------


def _pin_installed_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the registered model carry SPEC (the pinned revision), as a published plugin would."""
    import dataclasses

    from zoo_core.registry import ModelEntry, Registry

    get = Registry.get

    def get_pinned(self: Registry, model_id: str) -> ModelEntry:
        entry = get(self, model_id)
        return dataclasses.replace(entry, spec=SPEC) if entry.spec.name == MODEL else entry

    monkeypatch.setattr(Registry, "get", get_pinned)


def test_zoo_pull_fills_cache_for_offline_use(hub: FakeHub, hf_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from zoo.cli import cli

    _pin_installed_model(monkeypatch)
    result = CliRunner().invoke(cli, ["pull", MODEL])
    assert result.exit_code == 0, result.output
    cached = _snapshot(hf_home) / FILE
    assert f"{MODEL}: {FILE} -> {cached}" in result.output
    assert hub.downloads(FILE) == 1

    hub.reset_counts()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert resolve_weights(SPEC) == {FILE: cached}
    assert hub.requests == []


def test_zoo_pull_failure_is_one_line_error(
    hub: FakeHub,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from zoo.cli import main

    _pin_installed_model(monkeypatch)
    hub.remove_file(REPO, REV, FILE)
    monkeypatch.delenv("ZOO_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exc:
        main(["pull", MODEL])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Error: {MODEL}: cannot fetch {FILE} from {REPO}@")
    assert "Traceback" not in err


@pytest.mark.parametrize("why", ["HF_HUB_OFFLINE", "unreachable"])
def test_zoo_pull_that_cannot_download_says_why_not_to_run_zoo_pull(
    hub: FakeHub,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    why: str,
) -> None:
    """It said the weights were 'not bundled' and advised running `zoo pull`, inside `zoo pull`."""
    import time

    from zoo.cli import main

    _pin_installed_model(monkeypatch)
    if why == "HF_HUB_OFFLINE":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        hub.stop()
        monkeypatch.setattr(time, "sleep", lambda s: None)  # skip huggingface_hub's retry back-off
    with pytest.raises(SystemExit) as exc:
        main(["pull", MODEL])
    assert exc.value.code == 1
    line = capsys.readouterr().err.splitlines()[0]
    assert line.startswith(f"Error: {MODEL}: cannot pull {FILE} ({REPO}@{REV[:10]}), it is not in the Hugging Face "
                           "cache and ")
    if why == "HF_HUB_OFFLINE":
        assert line.endswith("downloading is off (HF_HUB_OFFLINE=1); unset HF_HUB_OFFLINE where the hub is reachable")
        assert hub.requests == []
    else:
        assert f"the hub ({hub.endpoint}) could not be reached" in line
    assert "zoo pull" not in line and "not bundled" not in line


def test_zoo_pull_offline_with_a_filled_cache_verifies_it(hub: FakeHub, hf_home: Path,  # noqa: F811
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from zoo.cli import cli

    _pin_installed_model(monkeypatch)
    assert CliRunner().invoke(cli, ["pull", MODEL]).exit_code == 0
    hub.reset_counts()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = CliRunner().invoke(cli, ["pull", MODEL])
    assert result.exit_code == 0, result.output
    assert f"{MODEL}: {FILE} -> {_snapshot(hf_home) / FILE}" in result.output
    assert hub.requests == []


def test_offline_run_names_what_turned_downloading_off(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsNotFoundError, match=r"downloading is off \(HF_HUB_OFFLINE=1\)\. Run `zoo pull"):
        resolve_weights(SPEC)
