"""Reflow checks run in the browser (WCAG 2.1 1.4.10 Reflow, 1.4.4 Resize text)."""

from __future__ import annotations

from typing import Any

# Elements whose text is cut off: an overflow-hidden/clip box (or an ellipsis) narrower than its
# content, or text that runs past the right edge of the viewport. Content inside a box that
# scrolls on its own (a wide table in a scroll wrapper, allowed by 1.4.10) and visually hidden
# text for screen readers are skipped.
_CLIPPED_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
      ' "' + (el.innerText || '').trim().slice(0, 40) + '"';
  const scrollsOnItsOwn = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  const hasText = (el) => Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg, .visually-hidden, .skip, [hidden]')) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    const cs = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) continue;
    const clipsX = cs.overflowX === 'hidden' || cs.overflowX === 'clip' || cs.textOverflow === 'ellipsis';
    const clipsY = cs.overflowY === 'hidden' || cs.overflowY === 'clip';
    if ((clipsX && el.scrollWidth > el.clientWidth + 1) || (clipsY && el.scrollHeight > el.clientHeight + 1)) {
      if ((el.innerText || '').trim()) out.push('cut off: ' + describe(el));
    } else if (hasText(el) && rect.right > width + 1 && !scrollsOnItsOwn(el)) {
      out.push('past the right edge: ' + describe(el));
    }
  }
  return out;
}
"""


def open_all_details(page: Any) -> None:
    """Open every <details>, so the text a patient can reveal is checked too."""
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")


def horizontal_scroll(page: Any) -> int:
    """How many CSS pixels the page scrolls sideways (0 when it reflows)."""
    return int(page.evaluate(
        "() => Math.max(0, document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth)"))


def clipped_text(page: Any) -> list[str]:
    """Descriptions of elements whose text is cut off or runs past the viewport's right edge."""
    return list(page.evaluate(_CLIPPED_JS))


def focus_indicator(page: Any) -> dict[str, str]:
    """The focused element's tag and text, and its computed outline and box-shadow."""
    return dict(page.evaluate("""() => {
        const el = document.activeElement;
        const cs = getComputedStyle(el);
        return {tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || el.name || '').trim().slice(0, 60),
                outline: cs.outlineStyle + ' ' + cs.outlineWidth, boxShadow: cs.boxShadow};
    }"""))


def has_visible_focus(page: Any) -> bool:
    """True when the focused element draws a focus ring: an outline wider than 0 or a box-shadow."""
    seen = focus_indicator(page)
    style, _, width = seen["outline"].partition(" ")
    outline = style != "none" and width not in ("0px", "")
    return outline or seen["boxShadow"] not in ("none", "")
