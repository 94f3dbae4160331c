"""``credgraph issue SPEC --learners learners.csv --out DIR``: sealed European Digital Credentials from the catalogue."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from credgraph.graph.issuing import batch as issue_batch
from credgraph.graph.issuing import credential as issuing
from credgraph.graph.issuing import learners_csv
from credgraph.graph.issuing import sealing
from credgraph.graph.workspace import Workspace
from credgraph.settings import read_secret

RAW = argparse.RawDescriptionHelpFormatter


def register(commands, imports) -> None:
    """Add ``issue``."""
    p = commands.add_parser(
        "issue",
        help="issue sealed European Digital Credentials for a specification of the catalogue",
        formatter_class=RAW,
        description="Issue one European Digital Credential (ELM 3.1 JSON-LD, the EC's structure) per learner\n"
        "of LEARNERS.csv (columns: docs/issuing.md) for the specification SPEC of the catalogue,\n"
        "sealed with the provider's key and certificate chain (JAdES-style JWS JSON, unencoded\n"
        "payload, x5c, sigT; RS256, PS256 or ES256), or --unsealed in the EDC issuer's upload\n"
        "form {\"credential\": ...} for providers who seal in the EC's own issuer.\n\n"
        "Nothing is issued if any learner row has a problem (they are listed by row and\n"
        "column) unless --skip-invalid, nor if the credential would miss a mandatory Annex I\n"
        "element or break the EC EDC-generic-no-cv profile. The credentials are recorded in\n"
        "the store as if imported (pseudonymised record; personal data in the private store).\n"
        "The same learner_id and specification always get the same credential id unless\n"
        "--reissue. Files are named by credential id; DIR/issued.csv maps rows to files.\n"
        "--check runs every check and prints the validation reports, and issues nothing.\n\n"
        "SPEC: a specification IRI, or provider/ID as in the catalogue CSV.\n\n"
        "Examples:\n"
        "  credgraph issue hs-beispielstadt/DS-101 --learners passed.csv --out issued/ \\\n"
        "      --key seal-key.pem --cert seal-chain.pem --alg ES256\n"
        "  credgraph issue hs-beispielstadt/DS-101 --learners passed.csv --out issued/ --key seal.p12 \\\n"
        "      --password-env SEAL_PASSWORD\n"
        "  credgraph issue hs-beispielstadt/DS-101 --learners passed.csv --out upload/ --unsealed \\\n"
        "      --legal-id DE:HRB-12345",
    )
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--learners", required=True, metavar="LEARNERS.csv")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--key", metavar="FILE", help="private key (PEM) or PKCS#12 file (.p12/.pfx) with the certificate")
    p.add_argument("--cert", metavar="FILE", help="certificate chain (PEM, the seal certificate first)")
    p.add_argument("--password-env", metavar="VAR", help="environment variable holding the key's password")
    p.add_argument("--alg", choices=sealing.ALGORITHMS, help="signature algorithm (default: ES256 for EC keys, RS256 for RSA)")
    p.add_argument("--unsealed", action="store_true", help="write the EDC upload form {\"credential\": ...} instead of sealing")
    p.add_argument("--legal-id", metavar="CC:NUMBER", help="the issuer's eIDAS legal identifier when the certificate carries none")
    p.add_argument("--skip-invalid", action="store_true", help="issue the good rows of a file with bad rows")
    p.add_argument("--reissue", action="store_true", help="new credential ids for learners issued before")
    p.add_argument("--check", action="store_true", help="only check learners, key and specification (validation reports); issue nothing")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="processes that build and seal (default 1)")
    p.set_defaults(func=cmd_issue)


def cmd_issue(ws: Workspace, args) -> int:
    if args.unsealed == bool(args.key):
        raise ValueError("give either --key (with --cert unless PKCS#12) to seal, or --unsealed")
    sealer = None
    if args.key:
        password = None
        if args.password_env:
            secret = read_secret(args.password_env)
            if secret is None:
                raise ValueError(f"--password-env {args.password_env}: no such environment variable")
            password = secret.encode("utf-8")
        sealer = sealing.Sealer(sealing.load_sealing_key(args.key, args.cert, password=password, algorithm=args.alg))
    path = Path(args.learners)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror})") from None
    learners = learners_csv.parse_learners(data, str(path), ws.settings.max_document_bytes)
    options = issue_batch.IssueOptions(skip_invalid=args.skip_invalid, reissue=args.reissue, workers=max(1, args.jobs), check_only=args.check,
                                       legal_id=issuing.parse_legal_identifier(args.legal_id) if args.legal_id else None)
    try:
        result = issue_batch.issue_credentials(ws, args.spec, learners, args.out, sealer, options)
    except issue_batch.IssueProblems as exc:
        if len(exc.problems) == 1:
            problem = exc.problems[0]
            print(f"credgraph: error: {problem}" + ("" if problem.endswith("nothing issued") else "; nothing issued"), file=sys.stderr)
            return 1
        for problem in exc.problems:
            print(f"credgraph: {problem}", file=sys.stderr)
        print(f"credgraph: error: nothing issued ({len(exc.problems)} problem(s))", file=sys.stderr)
        return 1
    for problem in result.skipped:
        print(f"skipped: {problem}", file=sys.stderr)
    recorded = result.recorded
    counts = ""
    if recorded is not None:
        counts = f"; recorded: {recorded.count('imported')} new, {recorded.count('replaced', 'unchanged')} re-issued (same id)"
    if args.check:
        print(f"checked: {len(learners.learners)} learner(s) can be issued for {result.spec}; nothing issued (--check)")
    else:
        print(f"issued {len(result.credentials)} credential(s), {result.form}, for {result.spec} into {result.out_dir}{counts}")
    for filled, reports in (result.shapes.reports.items() if result.shapes else []):
        annex = reports[issuing.ANNEX_I_PROFILE]
        print(f"  checked once for learners filling {', '.join(filled) or 'only the required columns'} "
              f"(row {result.shapes.rows[filled]}): EDC-generic-no-cv conforms; Annex I present "
              f"{' '.join(annex.elements_present())}; not stated {' '.join(annex.elements_missing()) or '-'}")
    return 0
