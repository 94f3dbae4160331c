"""``POST /api/v1/issue``: sealed credentials for a specification and its learners (issuer key of the awarding body).

The signing key never travels: each awarding body's key and certificate chain
are configured on the server, in ``<data>/sealing-keys.json`` (or the file
named by ``CREDGRAPH_SEALING_KEYS``)::

    {"keys": [{"organisation": "https://w3id.org/credgraph/id/org/hs-beispielstadt",
               "key": "/etc/credgraph/hs-seal-key.pem", "cert": "/etc/credgraph/hs-seal-chain.pem",
               "algorithm": "ES256", "password_env": "HS_SEAL_PASSWORD"}]}

An issuer key issues only for specifications awarded by one of the providers
it names (``providers`` in the key file, ``credgraph keys add --provider``);
an admin key issues for any. The learners come as
``text/csv`` (the learners file of docs/issuing.md, ``?specification=`` in the
query) or as JSON ``{"specification": ..., "learners": [{column: value}, ...]}``
(``learners[i]`` is reported as row ``i + 2``, as in the CSV). The answer is the
sealed credential for one learner, a zip (credentials + ``issued.csv``) for
several (at most ``MAX_LEARNERS`` a request); problems are a 422 problem
document listing every one.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from credgraph.api.access import Caller, require
from credgraph.api.problems import Problem
from credgraph.graph.issuing import batch as issue_batch
from credgraph.graph.issuing import credential as issuing
from credgraph.graph.issuing import learners_csv
from credgraph.graph.issuing import sealing
from credgraph.settings import read_secret

router = APIRouter()
MAX_LEARNERS = 1000  # per request: bounds the work and the zip one request may ask for (larger files: the CLI)


def sealing_keys_file(request: Request) -> Path:
    """The sealing key settings of the server (:attr:`credgraph.settings.Settings.sealing_keys_file`)."""
    return request.app.state.workspace.settings.sealing_keys_file


def sealer_for(path: Path, organisation: str) -> sealing.Sealer | None:
    """The configured sealer of ``organisation``, checked now (None: no key configured for it)."""
    if not path.exists():
        return None
    try:
        entries = json.loads(path.read_text(encoding="utf-8")).get("keys", [])
    except (OSError, json.JSONDecodeError, AttributeError) as exc:
        raise Problem(500, f"the server's sealing key settings cannot be read ({type(exc).__name__})", type_="server-settings") from exc
    for entry in entries:
        if entry.get("organisation") == organisation:
            # The file names the variable that holds the key's password, never the password itself.
            password = (read_secret(entry["password_env"]) or "").encode("utf-8") if entry.get("password_env") else None
            try:
                key = sealing.load_sealing_key(entry["key"], entry.get("cert"), password=password, algorithm=entry.get("algorithm"))
            except sealing.SealingError as exc:
                # The key is the server's: say what is wrong with it, not where it lives.
                raise Problem(409, f"the sealing key configured for {organisation} cannot seal: "
                                   f"{str(exc).split(': ', 1)[-1]}", type_="sealing-key-unusable") from exc
            return sealing.Sealer(key)
    return None


def _learners_from_json(body: object) -> tuple[str, bytes]:
    if not isinstance(body, dict) or not isinstance(body.get("specification"), str) or not isinstance(body.get("learners"), list):
        raise Problem(400, 'send {"specification": "...", "learners": [{"learner_id": ..., ...}, ...]}', type_="invalid-request")
    extra = sorted(set(body) - {"specification", "learners"})
    if extra:
        raise Problem(400, f"unknown field(s) {', '.join(repr(e[:40]) for e in extra[:5])}: send specification and learners only "
                           "(the signing key is configured on the server, never sent)", type_="invalid-request")
    rows = body["learners"]
    if not all(isinstance(r, dict) and all(isinstance(v, str) for v in r.values()) for r in rows):
        raise Problem(400, "each learner is an object of column names to strings (docs/issuing.md)", type_="invalid-request")
    columns = list(learners_csv.COLUMNS)
    unknown = sorted({k for r in rows for k in r} - set(columns))
    if unknown:
        raise Problem(400, f"unknown learner field(s) {', '.join(repr(u[:40]) for u in unknown[:5])} (docs/issuing.md)", type_="invalid-request")
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r.get(c, "") for c in columns])
    return body["specification"], text.getvalue().encode("utf-8")


@router.post("/issue", tags=["Documents"], summary="Issue sealed credentials for learners of a specification (issuer key)")
async def issue(request: Request, who: Caller = Depends(require("issuer", "admin"))):
    """Build, validate, seal and record one credential per learner; answer them (a zip for several)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media in ("text/csv", "application/csv"):
        spec_ref = request.query_params.get("specification", "")
        if not spec_ref:
            raise Problem(400, "name the specification: ?specification=IRI (or provider/ID)", type_="invalid-request")
        data, name = body, "learners.csv"
    elif media == "application/json":
        try:
            spec_ref, data = _learners_from_json(json.loads(body))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Problem(400, "the request body is not JSON", type_="invalid-request") from exc
        name = "learners"
    else:
        raise Problem(415, f"send the learners as text/csv or application/json; got {media or 'no Content-Type'}",
                      type_="unsupported-media-type")
    workspace = request.app.state.workspace
    skip_invalid = request.query_params.get("skip_invalid") in ("1", "true")
    reissue = request.query_params.get("reissue") in ("1", "true")

    def run():
        spec = issuing.load_specification(workspace.store, issuing.resolve_spec_iri(spec_ref))
        body_iri = spec.body["id"]
        allowed = who.may_write_for()
        if allowed is not None and body_iri not in allowed:
            raise Problem(403, f"this issuer key may not issue for {body_iri} (it names "
                               f"{', '.join(sorted(allowed)) or 'no provider'})", type_="forbidden-provider")
        sealer = sealer_for(sealing_keys_file(request), body_iri)
        if sealer is None:
            raise Problem(409, f"no sealing key is configured on the server for {body_iri}", type_="no-sealing-key")
        learners = learners_csv.parse_learners(data, name, workspace.settings.max_document_bytes)
        rows = len(learners.learners) + len(learners.bad_rows)
        if rows > MAX_LEARNERS:
            raise Problem(413, f"{rows:,} learners in one request; at most {MAX_LEARNERS:,} (send several requests, or use "
                               "credgraph issue)", type_="too-many-learners")
        with tempfile.TemporaryDirectory(prefix="credgraph-issue-") as tmp:
            result = issue_batch.issue_credentials(workspace, spec_ref, learners, Path(tmp) / "out", sealer,
                                                   issue_batch.IssueOptions(skip_invalid=skip_invalid, reissue=reissue))
            out = Path(result.out_dir)
            if len(result.credentials) == 1:
                return result, (out / result.credentials[0].file).read_bytes(), result.credentials[0].file
            archive = io.BytesIO()
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
                for item in result.credentials:
                    z.write(out / item.file, item.file)
                z.write(out / issue_batch.MANIFEST, issue_batch.MANIFEST)
            return result, archive.getvalue(), "credentials.zip"

    try:
        result, payload, filename = await run_in_threadpool(run)
    except issue_batch.IssueProblems as exc:
        return JSONResponse({"type": "https://w3id.org/credgraph/problems/nothing-issued", "title": "Unprocessable Content",
                             "status": 422, "detail": str(exc), "problems": exc.problems},
                            status_code=422, media_type="application/problem+json")
    except (issuing.IssueError, ValueError) as exc:
        raise Problem(422 if isinstance(exc, issuing.IssueError) else 400, str(exc), type_="nothing-issued") from exc
    headers = {"Content-Disposition": f'attachment; filename="{filename}"',
               "X-Credgraph-Issued": str(len(result.credentials)), "X-Credgraph-Skipped": str(len(result.skipped))}
    media_type = "application/json" if filename.endswith(".jsonld") else "application/zip"
    return Response(payload, status_code=201, media_type=media_type, headers=headers)
