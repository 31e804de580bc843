"""A small, dependency-free client for Graft's HTTP API (standard library only).

It covers the calls an orchestrator makes (the README's flow: upload, describe or upload an
architecture, preview, run, poll, fetch the version, download) and streams files both ways: an
upload is sent from the open file in 1 MiB blocks with its Content-Length, a download is written to
disk block by block and checked against its ETag (the file's SHA-256). Nothing reads a whole file
into memory.

Errors come back as :class:`GraftError` carrying the server's problem+json (RFC 9457) fields.
The operation names in the docstrings are the operationIds of ``openapi/graft.json``.
"""

import hashlib
import http.client
import json
import os
import sys
import time
import urllib.parse

BLOCK = 1 << 20
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


class GraftError(Exception):
    """A call Graft answered with an error: ``status`` and the problem's ``title``, ``detail``,
    ``type`` and ``errors`` (field-level, where given)."""

    def __init__(self, status, problem):
        self.status = status
        self.problem = problem if isinstance(problem, dict) else {"detail": str(problem)}
        self.title = self.problem.get("title")
        self.detail = self.problem.get("detail")
        self.type = self.problem.get("type")
        self.errors = self.problem.get("errors") or []
        super().__init__("%s %s: %s" % (status, self.title or "", self.detail or ""))


class GraftClient:
    """Graft's API at ``base_url`` (``http://localhost:8080``), with a bearer ``token``."""

    def __init__(self, base_url, token=None, timeout=300):
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https"):
            raise ValueError("base_url must be http(s)://host[:port][/prefix], was %r" % base_url)
        self._https = parsed.scheme == "https"
        self._host = parsed.hostname
        self._port = parsed.port
        self._prefix = parsed.path.rstrip("/")
        self._token = token
        self._timeout = timeout

    # -- transport ---------------------------------------------------------------------------

    def _connection(self):
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=self._timeout, blocksize=BLOCK)

    def _send(self, method, path, query=None, body=None, headers=None):
        url = self._prefix + path
        if query:
            pairs = [(k, v) for k, v in query.items() if v is not None]
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs, doseq=True)
        h = {"Accept": "application/json, application/problem+json"}
        if self._token:
            h["Authorization"] = "Bearer " + self._token
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        conn = self._connection()
        try:
            conn.request(method, url, body=body, headers=h)
            response = conn.getresponse()
        except BaseException:
            conn.close()
            raise
        if response.status >= 400:
            data = response.read()
            conn.close()
            try:
                problem = json.loads(data.decode("utf-8")) if data else {}
            except ValueError:
                problem = {"detail": data[:500].decode("utf-8", "replace")}
            raise GraftError(response.status, problem)
        return conn, response

    def _json(self, method, path, query=None, body=None, headers=None):
        conn, response = self._send(method, path, query, body, headers)
        try:
            data = response.read()
        finally:
            conn.close()
        return json.loads(data.decode("utf-8")) if data else None

    def _upload(self, path, file, query, idempotency_key):
        headers = {"Content-Type": "application/octet-stream"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        with open(file, "rb") as f:
            headers["Content-Length"] = str(os.fstat(f.fileno()).st_size)
            # http.client reads a file body in `blocksize` pieces: the file is streamed.
            return self._json("POST", path, query, f, headers)

    # -- checkpoints and architectures --------------------------------------------------------

    def upload_checkpoint(self, file, name=None, format=None, state_dict_path=None,
                          idempotency_key=None):
        """uploadCheckpoint: streams ``file`` (a torch.save file or safetensors). Returns the
        Checkpoint (the existing one when these bytes were stored before)."""
        name = name or os.path.basename(os.fspath(file))
        return self._upload("/api/v1/checkpoints", file,
                            {"name": name, "format": format, "stateDictPath": state_dict_path},
                            idempotency_key)

    def find_checkpoint(self, sha256):
        """listCheckpoints by SHA-256: the stored checkpoint holding these bytes, or None."""
        page = self._json("GET", "/api/v1/checkpoints", {"sha256": sha256, "size": 1})
        return page["items"][0] if page["items"] else None

    def get_checkpoint(self, checkpoint_id):
        """getCheckpoint."""
        return self._json("GET", "/api/v1/checkpoints/%s" % checkpoint_id)

    def upload_architecture(self, file, name=None, idempotency_key=None):
        """uploadArchitecture: a torch.save of a fresh model's state_dict(keep_vars=True), a
        TorchScript archive or safetensors, streamed."""
        name = name or os.path.basename(os.fspath(file))
        return self._upload("/api/v1/architectures", file, {"name": name}, idempotency_key)

    def create_architecture(self, document, idempotency_key=None):
        """createArchitecture: a JSON descriptor ``{"name", "entries": [...]}`` (see describe)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._json("POST", "/api/v1/architectures/documents", body=document,
                          headers=headers)

    # -- previews and runs ----------------------------------------------------------------------

    def create_preview(self, checkpoint_id, architecture_id, options=None, entries=None):
        """createPreview: the Report of what the load would do, from the indexes alone.

        ``entries="changed"`` lists only entries whose status is not LOADED (``"none"``: no
        entries); the summary and the other lists stay whole.
        """
        body = {"checkpointId": checkpoint_id, "architectureId": architecture_id}
        if options is not None:
            body["options"] = options
        path = "/api/v1/previews"
        if entries is not None:
            path += "?" + urllib.parse.urlencode({"entries": entries})
        return self._json("POST", path, body=body)

    def start_warm_start(self, checkpoint_id, architecture_id, output, options=None,
                         idempotency_key=None):
        """startWarmStart: queues a run; returns the Run (status QUEUED)."""
        body = {"checkpointId": checkpoint_id, "architectureId": architecture_id,
                "output": output}
        if options is not None:
            body["options"] = options
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._json("POST", "/api/v1/warm-starts", body=body, headers=headers)

    def get_warm_start(self, run_id):
        """getWarmStart."""
        return self._json("GET", "/api/v1/warm-starts/%s" % run_id)

    def get_warm_start_report(self, run_id):
        """getWarmStartReport: the Report as executed."""
        return self._json("GET", "/api/v1/warm-starts/%s/report" % run_id)

    def events(self, run_id, last_event_id=None):
        """getWarmStartEvents: the run's server-sent events as ``(id, event, data)`` tuples, data
        decoded from JSON: a ``progress`` event per heartbeat that moved, then one ``status`` event
        holding the whole run, after which the stream ends. ``last_event_id`` resumes after that
        event (the server answers 204 when it was the final one; nothing is yielded then)."""
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        conn, response = self._send("GET", "/api/v1/warm-starts/%s/events" % _q(run_id),
                                    headers=headers)
        try:
            if response.status == 204:
                return
            event_id, event, data = None, "message", []
            while True:
                raw = response.readline()
                if not raw:
                    return
                line = raw.decode("utf-8").rstrip("\r\n")
                if not line:
                    if data:
                        yield event_id, event, json.loads("\n".join(data))
                    event, data = "message", []
                    continue
                if line.startswith(":"):
                    continue
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "id":
                    event_id = value
                elif field == "event":
                    event = value
                elif field == "data":
                    data.append(value)
        finally:
            conn.close()

    def wait(self, run_id, timeout=3600, poll=0.5, progress=None):
        """Follows a run's event stream until it ends and returns the run; a dropped stream is
        resumed with ``Last-Event-ID``, and where the stream cannot be had (too many streams, an
        older server) the run is polled every ``poll`` seconds instead. ``progress`` (default:
        whether stderr is a terminal) draws a progress bar of the tensors done on stderr."""
        if progress is None:
            progress = sys.stderr.isatty()
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() <= deadline:
            try:
                for event_id, event, data in self.events(run_id, last):
                    last = event_id
                    if event == "status":
                        return self._ended(data, progress)
                    if progress:
                        _draw({"status": data.get("status", "RUNNING"), "progress": data})
                    if time.monotonic() > deadline:
                        break
                else:
                    # The stream ended without a status event (cut, or resumed after the end).
                    run = self.get_warm_start(run_id)
                    if run["status"] in TERMINAL:
                        return self._ended(run, progress)
            except (GraftError, OSError, http.client.HTTPException, ValueError) as e:
                if isinstance(e, GraftError) and e.status in (401, 403, 404):
                    raise
                run = self.get_warm_start(run_id)
                if run["status"] in TERMINAL:
                    return self._ended(run, progress)
                time.sleep(poll)
        raise TimeoutError("run %s did not end within %ss" % (run_id, timeout))

    @staticmethod
    def _ended(run, progress):
        if progress:
            _draw(run)
            sys.stderr.write("\n")
        return run

    # -- registry -------------------------------------------------------------------------------

    def get_model(self, name):
        """getModel."""
        return self._json("GET", "/api/v1/models/%s" % _q(name))

    def get_model_version(self, model, version):
        """getModelVersion."""
        return self._json("GET", "/api/v1/models/%s/versions/%d" % (_q(model), version))

    def download_artifact(self, model, version, format, dest, alias=None):
        """downloadArtifact (or downloadArtifactByAlias when ``alias`` is given, ``version`` then
        ignored): streams the file to ``dest`` and checks its SHA-256 against the ETag. Returns
        ``dest``."""
        if alias is not None:
            path = "/api/v1/models/%s/aliases/%s/artifacts/%s" % (_q(model), _q(alias), _q(format))
        else:
            path = "/api/v1/models/%s/versions/%d/artifacts/%s" % (_q(model), version, _q(format))
        conn, response = self._send("GET", path, headers={"Accept": "*/*"})
        digest = hashlib.sha256()
        try:
            with open(dest, "wb") as out:
                while True:
                    block = response.read(BLOCK)
                    if not block:
                        break
                    digest.update(block)
                    out.write(block)
        finally:
            conn.close()
        etag = (response.getheader("ETag") or "").strip('"')
        if etag and etag != digest.hexdigest():
            raise IOError("download of %s is corrupt: SHA-256 %s, ETag %s"
                          % (path, digest.hexdigest(), etag))
        return dest


def sha256_of(file):
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        while True:
            block = f.read(BLOCK)
            if not block:
                return digest.hexdigest()
            digest.update(block)


def _q(segment):
    return urllib.parse.quote(str(segment), safe="")


def _draw(run):
    p = run.get("progress") or {}
    total = p.get("tensorsTotal") or 0
    done = p.get("tensorsDone") or 0
    width = 30
    filled = int(width * done / total) if total else 0
    sys.stderr.write("\r%-9s [%s%s] %d/%d tensors" % (
        run["status"], "#" * filled, "." * (width - filled), done, total))
    sys.stderr.flush()
