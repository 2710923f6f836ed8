"""REST routes for detection rules: list, show, enable, disable, load (upload), lint and test."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request

from ironwatch.api.deps import Permit, RuntimeDep
from ironwatch.core.errors import UnsupportedMediaTypeError, ValidationError
from ironwatch.core.permissions import Permission as P
from ironwatch.core.principal import Principal
from ironwatch.detect import rule_catalog, rule_loading, rule_testing
from ironwatch.detect import schemas as s
from ironwatch.ingest.importer import check_format
from ironwatch.ingest.parsers import parse_stream
from ironwatch.ingest.service import source_zone

router = APIRouter(prefix="/rules", tags=["rules"])
Reader = Annotated[Principal, Depends(Permit(P.RULES_READ))]
Writer = Annotated[Principal, Depends(Permit(P.RULES_WRITE))]

YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
UPLOAD_PREFIX = "upload:"
_YAML_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"yaml": {"type": "string"}, "name": {"type": "string"}},
                    "required": ["yaml"],
                }
            },
        },
    }
}


async def _rule_file(request: Request) -> tuple[str, str]:
    """The posted rule file: YAML (``?name=`` names it) or JSON ``{"yaml": "...", "name": "..."}``."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    name = request.query_params.get("name", "")
    if media_type in YAML_TYPES:
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                "the rule file is not UTF-8 text", hint="send it encoded as UTF-8"
            ) from None
    elif media_type == "application/json":
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ValidationError(
                "the body is not valid JSON", hint='send {"yaml": "...", "name": "x.yml"}'
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("yaml"), str):
            raise ValidationError(
                "the body must be a JSON object with the rule file's text under 'yaml'",
                hint='send {"yaml": "...", "name": "x.yml"}',
            )
        text, name = data["yaml"], str(data.get("name") or name)
    else:
        raise UnsupportedMediaTypeError(
            f"cannot read a rule file sent as {media_type or 'no content type'!r}",
            hint='send the YAML file as application/yaml, or JSON {"yaml": "...", "name": "x.yml"}',
        )
    name = name.strip()[:200] or "rule.yml"
    return UPLOAD_PREFIX + name, text


@router.get("", response_model=s.RulePage, summary="List stored detection rules")
def list_rules(
    principal: Reader,
    rt: RuntimeDep,
    state: s.RuleState | None = None,
    level: s.Level | None = None,
    kind: Literal["detection", "correlation"] | None = None,
    enabled: bool | None = None,
    origin: Literal["builtin", "path", "upload"] | None = None,
    text: Annotated[str | None, Query(max_length=200, description="in id, title or path")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> s.RulePage:
    flt = s.RuleFilter(
        state=state,
        level=level,
        kind=kind,
        enabled=enabled,
        origin=origin,
        text=text,
        limit=limit,
        offset=offset,
    )
    with rt.uow(principal) as uow:
        total, rows = rule_catalog.list_rules(uow, flt)
        items = [s.RuleOut.model_validate(row) for row in rows]
    return s.RulePage(total=total, limit=limit, offset=offset, items=items)


@router.post(
    "",
    response_model=s.LoadOut,
    summary="Load (or replace) an uploaded rule file",
    openapi_extra={
        **_YAML_BODY,
        "parameters": [{"name": "name", "in": "query", "required": False, "schema": {"type": "string"}}],
    },
)
async def upload_rules(request: Request, principal: Writer, rt: RuntimeDep) -> s.LoadOut:
    path, text = await _rule_file(request)
    with rt.uow(principal, write=True) as uow:
        summary = rule_loading.load_rule_sources(
            uow, [(path, text)], origin="upload", cache_dir=rt.rule_cache
        )
        uow.commit()
    return s.LoadOut.of(summary)


@router.post(
    "/lint",
    response_model=s.LintOut,
    summary="Check a rule file without loading it",
    openapi_extra=_YAML_BODY,
)
async def lint_rules(request: Request, principal: Reader, rt: RuntimeDep) -> s.LintOut:
    path, text = await _rule_file(request)
    with rt.uow(principal) as uow:
        return rule_testing.lint_rules(uow, [(path, text)])


@router.get("/{rule_id}", response_model=s.RuleDetailOut, summary="One rule with its text and compile result")
def get_rule(rule_id: str, principal: Reader, rt: RuntimeDep) -> s.RuleDetailOut:
    with rt.uow(principal) as uow:
        return s.RuleDetailOut.model_validate(rule_catalog.get_rule(uow, rule_id))


def _toggle(
    rt: RuntimeDep, principal: Principal, rule_id: str, body: s.RuleToggle, enabled: bool
) -> s.RuleOut:
    with rt.uow(principal, write=True) as uow:
        row = rule_catalog.set_rule_enabled(uow, rule_id, enabled=enabled, reason=body.reason)
        out = s.RuleOut.model_validate(row)
        uow.commit()
    return out


@router.post("/{rule_id}/enable", response_model=s.RuleOut, summary="Enable a rule")
def enable_rule(
    rule_id: str, principal: Writer, rt: RuntimeDep, body: s.RuleToggle | None = None
) -> s.RuleOut:
    return _toggle(rt, principal, rule_id, body or s.RuleToggle(), True)


@router.post("/{rule_id}/disable", response_model=s.RuleOut, summary="Disable a rule (give a reason)")
def disable_rule(rule_id: str, body: s.RuleToggle, principal: Writer, rt: RuntimeDep) -> s.RuleOut:
    return _toggle(rt, principal, rule_id, body, False)


@router.post(
    "/{rule_id}/test",
    response_model=s.RuleTestOut,
    summary="Explain per event why a stored rule matches or not",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
async def test_rule(
    rule_id: str,
    request: Request,
    principal: Reader,
    rt: RuntimeDep,
    format: Annotated[str, Query(description="log format of the body, or auto")] = "auto",
) -> s.RuleTestOut:
    check_format(format)
    body = await request.body()
    lines = [line for line in body.splitlines() if line.strip()]
    if not lines:
        raise ValidationError(
            "no events in the body", hint="send NDJSON of flat events or log lines, one per line"
        )
    items = parse_stream(
        lines, format=format, source="api:rules-test", tz=source_zone(rt.settings), clock=rt.clock
    )
    with rt.uow(principal) as uow:
        return rule_testing.explain_stored_rule(uow, rule_id, items)
