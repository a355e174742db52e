"""Article page templates for the three sections, each in two variants.

``contained``: every widget sits in its own container, as on the real sites (SouthFront: a
donation progress widget and call-outs inside the WordPress post, a wpDiscuz thread below;
News Front: the photo-agency credit inside the figure, a 'Loading ...' infinite-scroll widget;
The New Arab: read time and date line above the photo, inline 'Read also' asides in the body,
the social follow line at its end). ``bare``: the same texts, in the same order as the seed,
as plain ``<p>`` paragraphs inside the post body container, without distinguishing classes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from sample_site.html import BASE, esc, json_ld, linkify, page
from sample_site.models import Article, BodyItem, Comment, Figure, Para, Section, Widget
from sample_site.seeds import COMMENT_CHROME_HEAD, COMMENT_CHROME_TAIL

__all__ = ["article_html", "charset_meta", "donation_widget", "widget_html"]

FOLLOW_LINKS = (
    ("Facebook", "https://www.facebook.com/TheNewArab"),
    ("Twitter", "https://twitter.com/The_NewArab"),
    ("Instagram", "https://www.instagram.com/the.newarab/"),
)
OG_LOCALES = {"en": "en_US", "ar": "ar_AR", "ru": "ru_RU"}


def post_id(article: Article) -> int:
    """A stable WordPress-like post id."""
    return 100000 + int(hashlib.sha256(article.key.encode()).hexdigest()[:6], 16) % 900000


def charset_meta(article: Article) -> str:
    """How the page declares its charset in HTML (nothing if only the header declares it)."""
    if article.charset_declared == "header":
        return ""
    if article.charset_declared == "meta":
        return f'<meta http-equiv="Content-Type" content="text/html; charset={article.charset}">'
    return f'<meta charset="{article.charset}">'


def _display_date(article: Article) -> str:
    return f"{article.published:%B} {article.published.day}, {article.published.year}"


def _article_head(article: Article) -> str:
    """Metadata: description, author, canonical, Open Graph, article:*, JSON-LD NewsArticle."""
    url = f"{BASE}{article.path}"
    image = f"{BASE}{article.figures[0].src}" if article.figures else ""
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": article.title,
        "description": article.teaser(),
        "image": [image] if image else [],
        "datePublished": article.published.isoformat(),
        "dateModified": article.published.isoformat(),
        "inLanguage": article.language,
        "author": [{"@type": "Person", "name": name} for name in article.authors],
        "publisher": {"@type": "Organization", "name": article.section.name},
    }
    metas = [
        ("name", "description", article.teaser()),
        ("name", "author", ", ".join(article.authors)),
        ("property", "og:type", "article"),
        ("property", "og:title", article.title),
        ("property", "og:site_name", article.section.name),
        ("property", "og:url", url),
        ("property", "og:description", article.teaser()),
        ("property", "og:image", image),
        ("property", "og:locale", OG_LOCALES[article.language]),
        ("property", "article:published_time", article.published.isoformat()),
        ("property", "article:section", article.section.name),
        ("name", "twitter:card", "summary_large_image"),
    ]
    lines = [f'<meta {attr}="{name}" content="{esc(value)}">' for attr, name, value in metas if value]
    lines.insert(2, f'<link rel="canonical" href="{url}">')
    lines.append(json_ld(ld))
    return "\n".join(lines)


# --- items -------------------------------------------------------------------------------


def _img(figure: Figure) -> str:
    alt = esc(figure.alt)
    return f'<img src="{figure.src}" alt="{alt}" title="{alt}" width="720" height="480" loading="lazy">'


def _caption(figure: Figure, classes: bool) -> str:
    """Caption text, with the prompt linked / the credit in its own span where the sites do so."""
    text = figure.caption
    if figure.caption_kind == "caption_prompt":
        before, prompt, after = text.partition("Click to see")
        return f'{esc(before)}<a href="{figure.src}">{esc(prompt + after)}</a>'
    if not classes:
        return esc(text)
    if figure.caption_kind == "credit":
        before, sep, after = text.partition(", Image: ")
        return f'<span class="caption-text">{esc(before)}</span><span class="photo-credit">{esc(sep + after)}</span>'
    before, sep, after = text.rpartition(" [")
    if not sep:
        return esc(text)
    return f'{esc(before)} <span class="image-credit">[{esc(after)}</span>'


def _figure_contained(figure: Figure, section: Section) -> str:
    css = {
        "southfront": ("wp-block-image size-large", "wp-caption-text"),
        "newsfront": ("wp-caption article__image", "wp-caption-text"),
        "newarab": ("article-image media--image", "image-caption"),
    }[section.slug]
    return (
        f'<figure class="{css[0]}">{_img(figure)}\n'
        f'<figcaption class="{css[1]}">{_caption(figure, classes=True)}</figcaption></figure>'
    )


def _read_also(widget: Widget, classes: bool) -> str:
    match = re.fullmatch(r"(.*?:)(\s)(.*)", widget.text)
    if match is None:
        raise ValueError(f"not a 'Read also' line: {widget.text!r}")
    label, space, linked = match.groups()
    inner = f'<strong>{esc(label)}</strong>{esc(space)}<a href="{esc(widget.href)}">{esc(linked)}</a>'
    if not classes:
        return f"<p>{inner}</p>"
    return f'<aside class="read-also inline-related"><p>{inner}</p></aside>'


def widget_html(widget: Widget, classes: bool) -> str:
    """One widget in its container (``classes``) or as a bare paragraph."""
    if widget.kind == "read_also":
        return _read_also(widget, classes)
    if widget.kind == "follow":
        inner = linkify(widget.text, FOLLOW_LINKS)
        return f'<div class="social-follow">{inner}</div>' if classes else f"<p>{inner}</p>"
    if not classes:
        return f"<p>{esc(widget.text)}</p>"
    if widget.kind == "callout":
        link = f'<a class="support-button" href="/southfront/#support">{esc(widget.text)}</a>'
        return f'<aside class="sf-support-callout">{link}</aside>'
    if widget.kind == "loader":
        return f'<div class="ajax-load-more-wrap"><div class="alm-loading">{esc(widget.text)}</div></div>'
    return f'<div class="{widget.kind.replace("_", "-")}">{esc(widget.text)}</div>'


def _item_contained(item: BodyItem, section: Section) -> str:
    if isinstance(item, Para):
        return f"<p>{esc(item.text)}</p>"
    if isinstance(item, Figure):
        return _figure_contained(item, section)
    return widget_html(item, classes=True)


def _item_bare(item: BodyItem) -> str:
    if isinstance(item, Para):
        return f"<p>{esc(item.text)}</p>"
    if isinstance(item, Figure):
        return f"<p>{_img(item)}</p>\n<p>{_caption(item, classes=False)}</p>"
    return widget_html(item, classes=False)


# --- SouthFront: donation widget and wpDiscuz thread ----------------------------------------


def donation_widget(amounts: Sequence[str]) -> str:
    """The donation progress widget: scale marks, a bar and the amount collected."""
    *scale, collected = amounts
    share = 100 * float(collected.rstrip(" $").replace(",", "")) / float(scale[-1].rstrip(" $").replace(",", ""))
    marks = "".join(f'<div class="donation-mark">{esc(mark)}</div>' for mark in scale)
    return (
        '<div class="donation-widget" id="sf-donation-progress">\n'
        f'<div class="donation-scale">{marks}</div>\n'
        f'<div class="donation-bar"><div class="donation-bar-fill" style="width: {share:.1f}%"></div></div>\n'
        f'<div class="donation-collected">{esc(collected)}</div>\n</div>'
    )


def _comment_text(comment: Comment) -> str:
    return "".join(f"<p>{'<br>'.join(esc(line) for line in para)}</p>" for para in comment.paragraphs)


def _comment_contained(comment: Comment, number: int) -> str:
    author = f'<div class="wpd-comment-author">{esc(comment.author)}</div>' if comment.author else ""
    date = f'<div class="wpd-comment-date" title="{comment.date_iso}">{esc(comment.date_label)}</div>'
    return (
        f'<div id="wpd-comm-{number}_0" class="wpd-comment wpd_comment_level-1">'
        '<div class="wpd-comment-wrap wpd-blog-guest">'
        '<div class="wpd-avatar"><img src="/images/avatar.png" alt="" width="56" height="56"></div>'
        f'<div class="wpd-comment-right"><div class="wpd-comment-header">{author}{date}</div>\n'
        f'<div class="wpd-comment-text">{_comment_text(comment)}</div></div></div></div>'
    )


def _comment_bare(comment: Comment) -> str:
    author = f"<p>{esc(comment.author)}</p>\n" if comment.author else ""
    return f"{author}<p>{esc(comment.date_label)}</p>\n{_comment_text(comment)}"


def _wpdiscuz(article: Article) -> str:
    """A wpDiscuz-like comment section below the post."""
    notify, sorting, inline, view_all = COMMENT_CHROME_HEAD
    newest, _, most_voted = sorting.partition(" ")
    message, close = COMMENT_CHROME_TAIL[:-1], COMMENT_CHROME_TAIL[-1]
    first_id = post_id(article) * 10
    thread = "\n".join(_comment_contained(c, first_id + i) for i, c in enumerate(article.comments))
    return (
        '<div class="wpdiscuz_top_clearing"></div>\n<div id="comments" class="comments-area">\n'
        '<div id="wpdcom" class="wpdiscuz_unauth wpd-default wpd-layout-2 wpd-comments-open">\n'
        '<div class="wpd-form-wrap"><div class="wpd-form-head"><div class="wpd-sbs-toggle">'
        f'<span class="wpd-sbs-title">{esc(notify)}</span></div></div>\n'
        '<form class="wpd_comm_form" method="post" action="/southfront/#comments">'
        '<textarea name="wc_comment" placeholder="Join the discussion"></textarea></form></div>\n'
        '<div class="wpd-thread-head"><div class="wpd-thread-filter"><div class="wpd-filter wpdf-sorting">'
        f'<span class="wpdiscuz-sort-button wpdiscuz-sort-button-active">{esc(newest)}</span> '
        f'<span class="wpdiscuz-sort-button">{esc(most_voted)}</span></div></div></div>\n'
        f'<div class="wpd-comment-info-bar"><div class="wpd-current-view">{esc(inline)}</div>'
        f'<div class="wpd-filter-view-all">{esc(view_all)}</div></div>\n'
        f'<div id="wpd-threads" class="wpd-thread-list">\n{thread}\n</div>\n</div>\n'
        '<div id="wpd-bubble-wrapper"><div id="wpd-bubble">'
        f'<span class="wpd-bubble-message">{esc(message)}</span><span class="wpd-bubble-close">{esc(close)}</span>'
        "</div></div>\n</div>"
    )


def _thread_bare(article: Article) -> list[str]:
    if not article.comments:
        return []
    chrome = [f"<p>{esc(text)}</p>" for text in COMMENT_CHROME_HEAD]
    comments = [_comment_bare(c) for c in article.comments]
    return [*chrome, *comments, f"<p>{esc(COMMENT_CHROME_TAIL)}</p>"]


def _bare_body(article: Article) -> str:
    """Everything the seed shows, in seed order, as plain paragraphs."""
    parts = [f"<p>{esc(amount)}</p>" for amount in article.donation]
    parts += [_item_bare(item) for item in article.body]
    parts += _thread_bare(article)
    return "\n".join(parts)


def _byline(article: Article, css: str) -> str:
    names = ", ".join(esc(name) for name in article.authors)
    return f'<span class="{css}">{names}</span>'


def _southfront(article: Article, variant: str) -> str:
    contained = variant == "contained"
    pid = post_id(article)
    if contained:
        body = "\n".join(_item_contained(item, article.section) for item in article.body)
    else:
        body = _bare_body(article)
    return (
        '<main id="main" class="site-main">\n'
        f'<article id="post-{pid}" class="post-{pid} post type-post status-publish format-standard hentry">\n'
        + (donation_widget(article.donation) + "\n" if contained and article.donation else "")
        + '<header class="entry-header">\n'
        f'<h1 class="entry-title">{esc(article.title)}</h1>\n'
        '<div class="entry-meta"><span class="posted-on">'
        f'<time class="entry-date published" datetime="{article.published.isoformat()}">'
        f"{_display_date(article)}</time></span> "
        f'<span class="byline">by {_byline(article, "author vcard")}</span></div>\n</header>\n'
        f'<div class="entry-content">\n{body}\n</div>\n'
        '<footer class="entry-footer"><span class="cat-links">Posted in '
        f'<a href="{article.section.path}" rel="category tag">{esc(article.section.name)}</a></span></footer>\n'
        "</article>\n" + (_wpdiscuz(article) + "\n" if contained and article.comments else "") + "</main>"
    )


def _newsfront(article: Article, variant: str) -> str:
    loader = ""
    if variant == "contained":
        loaders = [item for item in article.body if isinstance(item, Widget) and item.kind == "loader"]
        items = [item for item in article.body if item not in loaders]
        loader = "\n".join(widget_html(widget, classes=True) for widget in loaders)
        parts = [_item_contained(item, article.section) for item in items]
        if isinstance(items[0], Para):
            parts[0] = f'<p class="article__lead"><strong>{esc(items[0].text)}</strong></p>'
        body = "\n".join(parts)
    else:
        body = _bare_body(article)
    stamp = article.published.strftime("%d.%m.%Y %H:%M")
    return (
        '<main class="main-content">\n'
        f'<article class="article post-{post_id(article)}">\n'
        f'<h1 class="article__title entry-title">{esc(article.title)}</h1>\n'
        f'<div class="article__meta"><time class="article__date" datetime="{article.published.isoformat()}">'
        f"{stamp}</time> {_byline(article, 'article__author')}</div>\n"
        f'<div class="article__content entry-content">\n{body}\n</div>\n'
        + (loader + "\n" if loader else "")
        + "</article>\n</main>"
    )


def _newarab_contained(article: Article) -> str:
    """Standfirst, meta (read time, date line) and photo above the body; the rest in the body."""
    first_figure = next(i for i, item in enumerate(article.body) if isinstance(item, Figure))
    head, rest = article.body[: first_figure + 1], article.body[first_figure + 1 :]
    top: list[str] = []
    meta: list[str] = []
    for item in head:
        if isinstance(item, Para):
            top.append(f'<div class="article-summary"><p>{esc(item.text)}</p></div>')
        elif isinstance(item, Widget):
            meta.append(widget_html(item, classes=True))
        else:
            top.append('<div class="article-meta">' + "".join(meta) + "</div>")
            top.append(_figure_contained(item, article.section))
    body = "\n".join(_item_contained(item, article.section) for item in rest)
    return "\n".join(top) + f'\n<div class="article-body field--name-body">\n{body}\n</div>'


def _newarab(article: Article, variant: str) -> str:
    if variant == "contained":
        inner = _newarab_contained(article)
    else:
        inner = f'<div class="article-body field--name-body">\n{_bare_body(article)}\n</div>'
    return (
        '<main role="main" class="main-container">\n'
        f'<article class="node node--type-article node--view-mode-full" data-nid="{post_id(article)}">\n'
        f'<h1 class="page-title">{esc(article.title)}</h1>\n'
        f'<div class="article-byline">{_byline(article, "byline-author")} '
        f'<time datetime="{article.published.isoformat()}"></time></div>\n'
        f"{inner}\n</article>\n</main>"
    )


RENDERERS = {"southfront": _southfront, "newsfront": _newsfront, "newarab": _newarab}


def article_html(article: Article, variant: str, sections: Sequence[Section]) -> str:
    """The complete HTML document of one article page (a str; encode with ``article.charset``)."""
    content = RENDERERS[article.section.slug](article, variant)
    return page(
        title=article.section.html_title(article.title),
        content=content,
        sections=sections,
        lang=article.language,
        direction=article.direction,
        charset_meta=charset_meta(article),
        head=_article_head(article),
        body_class=f"single single-post section-{article.section.slug} variant-{variant}",
        current=article.section.slug,
    )
