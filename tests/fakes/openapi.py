"""Validate JSON against GitBook's OpenAPI 3.1 description (tests/gitbook-openapi.json).

`$ref`s resolve into the whole spec through a `referencing.Registry`, so `#/components/...` works
from anywhere. Formats are checked: `Draft202012Validator.FORMAT_CHECKER` plus `uri` and
`date-time`, which jsonschema only checks when optional packages (rfc3987, rfc3339-validator) are
installed.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parent.parent / "gitbook-openapi.json"
_SPEC_URI = "urn:gitbook-openapi"

__all__ = ["SPEC_PATH", "explain", "load_spec", "validate_request_body", "validate_schema"]


@functools.cache
def load_spec() -> dict[str, Any]:
    """Return the parsed OpenAPI document (read once)."""
    with SPEC_PATH.open(encoding="utf-8") as f:
        spec: dict[str, Any] = json.load(f)
    return spec


@functools.cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(load_spec(), DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
    return registry


_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def _is_uri(value: object) -> bool:
    # RFC 3986 absolute URI: a scheme, then no whitespace or characters never allowed in a URI.
    if not isinstance(value, str):
        return True
    return bool(_URI_SCHEME.match(value)) and not re.search(r"[\s<>\"{}|\\^`]", value)


def _is_date_time(value: object) -> bool:
    # RFC 3339 date-time: full date, "T", time, and a mandatory offset ("Z" or ±hh:mm).
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)", value):
        return False
    try:
        dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@functools.cache
def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
    checker.checkers.setdefault("uri", (_is_uri, ()))
    checker.checkers.setdefault("date-time", (_is_date_time, ()))
    return checker


def _pointer_escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


@functools.cache
def _validator(pointer: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": f"{_SPEC_URI}#{pointer}"},
        registry=_registry(),
        format_checker=_format_checker(),
    )


def _validate(pointer: str, instance: object) -> None:
    error = jsonschema.exceptions.best_match(_validator(pointer).iter_errors(instance))
    if error is not None:
        raise error


def validate_request_body(path_template: str, method: str, body: object) -> None:
    """Validate `body` against the operation's `application/json` request schema.

    Raises `jsonschema.ValidationError` (the best match) when it does not validate, and `KeyError`
    when the spec has no such operation or JSON request body.
    """
    operation = load_spec()["paths"][path_template][method.lower()]
    operation["requestBody"]["content"]["application/json"]["schema"]  # KeyError if absent
    pointer = "/" + "/".join(
        _pointer_escape(s)
        for s in (
            "paths",
            path_template,
            method.lower(),
            "requestBody",
            "content",
            "application/json",
            "schema",
        )
    )
    _validate(pointer, body)


def validate_schema(schema_name: str, instance: object) -> None:
    """Validate `instance` against `components.schemas.<schema_name>`."""
    load_spec()["components"]["schemas"][schema_name]  # KeyError if absent
    _validate(f"/components/schemas/{_pointer_escape(schema_name)}", instance)


def explain(error: jsonschema.ValidationError) -> str:
    """Describe a validation error in one line, naming the failing leaves of `oneOf`/`anyOf`.

    Branches of a `oneOf`/`anyOf` whose `type` discriminator did not match are left out when
    another branch's did: they name shapes the instance was never meant to have.
    """
    if error.validator not in ("oneOf", "anyOf"):
        return f"{error.json_path}: {_short(error.message)}"
    details = sorted({f"{e.json_path}: {_short(e.message)}" for e in _leaves(error)})[:5]
    return f"{error.json_path}: matches no {error.validator} branch: {'; '.join(details)}"


def _leaves(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    if not error.context:
        return [error]
    branches: dict[object, list[jsonschema.ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    matching = [b for b in branches.values() if not any(map(_is_discriminator_miss, b))]
    chosen = matching or list(branches.values())
    return [leaf for branch in chosen for sub in branch for leaf in _leaves(sub)]


def _is_discriminator_miss(error: jsonschema.ValidationError) -> bool:
    return error.validator in ("enum", "const") and list(error.path)[-1:] == ["type"]


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
