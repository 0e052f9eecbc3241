"""Validates FHIR R5 resources with fhir.resources (an implementation Hemaflow did not write).

Reads a JSON array of resources on stdin; prints one line per resource; exits 1 if any is
invalid, 3 if fhir.resources is not installed.
"""
import json
import sys

try:
    import fhir.resources
    from fhir.resources import get_fhir_model_class
except ImportError as error:
    print(f"fhir.resources is not installed: {error}", file=sys.stderr)
    sys.exit(3)

failed = False
for resource in json.load(sys.stdin):
    kind = resource.get("resourceType", "?")
    try:
        get_fhir_model_class(kind).model_validate(resource)
        print(f"ok {kind}/{resource.get('id', '')}")
    except Exception as error:  # the validator's own message is the report
        failed = True
        print(f"INVALID {kind}/{resource.get('id', '')}: {error}")
print(f"fhir.resources {fhir.resources.__version__}", file=sys.stderr)
sys.exit(1 if failed else 0)
