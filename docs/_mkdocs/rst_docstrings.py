"""A griffe extension (mkdocs.yml) that lets mkdocstrings render qtargets' docstrings.

The docstrings are written for Python's help() and doctest, with a few reStructuredText
habits that Markdown reads differently. Before mkdocstrings renders a docstring this rewrites:

* ``>>>`` doctest runs into fenced ``pycon`` blocks (Markdown reads ``>`` as a block quote,
  and a doctest output such as ``['a', 'b']`` as a reference link), without the
  ``# doctest: +SKIP`` flags;
* ``Text::`` followed by an indented literal block into ``Text:`` and a fenced block;
* ``.. math::`` blocks into fenced LaTeX source;
* roles such as ``:func:`backend``` and ``:class:`~qtargets.Calibration``` into code spans
  that link to the object where the site documents it (optional cross-references: a role
  naming something the site does not render stays plain code, without a warning).

The source files are not changed; ``help()`` shows them as written.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj|const):`(~?)([^`]+)`")
_DOCTEST = re.compile(r"^(\s*)>>>(?: |$)")
_MATH = re.compile(r"^(\s*)\.\. math::\s*$")
_DOCTEST_FLAGS = re.compile(r"doctest:\s*[+-]\w+(?:\s*,\s*[+-]\w+)*\s*")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _language(block: list[str]) -> str:
    first = next((line.strip() for line in block if line.strip()), "")
    if first.startswith(">>>"):
        return "pycon"
    try:
        ast.parse("\n".join(block))
    except SyntaxError:
        return "text"
    return "python"


def _without_doctest_flags(line: str) -> str:
    """``x = 1  # doctest: +SKIP  (why)`` -> ``x = 1  # (why)``; a bare flag goes entirely."""
    code, hash_, comment = line.partition("#")
    if not hash_ or not _DOCTEST_FLAGS.match(comment.strip()):
        return line
    rest = _DOCTEST_FLAGS.sub("", comment, count=1).strip()
    return f"{code}# {rest}" if rest else code.rstrip()


def _fence(block: list[str], indent: str, language: str) -> list[str]:
    while block and not block[-1].strip():
        block.pop()
    if language == "pycon":
        block = [_without_doctest_flags(line) for line in block]
    strip = min((_indent(line) for line in block if line.strip()), default=0)
    body = [indent + line[strip:] if line.strip() else "" for line in block]
    return [f"{indent}```{language}", *body, f"{indent}```"]


def _indented_block(lines: list[str], start: int, outer: int) -> tuple[list[str], int]:
    """Lines from ``start`` (blank ones included) indented deeper than ``outer``; the end."""
    end = start
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > outer):
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end], end


def convert_blocks(text: str) -> str:
    """Literal blocks, math and doctest runs as fenced Markdown code blocks."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = not in_fence
        if in_fence:
            out.append(line)
            i += 1
            continue
        math = _MATH.match(line)
        if math or (stripped.endswith("::") and not stripped.endswith(":::")):
            block, end = _indented_block(lines, i + 1, _indent(line))
            if block and any(b.strip() for b in block):
                prefix = " " * _indent(line)
                if math:
                    out.extend(_fence(block, prefix, "latex"))
                else:
                    # "Text::" reads "Text:"; a lone "::" disappears
                    head = line.rstrip()[:-1]
                    if head.strip() != ":":
                        out.append(head)
                    out.append("")
                    out.extend(_fence(block, prefix, _language(block)))
                i = end
                continue
        doctest = _DOCTEST.match(line)
        if doctest:
            end = i
            while end < len(lines) and lines[end].strip():
                end += 1
            out.extend(_fence(lines[i:end], doctest.group(1), "pycon"))
            i = end
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def _lookup(loader: griffe.GriffeLoader, path: str) -> str | None:
    try:
        found: Any = loader.modules_collection[path]
    except (KeyError, ValueError, IndexError):
        return None
    try:
        return str(found.final_target.path) if found.is_alias else str(found.path)
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return str(found.path)


def _identifier(obj: griffe.Object, name: str, loader: griffe.GriffeLoader) -> str:
    """The full path of ``name`` as seen from ``obj`` (its class, its module), best effort."""
    first, _, rest = name.partition(".")
    scopes: list[griffe.Object] = [obj]
    parent = obj.parent
    while parent is not None:
        scopes.append(parent)
        parent = parent.parent
    for scope in scopes:
        if first in scope.members:
            candidate = f"{scope.path}.{name}"
        else:
            try:
                candidate = scope.resolve(first) + (f".{rest}" if rest else "")
            except (griffe.NameResolutionError, AttributeError):
                continue
        resolved = _lookup(loader, candidate)
        if resolved is not None:
            return resolved
    return _lookup(loader, name) or name


def convert_roles(text: str, obj: griffe.Object, loader: griffe.GriffeLoader) -> str:
    def replace(match: re.Match[str]) -> str:
        short, name = match.group(1), match.group(2)
        shown = name.rsplit(".", 1)[-1] if short else name
        identifier = _identifier(obj, name, loader)
        return f'<autoref identifier="{identifier}" optional><code>{shown}</code></autoref>'

    # inside fenced code a role stays as written
    parts = re.split(r"(^\s*```.*?^\s*```)", text, flags=re.S | re.M)
    return "".join(part if i % 2 else _ROLE.sub(replace, part) for i, part in enumerate(parts))


class RstDocstrings(griffe.Extension):
    """Rewrites every docstring of the loaded packages once the object tree is complete."""

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader,
                  **kwargs: Any) -> None:
        _rewrite(obj, loader)

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader,
                   **kwargs: Any) -> None:
        _rewrite(pkg, loader)  # on_object skips the top-level package itself


def _rewrite(obj: griffe.Object, loader: griffe.GriffeLoader) -> None:
    # idempotent: fenced blocks are left alone and converted roles are roles no more
    if obj.is_alias or obj.docstring is None:
        return
    text = convert_blocks(obj.docstring.value)
    obj.docstring.value = convert_roles(text, obj, loader)
