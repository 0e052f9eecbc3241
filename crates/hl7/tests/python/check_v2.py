"""Independent checks of Hemaflow's HL7 v2.5 by libraries we did not write.

    check_v2.py validate FILE...        each file (ER7, CR-separated) must pass hl7apy STRICT
                                        validation as v2.5 and parse with python-hl7
    check_v2.py send HOST:PORT FILE     FILE (an OMB^O27) is validated, sent over MLLP with
                                        python-hl7's client, and the answer validated; prints
                                        one JSON line: message type, MSA-1, MSA-2, ORC-3, ERR-8

Exit 0 when every check passed, 1 otherwise (the reason on standard error).
"""

import json
import sys

import hl7
from hl7.client import MLLPClient
from hl7apy.core import Message
from hl7apy.parser import parse_message


def strict(text):
    """hl7apy STRICT (validation_level=2) parse and structure check; the message."""
    message = parse_message(text, validation_level=2, find_groups=True)
    message.validate()
    return message


def lenient(text):
    """python-hl7's parse (a second, forgiving reader)."""
    return hl7.parse(text)


def read(path):
    # newline="" keeps the CRs: universal newlines would turn them into LF (STACK.md trap).
    with open(path, newline="") as handle:
        return handle.read()


def validate(paths):
    for path in paths:
        text = read(path)
        message = strict(text)
        parsed = lenient(text)
        print("OK", path, message.name, str(parsed.segment("MSH")[9]))


def field(message, segment, number, component=None):
    try:
        value = message.segment(segment)[number]
    except (KeyError, IndexError):
        return ""
    if component is not None:
        try:
            return str(value[0][component - 1])
        except IndexError:
            return ""
    return str(value)


def send(address, path):
    host, port = address.rsplit(":", 1)
    text = read(path)
    strict(text)
    with MLLPClient(host, int(port)) as client:
        answer = client.send_message(text)
    answer = answer.decode("utf-8") if isinstance(answer, bytes) else str(answer)
    reply = strict(answer)
    parsed = lenient(answer)
    summary = {
        "structure": reply.name,
        "type": str(parsed.segment("MSH")[9]),
        "msa1": field(parsed, "MSA", 1),
        "msa2": field(parsed, "MSA", 2),
        "order_id": field(parsed, "ORC", 3, 1) if any(s[0][0] == "ORC" for s in parsed) else "",
        "err8": field(parsed, "ERR", 8) if any(s[0][0] == "ERR" for s in parsed) else "",
        "er7": answer,
    }
    print(json.dumps(summary))


def main(argv):
    if len(argv) >= 2 and argv[0] == "validate":
        validate(argv[1:])
    elif len(argv) == 3 and argv[0] == "send":
        send(argv[1], argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as error:  # any failure of a check is a failed check, said plainly
        print(f"check failed: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
