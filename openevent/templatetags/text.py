"""Text people write (descriptions, abstracts, biographies) as it is shown on the pages."""

import nh3
from django import template
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

register = template.Library()

# CommonMark, parsed in time that grows with the text's length. (Python-Markdown's time grows with
# the square of a run of brackets: one 10,000-character biography held a page for 18 seconds;
# bench/markdown_text.py times the costliest texts.)
RENDERER = MarkdownIt("commonmark")

# What written text may become: paragraphs, emphasis, lists, quotes, code and links, and
# headings below the page's own. Anything else (scripts, styles, images, frames, event
# handlers, javascript: links) is taken out, its text kept.
TAGS = {"p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "h5"}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


@register.filter(is_safe=True)
def markdown(text: str) -> str:
    """Markdown rendered to HTML that holds only TAGS; links open no window on the page."""
    html = RENDERER.render(text or "").strip()
    return mark_safe(  # noqa: S308 - nh3 keeps only TAGS and ATTRIBUTES
        nh3.clean(
            html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel="noopener nofollow"
        )
    )
