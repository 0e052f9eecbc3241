"""The server's OpenAPI document read by clients we did not write.

Validates the document with openapi-spec-validator, generates a Python client from it with
openapi-python-client, and uses that client against the running server: a hospital user
signs in, places an order and reads it back; a blood-establishment user looks a unit up by
the scan of its DIN; refusals come back as typed problems.

Then every read of the API, and a command's answer, is checked against the schema the
document gives for its status (openapi-schema-validator, JSON Schema 2020-12 as OpenAPI 3.1
uses it), so the document says what the server really sends.

Usage: openapi_client.py BASE_URL WORK_DIR HOSPITAL_ID DIN SITE PASSWORD
Exit 3 when a package is missing (the caller prints the install command).
"""

import importlib
import json
import subprocess
import sys
from pathlib import Path

try:
    import httpx
    import openapi_python_client  # noqa: F401  (the generator, run below as a module)
    from openapi_schema_validator import OAS31Validator
    from openapi_spec_validator import validate
except ImportError as missing:
    print(f"missing Python package: {missing}", file=sys.stderr)
    sys.exit(3)

PACKAGE = "hemaflow_client"


def fetch_and_validate(base: str, work: Path) -> Path:
    response = httpx.get(f"{base}/api/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    document = response.json()
    validate(document)  # raises with the path of the first error
    assert document["openapi"].startswith("3.1"), document["openapi"]
    path = work / "openapi.json"
    path.write_text(json.dumps(document))
    print(f"valid OpenAPI {document['openapi']}: {len(document['paths'])} paths, "
          f"{len(document['components']['schemas'])} schemas")
    return path


def generate(document: Path, work: Path):
    config = work / "client.yaml"
    # Literal enums: ISBT 128 antigens differ only by case (C and c), which enum classes
    # cannot name apart.
    config.write_text(f"literal_enums: true\npackage_name_override: {PACKAGE}\n")
    output = work / PACKAGE
    run = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(document),
         "--meta", "none", "--config", str(config), "--output-path", str(output)],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # Every schema and operation must make it into the client: a warning means a piece of
    # the API is missing from it.
    assert "Warning" not in run.stdout and "WARNING" not in run.stdout, run.stdout
    sys.path.insert(0, str(work))
    return importlib.import_module(PACKAGE)


def sign_in(client_module, base: str, user_id: str, password: str):
    from hemaflow_client.api.session import open_session
    from hemaflow_client.models import Credentials, SessionOpened

    anonymous = client_module.Client(base_url=base, raise_on_unexpected_status=True)
    opened = open_session.sync(client=anonymous, body=Credentials(user_id=user_id, password=password))
    assert isinstance(opened, SessionOpened), opened
    assert opened.token_type == "Bearer"
    return client_module.AuthenticatedClient(
        base_url=base, token=opened.token, raise_on_unexpected_status=True)


def place_and_read_order(client_module, base: str, hospital: str, password: str) -> None:
    from hemaflow_client.api.commands import post_command
    from hemaflow_client.api.session import get_me
    from hemaflow_client.api.supply import get_order, list_orders
    from hemaflow_client.models import (CommandAccepted, CommandRequest, Me, OrderAnswer,
                                        OrderLine, OrderPlacedEvent, Orders, PlaceOrderCommand,
                                        Problem)

    client = sign_in(client_module, base, "hospital", password)
    me = get_me.sync(client=client)
    assert isinstance(me, Me), me
    assert me.user.role == "hospital_user", me.user.role

    order_id = "ORD-OPENAPI-1"
    line = OrderLine(component_type="red_cells", abo="O", rhd="negative", quantity=2,
                     attributes=[])
    command = PlaceOrderCommand(order_id=order_id, hospital=hospital, lines=[line],
                                priority="stat", type_="place_order")
    accepted = post_command.sync(client=client, body=CommandRequest(command=command))
    assert isinstance(accepted, CommandAccepted), accepted
    assert accepted.outcome == "accepted"
    placed = [e for e in accepted.events if isinstance(e, OrderPlacedEvent)]
    assert len(placed) == 1, accepted.events
    print(f"placed {order_id}: {[type(e).__name__ for e in accepted.events]}")

    answer = get_order.sync(order_id, client=client)
    assert isinstance(answer, OrderAnswer), answer
    assert answer.order.id == order_id, answer.order
    assert answer.order.hospital == hospital
    assert answer.order.priority == "stat"
    assert answer.order.lines[0].quantity == 2
    assert answer.status == "open", answer.status
    assert answer.ledger_sequence > 0
    print(f"read back {order_id}: {answer.status}, at ledger entry {answer.ledger_sequence}")

    listed = list_orders.sync(client=client)
    assert isinstance(listed, Orders), listed
    assert [o.id for o in listed.orders if o.id == order_id] == [order_id]

    # The same order again is refused by a rule, as a typed problem naming it.
    again = post_command.sync(client=client, body=CommandRequest(command=command))
    assert isinstance(again, Problem), again
    assert again.status == 422 and again.rule, again
    # Another hospital's order: refused by P11-ACCESS (403).
    other = PlaceOrderCommand(order_id="ORD-OPENAPI-2", hospital="HOSP-NOT-MINE", lines=[line],
                              priority="routine", type_="place_order")
    refused = post_command.sync(client=client, body=CommandRequest(command=other))
    assert isinstance(refused, Problem), refused
    assert refused.status in (403, 422), refused
    print(f"refusals typed: {again.rule} ({again.status}), {refused.rule} ({refused.status})")


def look_up_unit(client_module, base: str, din: str, password: str) -> None:
    from hemaflow_client.api.units import get_unit
    from hemaflow_client.models import Problem, UnitAnswer

    client = sign_in(client_module, base, "quality", password)
    for scan in (din, f"={din}00"):
        unit = get_unit.sync(scan, client=client)
        assert isinstance(unit, UnitAnswer), (scan, unit)
        assert unit.din == din, unit.din
        assert unit.components, unit
        assert all(c.din == din and c.id.startswith(din) for c in unit.components)
        assert unit.ledger_sequence > 0
    print(f"looked up {din}: {[c.id + ' ' + c.status for c in unit.components]}")

    missing = get_unit.sync("W999926999999", client=client)
    assert isinstance(missing, Problem) and missing.status == 404, missing
    malformed = get_unit.sync("not-a-din", client=client)
    assert isinstance(malformed, Problem) and malformed.status == 400, malformed


def token(base: str, user_id: str, password: str) -> str:
    response = httpx.post(f"{base}/api/session", json={"user_id": user_id, "password": password})
    assert response.status_code == 201, response.text
    return response.json()["token"]


def check_against_document(document: dict, method: str, path: str, response) -> None:
    """The body of `response` is valid against the schema its operation documents for its
    status; an undocumented status fails."""
    operation = document["paths"][path][method]
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{method} {path} answered {response.status_code}, not documented"
    content = documented.get("content", {})
    media = response.headers.get("content-type", "").split(";")[0]
    assert media in content, f"{method} {path}: {media} not documented ({list(content)})"
    schema = content[media].get("schema")
    if schema is None:
        return
    # The components beside the schema, so that its references resolve.
    validator = OAS31Validator({**schema, "components": document["components"]})
    errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
    assert not errors, f"{method} {path} ({response.status_code}): " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message[:300]}" for e in errors[:5])


def reads_match_their_schemas(document: dict, base: str, hospital_order: str, din: str,
                              site: str, password: str) -> None:
    reads = [
        # (user, documented path, concrete path)
        ("quality", "/api/me", "/api/me"),
        ("quality", "/api/units/{scan}", f"/api/units/{din}"),
        ("hospital", "/api/units/{scan}", f"/api/units/{din}"),  # not shipped there: 404
        ("quality", "/api/units/{scan}", "/api/units/not-a-din"),
        ("quality", "/api/release-queue", "/api/release-queue"),
        ("quality", "/api/donors", "/api/donors?name=Openapi"),
        ("quality", "/api/inventory", "/api/inventory"),
        ("admin", "/api/tokens", "/api/tokens"),
        ("quality", "/api/reports/{report}", "/api/reports/collections"),
        ("quality", "/api/reports/{report}", "/api/reports/fill-rate"),
        ("hospital", "/api/orders", "/api/orders"),
        ("hospital", "/api/orders/{order_id}", f"/api/orders/{hospital_order}"),
        ("hospital2", "/api/orders/{order_id}", f"/api/orders/{hospital_order}"),
        ("shipper", "/api/orders/{order_id}/proposal",
         f"/api/orders/{hospital_order}/proposal?site={site}"),
        ("hospital", "/api/shipments", "/api/shipments"),
        ("quality", "/api/returns", "/api/returns"),
        ("hospital", "/api/hospital-inventory", "/api/hospital-inventory"),
        ("bloodbank", "/api/patients", "/api/patients?wristband=not-a-wristband"),
        ("quality", "/api/deadlines", "/api/deadlines"),
        ("quality", "/api/retention", "/api/retention"),
        ("quality", "/api/trace", f"/api/trace?din={din}"),
        ("quality", "/api/lookbacks/{id}", "/api/lookbacks/LB-NONE"),
        ("labtech", "/api/inventory", "/api/inventory"),  # a role that may not: 403
        (None, "/api/me", "/api/me"),  # not signed in: 401
        (None, "/health", "/health"),
        (None, "/health/live", "/health/live"),
        (None, "/health/ready", "/health/ready"),
    ]
    tokens = {}
    for user, path, concrete in reads:
        headers = {}
        if user:
            if user not in tokens:  # one sign-in per user: sign-ins are rate-limited
                tokens[user] = token(base, user, password)
            headers["authorization"] = f"Bearer {tokens[user]}"
        response = httpx.get(f"{base}{concrete}", headers=headers, timeout=30)
        check_against_document(document, "get", path, response)
        print(f"GET {concrete} as {user}: {response.status_code}, as documented")
    metrics = httpx.get(f"{base}/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    # A command's answer, with its events, and a refusal.
    line = {"component_type": "red_cells", "abo": "O", "rhd": "negative", "quantity": 1}
    mine = hospital_of_order(document, base, tokens.setdefault("hospital", token(base, "hospital", password)), hospital_order)
    for user, command in [
        ("hospital", {"type": "place_order", "order_id": "ORD-OPENAPI-3", "hospital": mine,
                      "lines": [line], "priority": "routine"}),
        ("shipper", {"type": "allocate_order", "order_id": hospital_order, "units": []}),
        ("hospital", {"type": "cancel_order", "order_id": "ORD-NONE", "reason": "test"}),
        ("hospital", {"type": "brew_coffee"}),
    ]:
        tokens.setdefault(user, token(base, user, password))
        response = httpx.post(f"{base}/api/commands", json={"command": command},
                              headers={"authorization": f"Bearer {tokens[user]}"})
        check_against_document(document, "post", "/api/commands", response)
        print(f"POST /api/commands {command['type']} as {user}: {response.status_code}, "
              "as documented")


def hospital_of_order(document: dict, base: str, bearer: str, order_id: str) -> str:
    response = httpx.get(f"{base}/api/orders/{order_id}",
                         headers={"authorization": f"Bearer {bearer}"})
    assert response.status_code == 200, response.text
    return response.json()["order"]["hospital"]


def main() -> None:
    base, work, hospital, din, site, password = sys.argv[1:7]
    work = Path(work)
    document_path = fetch_and_validate(base, work)
    client_module = generate(document_path, work)
    place_and_read_order(client_module, base, hospital, password)
    look_up_unit(client_module, base, din, password)
    document = json.loads(document_path.read_text())
    reads_match_their_schemas(document, base, "ORD-OPENAPI-1", din, site, password)
    print("ok")


if __name__ == "__main__":
    main()
