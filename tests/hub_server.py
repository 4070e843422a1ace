"""A local stand-in for the Hugging Face hub, for tests that must not touch the network.

It answers ``HEAD`` and ``GET`` on ``{endpoint}/{repo_id}/resolve/{revision}/{filename}`` the way
huggingface.co does for a model repository, which is all ``huggingface_hub.hf_hub_download``
needs:

* found: ``200`` with ``X-Repo-Commit`` (the commit), ``ETag`` (the quoted sha256 of the content, as
  for LFS files, so the cache blob is named by its sha256) and ``Content-Length``;
* with ``lfs_redirect=True``: ``302`` as the hub answers for LFS files, carrying ``X-Repo-Commit``,
  ``X-Linked-Etag``, ``X-Linked-Size`` and a ``Location`` on another origin (``localhost`` instead of
  ``127.0.0.1``, like the hub's CDN), where ``GET`` returns the bytes;
* missing: ``404`` with ``X-Error-Code`` ``RepoNotFound``, ``RevisionNotFound`` or ``EntryNotFound``
  (the last with ``X-Repo-Commit``, as the hub sends it).

It also takes uploads the way ``HfApi.create_repo`` and ``HfApi.upload_folder`` make them without Xet
(``huggingface_hub.constants.HF_HUB_DISABLE_XET``; the LFS batch answer only offers ``basic``):

* ``POST /api/repos/create``: a new repository gets a first commit holding ``.gitattributes``; an
  existing one is ``409``, which ``exist_ok=True`` accepts;
* ``POST /api/validate-yaml`` (the model card's metadata): always valid;
* ``POST /api/models/{repo_id}/preupload/{revision}``: ``lfs`` for ``*.safetensors``, ``regular`` for
  the rest, with the ``oid`` of a file the revision already holds (unchanged files are then skipped);
* ``POST /{repo_id}.git/info/lfs/objects/batch``: ``basic`` upload and verify actions on this server
  (none for an object it already holds); ``PUT /__lfs__/{oid}`` stores the bytes and
  ``POST /__lfs__/{oid}/verify`` refuses (``422``) an object whose bytes do not hash to ``oid``;
* ``POST /api/models/{repo_id}/commit/{revision}`` (ndjson): a new commit on ``main`` whose id is a
  sha1 of its parent and its operations; an ``lfsFile`` never verified is ``400``;
* ``GET /api/models/{repo_id}/revision/{revision}``: the commit ``sha`` (``repo_info``).

``main`` resolves to the newest commit for downloads too. No ``X-Xet-Hash`` header and no
``Link: xet-auth`` are ever sent, so ``hf_xet`` is never used; any other path (Xet routes included)
is answered ``404`` and recorded, so a test can check what was asked for.

Files are configured as ``{(repo_id, revision): {filename: bytes}}``; :meth:`FakeHub.set_file` replaces
one (e.g. with corrupt bytes, optionally under a lying ETag). Every request is recorded in
:attr:`FakeHub.requests`, so a test can assert that a cached file is not downloaded again.
:attr:`FakeHub.corrupt_uploads` flips a byte of every LFS upload as it arrives (a transfer gone wrong).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

Repos = Mapping[tuple[str, str], Mapping[str, bytes]]
Answer = tuple[int, dict[str, str], bytes, str | None]  # status, headers, body, the repository file it was about


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    method: str
    path: str  # unquoted path, without the query string
    status: int
    filename: str | None  # the repository file it was about (also for the LFS "CDN" URL)


@dataclass
class _File:
    data: bytes
    etag: str  # unquoted sha256 announced in ETag / X-Linked-Etag


class FakeHub:
    """A threaded HTTP server on 127.0.0.1 serving files like the Hugging Face hub.

    Use as a context manager, or through the ``hub`` fixture.
    """

    def __init__(self, repos: Repos | None = None, *, lfs_redirect: bool = False) -> None:
        self.lfs_redirect = lfs_redirect
        #: status of every GET that would return a file's bytes (HEAD is unaffected): a hub failing mid-download
        self.download_status = 200
        #: send only this many bytes on such GETs (with a matching Content-Length): a truncated transfer
        self.truncate_downloads: int | None = None
        #: flip one byte of every LFS upload as it is received, so its verify step fails
        self.corrupt_uploads = False
        self._lock = threading.Lock()
        self._files: dict[tuple[str, str], dict[str, _File]] = {}
        self._heads: dict[str, str] = {}  # repo_id -> newest commit, what "main" resolves to
        self._lfs: dict[str, bytes] = {}  # uploaded LFS objects by sha256
        self._verified: set[str] = set()
        #: repositories made through POST /api/repos/create, with the visibility asked for (None: default)
        self.created: dict[str, str | None] = {}
        #: every commit made through the commit API: (repo_id, commit id, summary)
        self.commits: list[tuple[str, str, str]] = []
        self._requests: list[Request] = []
        for (repo_id, revision), files in (repos or {}).items():
            self.add_revision(repo_id, revision)
            for name, data in files.items():
                self.set_file(repo_id, revision, name, data)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- configuration -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def endpoint(self) -> str:
        """What HF_ENDPOINT must be set to, e.g. ``http://127.0.0.1:54321``."""
        return f"http://127.0.0.1:{self.port}"

    def add_revision(self, repo_id: str, revision: str) -> None:
        """Make ``repo_id`` exist at commit ``revision`` (possibly without files)."""
        with self._lock:
            self._files.setdefault((repo_id, revision), {})

    def set_file(self, repo_id: str, revision: str, filename: str, data: bytes, *, etag: str | None = None) -> None:
        """Serve ``data`` as ``filename``; ``etag`` overrides the announced sha256 (a lying server)."""
        with self._lock:
            self._files.setdefault((repo_id, revision), {})[filename] = _File(data, etag or hashlib.sha256(data).hexdigest())

    def remove_file(self, repo_id: str, revision: str, filename: str) -> None:
        with self._lock:
            del self._files[(repo_id, revision)][filename]

    def head(self, repo_id: str) -> str | None:
        """The newest commit of ``repo_id`` made through the upload API (what ``main`` resolves to)."""
        with self._lock:
            return self._heads.get(repo_id)

    def files_at(self, repo_id: str, revision: str) -> dict[str, bytes]:
        """What ``repo_id`` holds at ``revision`` (a commit id or ``main``)."""
        with self._lock:
            revision = self._heads.get(repo_id, revision) if revision == "main" else revision
            return {name: f.data for name, f in self._files.get((repo_id, revision), {}).items()}

    # -- inspection ----------------------------------------------------------------------------
    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def count(self, method: str | None = None, filename: str | None = None) -> int:
        """Requests received, optionally only those with ``method`` and for ``filename``."""
        return sum(
            1 for r in self.requests if (method is None or r.method == method) and (filename is None or r.filename == filename)
        )

    def downloads(self, filename: str | None = None) -> int:
        """``GET`` requests that returned a file's bytes."""
        return sum(
            1 for r in self.requests if r.method == "GET" and r.status == 200 and (filename is None or r.filename == filename)
        )

    def reset_counts(self) -> None:
        with self._lock:
            self._requests.clear()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FakeHub:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-hf-hub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (idempotent); the port is then refused, like an unreachable hub."""
        if self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling (called from the handler threads) ------------------------------------
    def _record(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)

    def _answer(self, method: str, raw_path: str) -> Answer:
        """Status, headers, body and file name for one request (the handler drops the body for HEAD)."""
        status, headers, body, filename = self._lookup(raw_path)
        if method == "GET" and status == 200:
            if self.download_status != 200:
                return self.download_status, {"X-Error-Message": "simulated failure"}, b"", filename
            if self.truncate_downloads is not None:
                body = body[: self.truncate_downloads]
                headers["Content-Length"] = str(len(body))
        return status, headers, body, filename

    def _lookup(self, raw_path: str) -> Answer:
        path = urlsplit(raw_path).path
        if path.startswith("/__cdn__/"):  # the "CDN" an LFS redirect points at
            sha = path.rsplit("/", 1)[-1]
            with self._lock:
                found = next(((n, f) for files in self._files.values() for n, f in files.items() if f.etag == sha), None)
            if found is None:
                return 404, {}, b"Not found", None
            return 200, _file_headers(found[1]), found[1].data, found[0]

        if path.startswith("/api/models/") and "/revision/" in path:
            return self._repo_info(path)
        if "/resolve/" not in path:
            return 404, {"X-Error-Message": "not served by this fake hub"}, b"Not found", None
        repo_part, rest = path.lstrip("/").split("/resolve/", 1)
        repo_id = unquote(repo_part)
        revision, _, filename = rest.partition("/")
        revision, filename = unquote(revision), unquote(filename)

        with self._lock:
            if revision == "main":
                revision = self._heads.get(repo_id, revision)
            revisions = {rev for (rid, rev) in self._files if rid == repo_id}
            files = self._files.get((repo_id, revision))
            found = files.get(filename) if files is not None else None
        if not revisions:
            return 404, {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"}, b"", filename
        if files is None:
            headers = {"X-Error-Code": "RevisionNotFound", "X-Error-Message": f"Invalid rev id: {revision}"}
            return 404, headers, b"", filename
        if found is None:
            headers = {
                "X-Error-Code": "EntryNotFound",
                "X-Error-Message": "Entry not found",
                "X-Repo-Commit": revision,
            }
            return 404, headers, b"", filename

        headers = {"X-Repo-Commit": revision}
        if self.lfs_redirect:
            headers.update(
                {
                    "X-Linked-Etag": f'"{found.etag}"',
                    "X-Linked-Size": str(len(found.data)),
                    "ETag": f'"{found.etag}"',
                    "Location": f"http://localhost:{self.port}/__cdn__/{found.etag}",
                    "Content-Length": "0",
                }
            )
            return 302, headers, b"", filename
        headers.update(_file_headers(found))
        return 200, headers, found.data, filename

    # -- the upload API ------------------------------------------------------------------------
    def _repo_info(self, path: str) -> Answer:
        repo_part, revision = path.removeprefix("/api/models/").split("/revision/", 1)
        repo_id, revision = unquote(repo_part), unquote(revision)
        with self._lock:
            commit = self._heads.get(repo_id) if revision == "main" else revision
            files = self._files.get((repo_id, commit)) if commit else None
        if files is None:
            return _error(404, "RevisionNotFound" if repo_id in self._heads else "RepoNotFound", f"{repo_id}@{revision}")
        body = {"id": repo_id, "modelId": repo_id, "sha": commit, "private": self.created.get(repo_id) == "private",
                "siblings": [{"rfilename": name} for name in sorted(files)]}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode(), None

    def _answer_write(self, method: str, raw_path: str, body: bytes) -> Answer:
        """Status, headers, body and file name for one POST or PUT of the upload API."""
        path = unquote(urlsplit(raw_path).path)
        if method == "PUT" and path.startswith("/__lfs__/"):
            oid = path.removeprefix("/__lfs__/")
            if self.corrupt_uploads and body:
                body = bytes([body[0] ^ 0xFF]) + body[1:]
            with self._lock:
                self._lfs[oid] = body
            return 200, {}, b"", None
        if method != "POST":
            return _error(405, None, f"{method} not served by this fake hub")
        if path.startswith("/__lfs__/") and path.endswith("/verify"):
            oid = path.removeprefix("/__lfs__/").removesuffix("/verify")
            with self._lock:
                data = self._lfs.get(oid)
                ok = data is not None and hashlib.sha256(data).hexdigest() == oid and len(data) == json.loads(body)["size"]
                if ok:
                    self._verified.add(oid)
            if not ok:
                return _error(422, None, f"LFS object {oid} does not match its upload")
            return 200, {"Content-Type": "application/json"}, b"{}", None
        if path == "/api/repos/create":
            return self._create_repo(json.loads(body))
        if path == "/api/validate-yaml":
            return 200, {"Content-Type": "application/json"}, b'{"errors": [], "warnings": []}', None
        if path.endswith(".git/info/lfs/objects/batch"):
            return self._lfs_batch(path.lstrip("/").removesuffix(".git/info/lfs/objects/batch"), json.loads(body))
        if path.startswith("/api/models/") and "/preupload/" in path:
            repo_id, revision = path.removeprefix("/api/models/").split("/preupload/", 1)
            return self._preupload(repo_id, revision, json.loads(body))
        if path.startswith("/api/models/") and "/commit/" in path:
            repo_id, revision = path.removeprefix("/api/models/").split("/commit/", 1)
            return self._commit(repo_id, revision, [json.loads(line) for line in body.splitlines() if line.strip()])
        return 404, {"X-Error-Message": "not served by this fake hub"}, b"Not found", None

    def _create_repo(self, payload: dict[str, Any]) -> Answer:
        repo_id = f"{payload['organization']}/{payload['name']}" if payload.get("organization") else payload["name"]
        url = f"{self.endpoint}/{repo_id}"
        with self._lock:
            if repo_id in self._heads or any(rid == repo_id for rid, _ in self._files):
                return _error(409, None, "You already created this model repo", {"url": url})
            self.created[repo_id] = payload.get("visibility")
        self._new_commit(repo_id, None, {".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"}, [],
                         "initial commit")
        return 200, {"Content-Type": "application/json"}, json.dumps({"url": url, "name": repo_id}).encode(), None

    def _resolve_branch(self, repo_id: str, revision: str) -> str | Answer:
        with self._lock:
            head = self._heads.get(repo_id)
        if head is None:
            return _error(404, "RepoNotFound", f"Repository {repo_id} not found")
        if revision != "main":
            return _error(404, "RevisionNotFound", f"Invalid rev id: {revision} (this fake hub only has main)")
        return head

    def _preupload(self, repo_id: str, revision: str, payload: dict[str, Any]) -> Answer:
        head = self._resolve_branch(repo_id, revision)
        if not isinstance(head, str):
            return head
        with self._lock:
            existing = dict(self._files[(repo_id, head)])
        files = []
        for f in payload["files"]:
            lfs = f["path"].endswith(".safetensors")
            old = existing.get(f["path"])
            oid = None if old is None else (hashlib.sha256(old.data).hexdigest() if lfs else _git_blob_sha1(old.data))
            files.append({"path": f["path"], "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False, "oid": oid})
        return 200, {"Content-Type": "application/json"}, json.dumps({"files": files, "commitOid": head}).encode(), None

    def _lfs_batch(self, repo_id: str, payload: dict[str, Any]) -> Answer:
        if repo_id not in self._heads:
            return _error(404, "RepoNotFound", f"Repository {repo_id} not found")
        objects = []
        for obj in payload["objects"]:
            oid, size = obj["oid"], obj["size"]
            with self._lock:
                held = oid in self._verified
            entry: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
            if not held:  # an object the hub already holds gets no actions, and is not sent again
                entry["actions"] = {"upload": {"href": f"{self.endpoint}/__lfs__/{oid}"},
                                    "verify": {"href": f"{self.endpoint}/__lfs__/{oid}/verify"}}
            objects.append(entry)
        body = json.dumps({"transfer": "basic", "objects": objects}).encode()
        return 200, {"Content-Type": "application/vnd.git-lfs+json"}, body, None

    def _commit(self, repo_id: str, revision: str, lines: list[dict[str, Any]]) -> Answer:
        head = self._resolve_branch(repo_id, revision)
        if not isinstance(head, str):
            return head
        added: dict[str, bytes] = {}
        deleted: list[str] = []
        summary = ""
        for line in lines:
            key, value = line["key"], line["value"]
            if key == "header":
                summary = value.get("summary", "")
                if value.get("parentCommit") not in (None, head):
                    return _error(412, None, f"parent commit {value['parentCommit']} is not the head {head}")
            elif key == "file":
                added[value["path"]] = base64.b64decode(value["content"])
            elif key == "lfsFile":
                with self._lock:
                    data = self._lfs.get(value["oid"]) if value["oid"] in self._verified else None
                if data is None:
                    return _error(400, None, f"LFS object {value['oid']} of {value['path']} was never uploaded and verified")
                added[value["path"]] = data
            elif key in ("deletedFile", "deletedFolder"):
                deleted.append(value["path"])
            else:
                return _error(400, None, f"unknown commit operation {key}")
        commit = self._new_commit(repo_id, head, added, deleted, summary)
        body = {"success": True, "commitOid": commit, "commitUrl": f"{self.endpoint}/{repo_id}/commit/{commit}"}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode(), None

    def _new_commit(self, repo_id: str, parent: str | None, added: Mapping[str, bytes], deleted: list[str], summary: str) -> str:
        h = hashlib.sha1(f"{repo_id}\0{parent}\0{summary}".encode())
        for name in sorted(added):
            h.update(f"\0{name}\0{hashlib.sha256(added[name]).hexdigest()}".encode())
        for name in sorted(deleted):
            h.update(f"\0-{name}".encode())
        commit = h.hexdigest()
        with self._lock:
            files = dict(self._files.get((repo_id, parent), {})) if parent else {}
            for name in deleted:
                files = {n: f for n, f in files.items() if n != name and not n.startswith(name.rstrip("/") + "/")}
            files.update({name: _File(data, hashlib.sha256(data).hexdigest()) for name, data in added.items()})
            self._files[(repo_id, commit)] = files
            self._heads[repo_id] = commit
            self.commits.append((repo_id, commit, summary))
        return commit


def _error(status: int, code: str | None, message: str, extra: dict[str, Any] | None = None) -> Answer:
    headers = {"X-Error-Message": message, "Content-Type": "application/json"}
    if code:
        headers["X-Error-Code"] = code
    return status, headers, json.dumps({"error": message, **(extra or {})}).encode(), None


def _git_blob_sha1(data: bytes) -> str:
    """The git object id of a regular file, which the hub reports as its ``oid``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _file_headers(f: _File) -> dict[str, str]:
    return {
        "ETag": f'"{f.etag}"',
        "Content-Length": str(len(f.data)),
        "Content-Type": "application/octet-stream",
        "Accept-Ranges": "bytes",
    }


def _handler_for(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self, with_body: bool) -> None:
            status, headers, body, filename = hub._answer(self.command, self.path)
            hub._record(Request(self.command, unquote(urlsplit(self.path).path), status, filename))
            self.send_response(status)
            headers.setdefault("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if with_body and body:
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self._serve(with_body=False)

        def do_GET(self) -> None:
            self._serve(with_body=True)

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()  # the CRLF after each chunk
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _write(self) -> None:
            status, headers, body, filename = hub._answer_write(self.command, self.path, self._read_body())
            hub._record(Request(self.command, unquote(urlsplit(self.path).path), status, filename))
            self.send_response(status)
            headers.setdefault("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_POST(self) -> None:
            self._write()

        def do_PUT(self) -> None:
            self._write()

        def log_message(self, format: str, *args: object) -> None:  # silence stderr
            pass

    return Handler


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    """A running :class:`FakeHub` with no repositories; configure it with ``add_revision``/``set_file``."""
    with FakeHub() as server:
        yield server
