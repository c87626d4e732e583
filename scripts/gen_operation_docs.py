#!/usr/bin/env python3
"""Regenerate core/api/operation_docs.json: the summary and description of every documented
operation, taken from the API seeds, for the OpenAPI document (core/api/schema.py reads the
JSON at run time; nothing outside the repository is read then).

    python scripts/gen_operation_docs.py [--shared ../shared] [--output core/api/operation_docs.json]

Sources (in shared/):
  spec/endpoints.json + seeds/001_*.txt   the Repzo operations (served under /v1): the summary
                                          is the seed line the spec points at, the description
                                          the lines between it and "Authorizations:".
  seeds/000_*.txt                          the Aiwyn client API: each "Request" block's title and
                                          first paragraph.
  seeds/002_*.txt                          the CRM client API: each operation's title (a line
                                          followed by its HTTP method).

Keys are "METHOD /path" as served, with every path parameter written `{id}`.
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("get", "post", "put", "patch", "delete")


def normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def repzo_operations(shared: Path) -> dict:
    spec = json.loads((shared / "spec" / "endpoints.json").read_text())
    seed_path = next((shared / "seeds").glob("001_*.txt"))
    lines = seed_path.read_text().split("\n")
    docs = {}
    for op in spec["operations"]:
        index = op["seed_line"] - 1
        summary = clean(op["summary"])
        if clean(lines[index]) != summary:
            raise SystemExit(f"{seed_path.name}:{op['seed_line']}: expected {summary!r}, found {lines[index]!r}")
        description = []
        for line in lines[index + 1 :]:
            if line.startswith("Authorizations:") or line.startswith("Request Body schema") or line == "Responses":
                break
            if line.strip():
                description.append(line.strip())
        entry = {"summary": summary, "description": clean(" ".join(description))}
        docs[f"{op['method'].upper()} /v1{normalise(op['path'])}"] = entry
    return docs


AIWYN_PATHS = ["POST /gql/v1/clients", "POST /gql/v1/clients/search", "GET /gql/v1/client/{id}"]


def aiwyn_operations(shared: Path) -> dict:
    lines = next((shared / "seeds").glob("000_*.txt")).read_text().split("\n")
    blocks = [i for i, line in enumerate(lines) if line.strip() == "Request"]
    if len(blocks) != len(AIWYN_PATHS):
        raise SystemExit(f"seed 000: expected {len(AIWYN_PATHS)} operations, found {len(blocks)}")
    docs = {}
    for key, start in zip(AIWYN_PATHS, blocks, strict=True):
        summary = clean(lines[start + 1])
        # The first paragraph only (with its list when it introduces one): the sections after
        # it describe the vendor's service (performance figures, staging hosts), not this one.
        description = ""
        in_list = False
        for line in lines[start + 2 :]:
            text = line.strip()
            bullet = text.startswith("- ")
            if bullet and (in_list or description.endswith(":")):
                description += "\n" + text
                in_list = True
                continue
            if not text or bullet or in_list or (description and text.endswith(":")):
                break
            description += (" " if description else "") + text
        docs[key] = {"summary": summary, "description": description}
    return docs


def crm_operations(shared: Path) -> dict:
    lines = [line.strip() for line in next((shared / "seeds").glob("002_*.txt")).read_text().split("\n")]
    titles = [
        (i, lines[i - 2])
        for i, line in enumerate(lines[:-1])
        if line in METHODS and i >= 2 and lines[i - 1] == "" and not lines[i + 1].startswith("/")
    ]
    docs = {}
    for n, (i, title) in enumerate(titles):
        end = titles[n + 1][0] if n + 1 < len(titles) else len(lines)
        on_item = "Path parameters" in lines[i:end]
        path = "/clients/{id}" if on_item else "/clients"
        docs[f"{lines[i].upper()} {path}"] = {"summary": title, "description": ""}
    if len(docs) != 7:
        raise SystemExit(f"seed 002: expected 7 operations, found {sorted(docs)}")
    return docs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared/ folder")
    parser.add_argument("--output", type=Path, default=ROOT / "core" / "api" / "operation_docs.json")
    args = parser.parse_args(argv)
    if not (args.shared / "spec" / "endpoints.json").is_file():
        fallback = Path("/work/shared")
        if not (fallback / "spec" / "endpoints.json").is_file():
            parser.error(f"no spec/endpoints.json under {args.shared}")
        args.shared = fallback
    docs = {**repzo_operations(args.shared), **aiwyn_operations(args.shared), **crm_operations(args.shared)}
    text = json.dumps(dict(sorted(docs.items())), indent=1, ensure_ascii=False) + "\n"
    args.output.write_text(text)
    print(f"{args.output}: {len(docs)} operations", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
