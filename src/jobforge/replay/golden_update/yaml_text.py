"""Positions in YAML source text: lines, columns and the blanks between tokens."""

from __future__ import annotations


def line_start(text: str, position: int) -> int:
    """Offset of the first character of the line holding ``position``."""
    return text.rfind("\n", 0, position) + 1


def line_end(text: str, position: int) -> int:
    """Offset of the line break ending the line holding ``position`` (or the text's end)."""
    found = text.find("\n", position)
    if found < 0:
        return len(text)
    return found - 1 if found > 0 and text[found - 1] == "\r" else found


def next_line_start(text: str, position: int) -> int:
    """Offset just past the line break ending the line holding ``position``."""
    found = text.find("\n", position)
    return len(text) if found < 0 else found + 1


def column(text: str, position: int) -> int:
    return position - line_start(text, position)


def starts_line(text: str, position: int) -> bool:
    """Whether only spaces come before ``position`` on its line."""
    return not text[line_start(text, position) : position].strip(" \t")


def skip_blank_and_comments(text: str, position: int) -> int:
    """The first offset from ``position`` that is neither white space nor inside a comment."""
    while position < len(text):
        if text[position].isspace():
            position += 1
        elif text[position] == "#":
            position = line_end(text, position)
        else:
            break
    return position


def rest_of_line(text: str, position: int) -> str | None:
    """What follows ``position`` on its line if that is only blanks and a comment, else None."""
    rest = text[position : line_end(text, position)]
    stripped = rest.strip(" \t")
    if not stripped:
        return ""
    return rest.rstrip(" \t") if stripped.startswith("#") and rest[0] in " \t" else None


def blank_before(text: str, position: int, *, across_lines: bool) -> int:
    """The start of the blanks (spaces, tabs and, if asked, line breaks) before ``position``."""
    blanks = " \t\r\n" if across_lines else " \t"
    while position > 0 and text[position - 1] in blanks:
        position -= 1
    return position
