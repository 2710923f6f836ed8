"""Rendering notifications from Jinja2 templates: shipped variants, overridable by the plan.

Templates run in Jinja2's sandbox (a plan's template cannot reach Python internals) and the HTML
part is autoescaped, so incident text cannot inject markup into a mail. The shipped variants are
``technical`` (responders), ``executive`` (management) and ``external`` (people outside); a plan
template of the same name replaces one, a new name adds one.

The acknowledgement link is a per-send secret, so the stored content carries :data:`ACK_URL_MARK`
where it goes and the dispatcher puts in the real link when it sends; the content hash in the log
is over the stored text, the same for every recipient of one message.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
import orjson
from jinja2.sandbox import SandboxedEnvironment

from ironwatch.plan.communication import MessageTemplate

ACK_URL_MARK = "@@IRONWATCH_ACK_URL@@"
SHIPPED = ("technical", "executive", "external")
MAX_SUBJECT = 300


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None

    @property
    def sha256(self) -> str:
        """The SHA-256 of what was said: subject, text and HTML (the log's proof of content)."""
        digest = hashlib.sha256()
        for part in (self.subject, self.text, self.html or ""):
            digest.update(part.encode("utf-8") + b"\x00")
        return digest.hexdigest()


class TemplateError(Exception):
    """A template that cannot be rendered (named, with the reason)."""


@functools.lru_cache(maxsize=16)
def _environment(plan_templates: str) -> SandboxedEnvironment:
    own = orjson.loads(plan_templates)
    mapping: dict[str, str] = {}
    for name, parts in own.items():
        mapping[f"{name}.subject.j2"] = parts["subject"]
        mapping[f"{name}.txt.j2"] = parts["text"]
        if parts.get("html"):
            mapping[f"{name}.html.j2"] = parts["html"]
    return SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(
            [jinja2.DictLoader(mapping), jinja2.PackageLoader("ironwatch.notify", "templates")]
        ),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_message(
    plan_templates: Mapping[str, MessageTemplate], name: str, context: Mapping[str, Any]
) -> Rendered:
    """Subject, text and (if the template has one) HTML of template ``name`` with ``context``."""
    key = orjson.dumps(
        {k: v.model_dump() for k, v in plan_templates.items()}, option=orjson.OPT_SORT_KEYS
    ).decode()
    env = _environment(key)
    own = plan_templates.get(name)
    try:
        subject = env.get_template(f"{name}.subject.j2").render(context)
        text = env.get_template(f"{name}.txt.j2").render(context)
        html: str | None = None
        if own is None or own.html:
            html = env.get_template(f"{name}.html.j2").render(context)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"there is no template {name!r} ({exc.name} is missing)") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"the template {name!r} failed: {exc}") from None
    subject = " ".join(subject.split())[:MAX_SUBJECT]
    return Rendered(subject=subject, text=text.strip() + "\n", html=html)


def with_ack_url(text: str, url: str | None) -> str:
    """The stored text with the acknowledgement link in place (or the mark removed without one)."""
    return text.replace(ACK_URL_MARK, url or "")
