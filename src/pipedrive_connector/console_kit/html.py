"""Building console pages: every value goes through ``esc`` (or ``attr`` for URLs in attributes).

Pages are plain strings assembled from these helpers; ``Html`` marks a string that is already
markup, so ``render`` escapes everything else it is given.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from importlib import resources
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

STATIC_FILES = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}
# The pages load nothing from elsewhere and run no inline script.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",  # "no-referrer" would make browsers send "Origin: null" on posts
    "cache-control": "no-store",
}


class Html(str):
    """A string that is already markup (never escaped again)."""


def esc(value: object) -> Html:
    """Any value as escaped text (``None`` → empty)."""
    return Html("" if value is None else html.escape(str(value), quote=True))


def render(value: object) -> Html:
    return value if isinstance(value, Html) else esc(value)


def join(parts: Iterable[object]) -> Html:
    return Html("".join(render(part) for part in parts))


def link(href: str, text: object, **attrs: str) -> Html:
    extra = "".join(f' {name.rstrip("_").replace("_", "-")}="{esc(value)}"' for name, value in attrs.items())
    return Html(f'<a href="{esc(href)}"{extra}>{render(text)}</a>')


def url(path: str, **params: object) -> str:
    """``path`` with the non-empty ``params`` as a query string."""
    kept = {key: str(value) for key, value in params.items() if value not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], empty: str = "Nothing here.") -> Html:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{render(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    if not body:
        body = f'<tr><td colspan="{len(headers)}" class="muted">{esc(empty)}</td></tr>'
    return Html(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def post_button(action: str, label: str, hidden: dict[str, object] | None = None, confirm: str = "") -> Html:
    """A one-button form posting to ``action`` (works without JavaScript)."""
    fields = "".join(
        f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">'
        for name, value in (hidden or {}).items()
    )
    ask = f' data-confirm="{esc(confirm)}"' if confirm else ""
    return Html(
        f'<form class="inline" method="post" action="{esc(action)}">{fields}'
        f'<button type="submit"{ask}>{esc(label)}</button></form>'
    )


def pager(path: str, page: int, per_page: int, total: int, **params: object) -> Html:
    """ "Page N of M" with previous/next links that keep the other query parameters."""
    pages = max(1, -(-total // per_page))
    parts = [f"<span>Page {page} of {pages} · {total} in all</span>"]
    if page > 1:
        parts.append(link(url(path, **params, page=page - 1), "← Previous", rel="prev"))
    if page < pages:
        parts.append(link(url(path, **params, page=page + 1), "Next →", rel="next"))
    return Html(f'<nav class="pager">{"".join(parts)}</nav>')


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 10**9 else 1


def bar_chart(points: Sequence[tuple[str, float, bool]], title: str, height: int = 160) -> Html:
    """An inline SVG bar chart of ``(label, value, highlighted)``; labels on the first and last bar."""
    if not points:
        return Html(f'<p class="muted">{esc(title)}: no data yet.</p>')
    width, bar_gap, left = 640, 2, 40
    top = max(value for _, value, _ in points) or 1
    step = (width - left) / len(points)
    bars = []
    for index, (label, value, bad) in enumerate(points):
        bar_height = (height - 30) * value / top
        x = left + index * step
        y = height - 20 - bar_height
        bars.append(
            f'<rect class="bar{" bad" if bad else ""}" x="{x:.1f}" y="{y:.1f}" '
            f'width="{max(1.0, step - bar_gap):.1f}" height="{bar_height:.1f}">'
            f"<title>{esc(label)}: {esc(_number(value))}</title></rect>"
        )
    first, last = points[0][0], points[-1][0]
    return Html(
        f"<figure><figcaption>{esc(title)}</figcaption>"
        f'<svg class="chart" role="img" aria-label="{esc(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}"><title>{esc(title)}</title>'
        f'<text x="2" y="12">{esc(_number(top))}</text><text x="2" y="{height - 22}">0</text>'
        + "".join(bars)
        + f'<text x="{left}" y="{height - 5}">{esc(first)}</text>'
        f'<text x="{width - 4}" y="{height - 5}" text-anchor="end">{esc(last)}</text></svg></figure>'
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def layout(
    title: str,
    body: object,
    *,
    brand: str,
    static: str,
    nav: Sequence[tuple[str, str]],
    active: str = "",
    flash: str = "",
) -> Html:
    """A whole page: header with ``nav`` links ``(href, label)``, an optional flash line, ``body``."""
    links = "".join(
        link(href, label, **({"class_": "active"} if label == active else {})) for href, label in nav
    )
    notice = f'<p class="flash" role="status">{esc(flash)}</p>' if flash else ""
    return Html(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · {esc(brand)}</title>"
        f'<link rel="stylesheet" href="{esc(static)}/console.css"></head><body>'
        f"<header><strong>{esc(brand)}</strong>{links}</header>"
        f"<main><h1>{esc(title)}</h1>{notice}{render(body)}</main>"
        f'<script src="{esc(static)}/console.js"></script></body></html>'
    )


def page(markup: Html, status: int = 200) -> HTMLResponse:
    return HTMLResponse(str(markup), status_code=status, headers=SECURITY_HEADERS)


def static_route(path: str) -> Route:
    """``GET {path}/{name}``: the shared CSS and JS, read from this package."""

    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        media_type = STATIC_FILES.get(name)
        if media_type is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        content = resources.files(__package__).joinpath("static", name).read_bytes()
        return Response(content, media_type=media_type, headers={"cache-control": "max-age=300"})

    return Route(f"{path}/{{name}}", serve, methods=["GET"])
