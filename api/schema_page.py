"""/schema: a self-contained HTML list of the endpoints, and the schema as JSON at /schema/openapi.json.

Litestar's default pages load swagger-ui or redoc from a CDN: they fail offline and make every visitor's browser fetch
third-party code. This page has no script and no external resource.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin

_STYLE = ("body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
          "table{border-collapse:collapse;width:100%}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;"
          "text-align:left;vertical-align:top}code{font-size:14px}")


class SchemaPagePlugin(OpenAPIRenderPlugin):
    """Renders the endpoint list from the OpenAPI schema itself, so it never disagrees with it."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/index.html"], favicon="", style="")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        info = openapi_schema.get("info", {})
        rows = []
        for path, operations in sorted(openapi_schema.get("paths", {}).items()):
            for method, op in operations.items():
                if isinstance(op, dict) and "responses" in op:
                    rows.append(f"<tr><td><code>{escape(method.upper())}</code></td><td><code>{escape(path)}</code>"
                                f"</td><td>{escape(op.get('summary') or '')}</td></tr>")
        json_url = escape(self.get_openapi_json_route(request))
        page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(info.get('title', ''))}"
                f" API</title><style>{_STYLE}</style></head><body><h1>{escape(info.get('title', ''))} "
                f"{escape(info.get('version', ''))}</h1><p>{escape(info.get('description', ''))}</p>"
                f"<p>The full OpenAPI schema: <a href='{json_url}'>{json_url}</a> (load it into any OpenAPI viewer "
                f"or client generator).</p><table><tr><th>Method</th><th>Path</th><th>What it does</th></tr>"
                f"{''.join(rows)}</table></body></html>")
        return page.encode("utf-8")


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """The /schema pages: the JSON schema and the self-contained endpoint list (fresh instances per app)."""
    return [JsonRenderPlugin(), SchemaPagePlugin()]
