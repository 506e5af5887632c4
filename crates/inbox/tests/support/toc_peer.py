#!/usr/bin/env python3
"""The hospital side of handover-inbox's end-to-end tests: NHS's mesh_client sending prepared
Transfer of Care messages, and reading the ITK3 responses that come back.

Usage:
  toc_peer.py --url URL --mailbox MB --password PW --shared-key KEY send --manifest FILE
      FILE is a JSON array of {"path", "to", "workflow", "chunk_size"?, "compress"?,
      "local_id"?, "subject"?, "content_type"?, "precompressed"?, "gzip_bomb_bytes"?};
      prints {"messages": [{"id", "size"}]}.
      "precompressed": the file is sent as it is, as one chunk, declared gzip-encoded
      (Content-Encoding: gzip), through mesh_client's own headers and session: how a sender
      with a broken gzip encoder would send it.
      "gzip_bomb_bytes": N: instead of a file, a gzip stream of N zero bytes (about N/1000
      bytes on the wire) is sent, declared gzip-encoded.
  toc_peer.py ... receive [--ack]
      prints {"messages": [{"id", "workflow_id", "local_id", "subject", "sender", "body"}]}
      (body as UTF-8 text, replacement characters for anything else)
  toc_peer.py ... inbox
      prints {"messages": [ids]}
"""
import argparse
import json
import sys
import zlib

from mesh_client import MeshClient


def gzip_of_zeros(n: int) -> bytes:
    """A gzip stream of n zero bytes, built a megabyte at a time."""
    enc = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = []
    left = n
    while left > 0:
        take = min(left, len(block))
        parts.append(enc.compress(block[:take]))
        left -= take
    parts.append(enc.flush())
    return b"".join(parts)


def send_encoded(client, to: str, data: bytes, kwargs) -> str:
    """Sends bytes that are already gzip-encoded, as one chunk, with mesh_client's headers
    (including its authorisation) and session, declaring them gzip (Content-Encoding)."""
    headers = client._headers_for_chunk(
        recipient=to, chunk_num=1, total_chunks=1, compress=True, **kwargs
    )
    response = client._session.post(
        f"{client.mailbox_url}/outbox", data=data, headers=headers, timeout=client._timeout
    )
    response.raise_for_status()
    return response.json()["message_id"]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--mailbox", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--shared-key", required=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("--manifest", required=True)
    r = sub.add_parser("receive")
    r.add_argument("--ack", action="store_true")
    sub.add_parser("inbox")
    a = p.parse_args()

    with MeshClient(
        a.url, a.mailbox, a.password, shared_key=a.shared_key.encode(), max_retries=0
    ) as client:
        client.handshake()
        if a.cmd == "send":
            with open(a.manifest) as f:
                manifest = json.load(f)
            out = []
            for item in manifest:
                kwargs = {"workflow_id": item["workflow"]}
                for key in ("local_id", "subject", "content_type"):
                    if item.get(key):
                        kwargs[key] = item[key]
                if item.get("gzip_bomb_bytes") or item.get("precompressed"):
                    if item.get("gzip_bomb_bytes"):
                        data = gzip_of_zeros(int(item["gzip_bomb_bytes"]))
                    else:
                        with open(item["path"], "rb") as f:
                            data = f.read()
                    msg_id = send_encoded(client, item["to"], data, kwargs)
                    out.append({"id": msg_id, "size": len(data)})
                    continue
                with open(item["path"], "rb") as f:
                    data = f.read()
                msg_id = client.send_message(
                    item["to"],
                    data,
                    max_chunk_size=item.get("chunk_size") or 75 * 1024 * 1024,
                    compress=bool(item.get("compress")),
                    **kwargs,
                )
                out.append({"id": msg_id, "size": len(data)})
            print(json.dumps({"messages": out}))
        elif a.cmd == "receive":
            out = []
            for msg_id in client.list_messages():
                msg = client.retrieve_message(msg_id)
                data = msg.read()
                out.append(
                    {
                        "id": msg_id,
                        "workflow_id": getattr(msg, "workflow_id", None),
                        "local_id": getattr(msg, "local_id", None),
                        "subject": getattr(msg, "subject", None),
                        "sender": getattr(msg, "sender", None),
                        "body": data.decode("utf-8", "replace"),
                    }
                )
                if a.ack:
                    msg.acknowledge()
            print(json.dumps({"messages": out}))
        elif a.cmd == "inbox":
            print(json.dumps({"messages": client.list_messages()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
