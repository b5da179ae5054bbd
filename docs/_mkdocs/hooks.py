"""MkDocs hooks (mkdocs.yml): links from docs/ to repository files outside it.

The Markdown files in docs/ are read on GitHub too, where a link such as
``../benchmarks/README.md#...`` is right. The site holds only docs/, so while building:

* a repository file listed in ``PAGES`` becomes a page of the site, generated from the file
  as it is (nothing copied into docs/), and links to it point to that page;
* a link to any other repository file outside docs/ (a script, say) keeps its text and
  loses the link, since the site has nothing to link to.

Links to files that do not exist are left alone, so strict mode still reports them.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[2]
PAGES = {"benchmarks/README.md": "benchmarks.md"}
"""Repository file -> the site page generated from it."""

_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<target>\.\./[^)\s#]+)(?P<anchor>#[^)\s]*)?\)")


def on_files(files: Files, config: MkDocsConfig, **kwargs: Any) -> Files:
    for source, page in PAGES.items():
        files.append(File.generated(config, page, abs_src_path=str(ROOT / source)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files,
                     **kwargs: Any) -> str:
    here = posixpath.dirname(page.file.src_uri)

    def replace(match: re.Match[str]) -> str:
        path = posixpath.normpath(posixpath.join("docs", here, match["target"]))
        if path.startswith("docs/") or not (ROOT / path).is_file():
            return match[0]  # inside docs/, or missing: mkdocs judges it
        if path in PAGES:
            target = posixpath.relpath(PAGES[path], here or ".")
            return f"[{match['text']}]({target}{match['anchor'] or ''})"
        return match["text"]

    return _LINK.sub(replace, markdown)
