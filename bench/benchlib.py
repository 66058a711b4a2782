"""Helpers shared by the benchmark scripts (bench/run.py, bench/capacity.py) and, through
its command line, by the shell scripts that need a free port:

    python3 bench/benchlib.py free-port      prints a free TCP port on 127.0.0.1

free_port()                       a free TCP port on 127.0.0.1
section(text, heading)            the text of one "## " section of a Markdown document
replace_section(path, heading, new)  that section replaced (or appended) in a file, atomically
"""
import os
import re
import socket
import sys
import tempfile


class DocError(Exception):
    """A document that cannot be read or written; the message names it and why."""


def free_port():
    """A TCP port on 127.0.0.1 that is free now. The kernel picks it; a small race remains
    until the caller binds it, which is fine for a server started at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A level-2 heading starts a section; one of level 3 or deeper belongs to it.
_NEXT_SECTION = re.compile(r"^## ", re.MULTILINE)


def _bounds(text, heading):
    """(start, end) of the section whose heading line is exactly `heading`, up to the next
    level-2 heading or the end of the text; None when no line is that heading. A heading
    that only begins with `heading` ("## Capacity planning" for "## Capacity plan") or
    the words of the heading in prose are not it."""
    match = re.search(rf"^{re.escape(heading.rstrip())}[ \t]*$", text, re.MULTILINE)
    if match is None:
        return None
    following = _NEXT_SECTION.search(text, match.end())
    return match.start(), following.start() if following else len(text)


def section(text, heading):
    """The section under `heading` (its heading line included, up to the next "## " line),
    or None when the text has no such heading."""
    bounds = _bounds(text, heading)
    return None if bounds is None else text[bounds[0]:bounds[1]]


def replace_section(path, heading, new):
    """Replaces the section under `heading` in the file at `path` by `new` (which starts
    with that heading), or appends `new` after a blank line when there is none. The other
    sections are kept byte for byte. The file is replaced atomically: an interrupted run
    leaves the old document, never half of the new one. A missing file is an error: the
    document holds other sections, which a new file would silently lose."""
    if not new.startswith(heading):
        raise ValueError(f"the new section must start with its heading {heading!r}")
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise DocError(f"cannot read {path}: {e.strerror}") from e
    if not new.endswith("\n"):
        new += "\n"
    bounds = _bounds(text, heading)
    if bounds is None:
        text = text.rstrip("\n") + "\n\n" + new
    else:
        text = text[:bounds[0]] + new + text[bounds[1]:]
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=".section.", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(temp, os.stat(path).st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def main(argv):
    if argv == ["free-port"]:
        print(free_port())
        return 0
    print("usage: bench/benchlib.py free-port", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
