"""Reads E1381 transcripts (raw bytes as sent on the wire) with python-astm (the astm-2025
fork) and prints what it found as JSON: every message's records as python-astm decodes them,
and every frame checked.

Checks made here, independently of Hemaflow's own code:
- each frame is at most 247 bytes, starts with STX, ends CR LF;
- its checksum is python-astm's `make_checksum` of FN..ETX/ETB (the fork only logs a
  mismatch, so the comparison is made here); a frame with a wrong checksum must be followed
  by the same frame resent with the right one (the receiver NAKed it);
- frame numbers start at 1 after each ENQ and go on modulo 8;
- records cut into ETB frames join into one record, which `decode_record` reads.

Usage: check_frames.py FILE...  (exit 1 and a message on the first failure)
"""

import json
import sys

from astm import codec

STX, ETX, EOT, ENQ, ACK, NAK, ETB, CR, LF = 2, 3, 4, 5, 6, 0x15, 0x17, 13, 10


def frames_of(data):
    """(kind, bytes) items: 'frame' for STX..LF, 'enq' for an ENQ outside a frame."""
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == STX:
            end = data.find(bytes([LF]), i)
            if end < 0:
                yield "partial", data[i:]
                return
            yield "frame", data[i:end + 1]
            i = end + 1
            continue
        if byte == ENQ:
            yield "enq", b""
        i += 1


def check(path):
    data = open(path, "rb").read()
    messages, records, partial = [], [], b""
    expected, bad, good, pending_bad = 1, 0, 0, None
    for kind, frame in frames_of(data):
        if kind == "enq":
            expected, partial, records = 1, b"", []
            continue
        if kind == "partial":
            continue
        assert len(frame) <= 247, f"{path}: frame of {len(frame)} bytes"
        assert frame.endswith(b"\r\n"), f"{path}: frame without CR LF: {frame!r}"
        end = max(frame.rfind(bytes([ETX])), frame.rfind(bytes([ETB])))
        body, sent = frame[1:end + 1], frame[end + 1:-2]
        if sent != codec.make_checksum(body):
            bad += 1
            pending_bad = body
            continue
        if pending_bad is not None:
            assert body == pending_bad, f"{path}: a NAKed frame was not resent as it was"
            pending_bad = None
        seq, decoded, _ = codec.decode_message(frame, "latin-1")
        if seq == (expected + 7) % 8:
            continue  # the same frame again after a lost ACK
        assert seq == expected, f"{path}: frame number {seq}, expected {expected}"
        expected = (expected + 1) % 8
        good += 1
        partial += body[1:-1]
        if body[-1] == ETX:
            for text in partial.split(b"\r"):
                if text:
                    record = codec.decode_record(text, "latin-1")
                    records.append(record)
                    if record[0] == "L":
                        messages.append(records)
                        records = []
            partial = b""
    assert pending_bad is None, f"{path}: a bad frame was never resent"
    return {"messages": messages, "frames": good, "bad_checksums": bad}


def main():
    print(json.dumps({path: check(path) for path in sys.argv[1:]}))


if __name__ == "__main__":
    main()
