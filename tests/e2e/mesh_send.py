#!/usr/bin/env python3
"""Sends files to a MESH mailbox as a hospital would, with NHS's mesh_client (end-to-end tests).

Usage: mesh_send.py --url URL --mailbox FROM --password PW --shared-key KEY --to MB
                    --workflow WF FILE...
Prints {"messages": [{"file": ..., "id": ...}]} on stdout.
"""
import argparse
import json
import sys

from mesh_client import MeshClient


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--mailbox", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--shared-key", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--workflow", required=True)
    p.add_argument("files", nargs="+")
    a = p.parse_args()
    out = []
    with MeshClient(a.url, a.mailbox, a.password, shared_key=a.shared_key.encode(), max_retries=0) as client:
        client.handshake()
        for path in a.files:
            with open(path, "rb") as f:
                data = f.read()
            content_type = "application/fhir+json" if path.endswith(".json") else "application/fhir+xml"
            msg_id = client.send_message(a.to, data, workflow_id=a.workflow, content_type=content_type)
            out.append({"file": path, "id": msg_id})
    print(json.dumps({"messages": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
