"""Reads a Prometheus text exposition on standard input with the Prometheus project's own
Python parser and prints every sample as a JSON line: [name, labels, value].

Exit 3 when the parser is not installed (pip install -r crates/web/tests/requirements.txt),
1 when the text does not parse."""

import json
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError as error:
    print(f"missing Python module: {error.name}", file=sys.stderr)
    sys.exit(3)

try:
    for family in text_string_to_metric_families(sys.stdin.read()):
        for sample in family.samples:
            print(json.dumps([sample.name, sample.labels, sample.value]))
except Exception as error:  # the parser raises ValueError and others on bad text
    print(f"the exposition does not parse: {error}", file=sys.stderr)
    sys.exit(1)
