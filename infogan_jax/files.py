"""Opening a file that the user named (a weights file, samples to score) without following
a link: a link could point the program at a file the user did not mean to give it."""
from __future__ import annotations

import errno
import os


def open_no_link(path: str):
  """`path` opened for binary reading; OSError (ELOOP, 'a link') when it is a link."""
  if os.path.islink(path):
    raise OSError(errno.ELOOP, 'a link: give the file itself', path)
  fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0))
  return os.fdopen(fd, 'rb')
