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

No ``X-Xet-Hash`` header and no ``Link: xet-auth`` are ever sent, so ``hf_xet`` is never used;
any other path (``/api/...``, Xet routes) is answered ``404`` and recorded, so a test can check that
nothing but ``/resolve/`` was asked for.

Files are configured as ``{(repo_id, revision): {filename: bytes}}``; :meth:`FakeHub.set_file` replaces
one (e.g. with corrupt bytes, optionally under a lying ETag). Every request is recorded in
:attr:`FakeHub.requests`, so a test can assert that a cached file is not downloaded again.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import pytest

Repos = Mapping[tuple[str, str], Mapping[str, bytes]]


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
        self._lock = threading.Lock()
        self._files: dict[tuple[str, str], dict[str, _File]] = {}
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

    def _answer(self, method: str, raw_path: str) -> tuple[int, dict[str, str], bytes, str | None]:
        """Status, headers, body and file name for one request (the handler drops the body for HEAD)."""
        status, headers, body, filename = self._lookup(raw_path)
        if method == "GET" and status == 200:
            if self.download_status != 200:
                return self.download_status, {"X-Error-Message": "simulated failure"}, b"", filename
            if self.truncate_downloads is not None:
                body = body[: self.truncate_downloads]
                headers["Content-Length"] = str(len(body))
        return status, headers, body, filename

    def _lookup(self, raw_path: str) -> tuple[int, dict[str, str], bytes, str | None]:
        path = urlsplit(raw_path).path
        if path.startswith("/__cdn__/"):  # the "CDN" an LFS redirect points at
            sha = path.rsplit("/", 1)[-1]
            with self._lock:
                found = next(((n, f) for files in self._files.values() for n, f in files.items() if f.etag == sha), None)
            if found is None:
                return 404, {}, b"Not found", None
            return 200, _file_headers(found[1]), found[1].data, found[0]

        if "/resolve/" not in path:
            return 404, {"X-Error-Message": "not served by this fake hub"}, b"Not found", None
        repo_part, rest = path.lstrip("/").split("/resolve/", 1)
        repo_id = unquote(repo_part)
        revision, _, filename = rest.partition("/")
        revision, filename = unquote(revision), unquote(filename)

        with self._lock:
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

        def log_message(self, format: str, *args: object) -> None:  # silence stderr
            pass

    return Handler


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    """A running :class:`FakeHub` with no repositories; configure it with ``add_revision``/``set_file``."""
    with FakeHub() as server:
        yield server
