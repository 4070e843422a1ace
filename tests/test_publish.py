"""`zoo publish` against the local fake hub: upload, pin the commit in model.yaml, download at it, sha256-checked.

The model is a fresh `zoo init` scaffold in tmp_path (publishing rewrites its model.yaml). Xet is switched
off the way a user would (HF_HUB_DISABLE_XET), so huggingface_hub talks the LFS protocol the fake hub speaks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from tests.hub_server import FakeHub, hub  # noqa: F401 - `hub` is a pytest fixture
from zoo_core.errors import InputError, WeightsIntegrityError
from zoo_core.scaffold import init_plugin
from zoo_core.spec import load_spec
from zoo_core.weights import resolve_weights
from zoo_dev.publish import PublishError, model_yaml_path, publish_model

REPO = "zoo-test/pubtoy"
FILE = "model.safetensors"


@pytest.fixture(autouse=True)
def online(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hub: FakeHub) -> Path:  # noqa: F811
    """Empty HF cache in tmp_path, online, HF_ENDPOINT = the fake hub, no Xet, no token."""
    import huggingface_hub.constants

    home = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    for var in ("HF_HUB_CACHE", "HF_HUB_OFFLINE", "HF_TOKEN", "ZOO_WEIGHTS_PUBTOY"):
        monkeypatch.delenv(var, raising=False)
    # huggingface_hub reads these once, at import
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)
    return home


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """The hub folder of a freshly scaffolded model: model.yaml, model card, weights, example, expected."""
    return init_plugin("pubtoy", tmp_path / "plugins") / "src" / "zoo_pubtoy" / "models" / "pubtoy"


def _flip(data: bytes, at: int = 100) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_publish_pins_the_commit_and_weights_download_at_it(
    hub: FakeHub,  # noqa: F811
    online: Path,
    model_dir: Path,
    tmp_path: Path,
) -> None:
    before = load_spec(model_dir / "model.yaml")
    assert before.weights.revision is None  # what `zoo init` writes: unpublished
    weights = (model_dir / FILE).read_bytes()

    commit = publish_model(model_dir / "model.yaml", REPO)

    assert commit == hub.head(REPO)
    after = load_spec(model_dir / "model.yaml")
    assert (after.weights.repo_id, after.weights.revision) == (REPO, commit)
    assert after.weights.files == before.weights.files
    assert after.model_dump(exclude={"weights"}) == before.model_dump(exclude={"weights"})

    # the repository holds exactly the hub folder; its model.yaml names the repository, revision null
    held = hub.files_at(REPO, commit)
    assert set(held) == {".gitattributes", "model.yaml", "README.md", FILE}
    assert held[FILE] == weights and held["README.md"] == (model_dir / "README.md").read_bytes()
    (tmp_path / "hub-model.yaml").write_bytes(held["model.yaml"])
    on_hub = load_spec(tmp_path / "hub-model.yaml")
    assert (on_hub.weights.repo_id, on_hub.weights.revision) == (REPO, None)
    assert on_hub.weights.files == after.weights.files
    # the weights went through the LFS batch + PUT + verify, nothing asked for Xet
    assert hub.count("PUT") == 1
    assert not [r for r in hub.requests if "xet" in r.path.lower()]

    # without the bundled copy, the pinned commit is downloaded and sha256-checked
    (model_dir / FILE).unlink()
    hub.reset_counts()
    path = resolve_weights(after, model_dir)[FILE]
    assert path.parent == online / "hub" / f"models--{REPO.replace('/', '--')}" / "snapshots" / commit
    assert _sha(path.read_bytes()) == before.weights.files[0].sha256
    assert hub.downloads(FILE) == 1
    assert {r.path for r in hub.requests} == {f"/{REPO}/resolve/{commit}/{FILE}"}


def test_republishing_an_unchanged_model_keeps_its_commit(hub: FakeHub, model_dir: Path) -> None:  # noqa: F811
    first = publish_model(model_dir, REPO)  # the folder works as well as its model.yaml
    hub.reset_counts()
    assert publish_model(model_dir / "model.yaml", REPO) == first
    assert hub.count("PUT") == 0  # the weights are already on the hub: not sent again
    assert load_spec(model_dir / "model.yaml").weights.revision == first


def test_corrupt_local_weights_are_not_uploaded(hub: FakeHub, model_dir: Path) -> None:  # noqa: F811
    yaml_before = (model_dir / "model.yaml").read_bytes()
    good = (model_dir / FILE).read_bytes()
    (model_dir / FILE).write_bytes(_flip(good))

    with pytest.raises(WeightsIntegrityError) as exc:
        publish_model(model_dir / "model.yaml", REPO)
    assert (exc.value.expected, exc.value.actual) == (_sha(good), _sha(_flip(good)))
    assert hub.requests == []  # refused before the hub is contacted
    assert (model_dir / "model.yaml").read_bytes() == yaml_before


def test_upload_corrupted_in_transit_is_refused_and_nothing_is_pinned(hub: FakeHub, model_dir: Path) -> None:  # noqa: F811
    yaml_before = (model_dir / "model.yaml").read_bytes()
    hub.corrupt_uploads = True

    with pytest.raises(PublishError, match=f"pubtoy: upload to {hub.endpoint}/{REPO} failed") as exc:
        publish_model(model_dir / "model.yaml", REPO)
    assert "does not match its upload" in str(exc.value)
    assert (model_dir / "model.yaml").read_bytes() == yaml_before
    assert set(hub.files_at(REPO, "main")) == {".gitattributes"}  # no commit holds the corrupt bytes


def test_corrupted_download_of_published_weights_is_refused(hub: FakeHub, model_dir: Path) -> None:  # noqa: F811
    commit = publish_model(model_dir / "model.yaml", REPO)
    spec = load_spec(model_dir / "model.yaml")
    good = (model_dir / FILE).read_bytes()
    hub.set_file(REPO, commit, FILE, _flip(good))  # bit rot on the hub after the upload
    (model_dir / FILE).unlink()

    with pytest.raises(WeightsIntegrityError) as exc:
        resolve_weights(spec, model_dir)
    assert (exc.value.expected, exc.value.actual) == (_sha(good), _sha(_flip(good)))


@pytest.mark.parametrize("problem", ["no-card", "bad-repo-id"])
def test_publish_refuses_before_uploading(hub: FakeHub, model_dir: Path, problem: str) -> None:  # noqa: F811
    repo_id = REPO
    if problem == "no-card":
        (model_dir / "README.md").unlink()
        match = "no model card"
    else:
        repo_id, match = "not a repo id", "not a Hugging Face repository id"
    with pytest.raises(InputError, match=match):
        publish_model(model_dir / "model.yaml", repo_id)
    assert hub.requests == []


def test_publish_command(hub: FakeHub, model_dir: Path) -> None:  # noqa: F811
    from zoo.cli.publish import command

    result = CliRunner().invoke(command, [str(model_dir), "--repo-id", REPO, "--private"])
    assert result.exit_code == 0, result.output
    commit = hub.head(REPO)
    assert result.stdout == (  # huggingface_hub's progress bars go to stderr
        f"{model_dir}: published {hub.endpoint}/{REPO} at {commit}; pinned in {model_dir / 'model.yaml'}\n"
    )
    assert hub.created == {REPO: "private"}
    assert load_spec(model_dir / "model.yaml").weights.revision == commit


def test_model_yaml_path_takes_an_installed_model_id(toy: object, toy_plugin: ModuleType) -> None:
    expected = Path(toy_plugin.__file__).parent / "models" / "toy" / "model.yaml"
    assert model_yaml_path("toy") == expected


def test_publishing_leaves_the_plugin_files_alone(hub: FakeHub, model_dir: Path) -> None:  # noqa: F811
    """Only model.yaml changes; the upload is staged elsewhere."""
    before = {p.name: p.read_bytes() for p in model_dir.iterdir() if p.name != "model.yaml"}
    publish_model(model_dir, REPO)
    assert {p.name: p.read_bytes() for p in model_dir.iterdir() if p.name != "model.yaml"} == before
    assert not list(model_dir.glob(".*.tmp"))


def test_zoo_publish_failure_is_one_line_error(
    hub: FakeHub,  # noqa: F811
    model_dir: Path,
    zoo_cli: Callable[..., tuple[int, str, str]],
) -> None:
    hub.corrupt_uploads = True
    code, out, err = zoo_cli("publish", model_dir / "model.yaml", "--repo-id", REPO)
    assert code == 1 and out == ""
    assert f"Error: pubtoy: upload to {hub.endpoint}/{REPO} failed: " in err and "does not match its upload" in err
    assert "Traceback" not in err
    assert load_spec(model_dir / "model.yaml").weights.revision is None
