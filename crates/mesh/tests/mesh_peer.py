#!/usr/bin/env python3
"""Python side of handover-mesh's integration tests: NHS's mesh_client acting as
the hospital (sending) or as a second mailbox (receiving).

Usage:
  mesh_peer.py --url URL --mailbox MB --password PW --shared-key KEY send \
      --to MB --workflow WF [--count N] [--size BYTES] [--random] [--chunk-size BYTES]
      [--compress] [--subject S] [--local-id-prefix P] [--content-type T]
  mesh_peer.py ... send-split-gzip --to MB --workflow WF --size BYTES --pieces N
      (one gzip stream of the whole message, cut into N raw chunks, each sent
      with Content-Encoding: gzip: the non-spec form a receiver must also handle)
  mesh_peer.py ... inbox
  mesh_peer.py ... receive [--ack]

Every command prints one JSON object on stdout.
"""
import argparse
import gzip
import hashlib
import json
import os
import sys

from mesh_client import MeshClient


def body_for(i: int, size: int | None, random: bool) -> bytes:
    if size is None:
        return f'<Bundle xmlns="http://hl7.org/fhir"><id value="msg-{i}"/></Bundle>'.encode()
    if random:
        return os.urandom(size)
    line = f"discharge summary line for message {i}: the patient is well.\n".encode()
    return (line * (size // len(line) + 1))[:size]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--mailbox", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--shared-key", required=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("--to", required=True)
    s.add_argument("--workflow", required=True)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--size", type=int)
    s.add_argument("--random", action="store_true")
    s.add_argument("--chunk-size", type=int)
    s.add_argument("--compress", action="store_true")
    s.add_argument("--subject")
    s.add_argument("--local-id-prefix")
    s.add_argument("--content-type")
    g = sub.add_parser("send-split-gzip")
    g.add_argument("--to", required=True)
    g.add_argument("--workflow", required=True)
    g.add_argument("--size", type=int, required=True)
    g.add_argument("--pieces", type=int, required=True)
    sub.add_parser("inbox")
    r = sub.add_parser("receive")
    r.add_argument("--ack", action="store_true")
    a = p.parse_args()

    with MeshClient(
        a.url, a.mailbox, a.password, shared_key=a.shared_key.encode(), max_retries=0
    ) as client:
        client.handshake()
        if a.cmd == "send":
            out = []
            for i in range(a.count):
                data = body_for(i, a.size, a.random)
                kwargs = {"workflow_id": a.workflow}
                if a.subject:
                    kwargs["subject"] = a.subject
                if a.local_id_prefix:
                    kwargs["local_id"] = f"{a.local_id_prefix}{i}"
                if a.content_type:
                    kwargs["content_type"] = a.content_type
                msg_id = client.send_message(
                    a.to, data, max_chunk_size=a.chunk_size, compress=a.compress, **kwargs
                )
                out.append(
                    {"id": msg_id, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                )
            print(json.dumps({"messages": out}))
        elif a.cmd == "send-split-gzip":
            data = body_for(0, a.size, False)
            stream = gzip.compress(data)
            step = -(-len(stream) // a.pieces)
            pieces = [stream[i : i + step] for i in range(0, len(stream), step)]
            total = len(pieces)
            msg_id = None
            for k, piece in enumerate(pieces, start=1):
                headers = MeshClient._headers_for_chunk(
                    recipient=a.to,
                    chunk_num=k,
                    total_chunks=total,
                    compress=True,
                    workflow_id=a.workflow,
                )
                url = f"{client.mailbox_url}/outbox" + (f"/{msg_id}/{k}" if k > 1 else "")
                resp = client._session.post(url, data=piece, headers=headers)
                resp.raise_for_status()
                if k == 1:
                    msg_id = resp.json()["message_id"]
            out = {"id": msg_id, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            print(json.dumps({"messages": [out], "pieces": total}))
        elif a.cmd == "inbox":
            print(json.dumps({"messages": client.list_messages()}))
        elif a.cmd == "receive":
            out = []
            for msg_id in client.list_messages():
                msg = client.retrieve_message(msg_id)
                data = msg.read()
                out.append(
                    {
                        "id": msg_id,
                        "sha256": hashlib.sha256(data).hexdigest(),
                        "size": len(data),
                        "sender": getattr(msg, "sender", None),
                        "workflow_id": getattr(msg, "workflow_id", None),
                        "subject": getattr(msg, "subject", None),
                        "local_id": getattr(msg, "local_id", None),
                        "content_type": getattr(msg, "content_type", None),
                    }
                )
                if a.ack:
                    msg.acknowledge()
            print(json.dumps({"messages": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
