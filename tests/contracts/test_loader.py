"""Loading OpenAPI files: formats, local $ref files, cycles, and clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgloop.contracts.errors import SpecInvalid, SpecTooLarge
from orgloop.contracts.openapi.loader import load_document, parse_document

MINIMAL = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def error_path(err: pytest.ExceptionInfo[SpecInvalid]) -> str:
    return str(err.value.details["errors"][0]["path"])


def test_loads_yaml_and_json(tmp_path: Path) -> None:
    yaml_doc = load_document(write(tmp_path, "a.yaml", MINIMAL))
    json_doc = load_document(
        write(tmp_path, "b.json", json.dumps({"openapi": "3.1.0", "paths": {}}))
    )
    assert yaml_doc.version == "3.0.3"
    assert json_doc.is_31


def test_yaml_dates_and_status_codes_stay_strings(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "paths: {}",
        "paths:\n  /a:\n    get:\n      x-sunset: 2030-01-01\n      responses:\n        200: {description: ok}\n",
    )
    doc = load_document(write(tmp_path, "a.yaml", text))
    op = doc.root["paths"]["/a"]["get"]
    assert op["x-sunset"] == "2030-01-01"
    assert list(op["responses"]) == ["200"]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        pytest.param("[1, 2]", "", "must be an object", id="not-an-object"),
        pytest.param(
            "info: {}\npaths: {}\n", "/openapi", "missing 'openapi'", id="missing-openapi"
        ),
        pytest.param("swagger: '2.0'\npaths: {}\n", "/openapi", "Swagger 2.0", id="swagger-2"),
        pytest.param(
            "openapi: 2.5.0\npaths: {}\n", "/openapi", "unsupported", id="unsupported-version"
        ),
        pytest.param("openapi: 3.0.0\ninfo: {}\n", "/paths", "missing 'paths'", id="missing-paths"),
    ],
)
def test_invalid_documents_name_the_location(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(SpecInvalid, match=message) as err:
        load_document(path)
    assert error_path(err) == f"{path}#{where}" if where else str(path)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(SpecInvalid, match="invalid YAML at line"):
        load_document(write(tmp_path, "bad.yaml", "openapi: 3.0.0\npaths: [\n"))


def test_unresolvable_ref_names_where_it_is_used(tmp_path: Path) -> None:
    text = MINIMAL + "components:\n  schemas:\n    A: {$ref: '#/components/schemas/Missing'}\n"
    path = write(tmp_path, "a.yaml", text)
    with pytest.raises(SpecInvalid, match="unresolvable") as err:
        load_document(path)
    assert error_path(err) == f"{path}#/components/schemas/A/$ref"


def test_url_refs_are_never_fetched(tmp_path: Path) -> None:
    text = MINIMAL + "components:\n  schemas:\n    A: {$ref: 'https://example.com/pet.yaml#/Pet'}\n"
    with pytest.raises(SpecInvalid, match="not fetched"):
        load_document(write(tmp_path, "a.yaml", text))


def test_refs_to_local_files_resolve_relative_to_the_referencing_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        "schemas/pet.yaml",
        "Pet:\n  type: object\n  properties:\n    tag: {$ref: 'tag.yaml'}\n",
    )
    write(tmp_path, "schemas/tag.yaml", "type: string\n")
    text = MINIMAL + "components:\n  schemas:\n    Pet: {$ref: 'schemas/pet.yaml#/Pet'}\n"
    doc = load_document(write(tmp_path, "api.yaml", text))
    pet = doc.deref(doc.root["components"]["schemas"]["Pet"])
    assert doc.deref(pet["properties"]["tag"]) == {"type": "string"}


def test_missing_referenced_file_is_an_error(tmp_path: Path) -> None:
    text = MINIMAL + "components:\n  schemas:\n    Pet: {$ref: 'nope.yaml#/Pet'}\n"
    with pytest.raises(SpecInvalid, match="cannot read file"):
        load_document(write(tmp_path, "api.yaml", text))


def test_cyclic_schemas_load_and_fingerprint() -> None:
    node = {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}}
    doc = parse_document(
        {"openapi": "3.0.0", "paths": {}, "components": {"schemas": {"Node": node}}}
    )
    assert isinstance(doc.fingerprint(doc.root), int)


def test_ref_cycle_without_content_is_an_error() -> None:
    schemas = {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}
    doc = parse_document({"openapi": "3.0.0", "paths": {}, "components": {"schemas": schemas}})
    with pytest.raises(SpecInvalid, match="cycle"):
        doc.deref(schemas["A"])


def test_files_over_the_size_limit_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecTooLarge):
        load_document(write(tmp_path, "a.yaml", MINIMAL), max_bytes=10)
