"""The host's memory allocator, which matters to training on a CPU.

XLA's CPU backend allocates each call's temporary buffer, and every output it cannot write
into a donated input, with the C library's malloc. glibc serves an allocation above its
mmap threshold (at most 32 MB) with a fresh mmap and unmaps it when freed, so every step
touches those pages anew: page faults, and pages zeroed by the kernel, on every step, and the
more so the more arrays cross the threshold (XLA's temporary buffer of a step already does; so
do the stacked states of several seeds under jax.vmap). tcmalloc
keeps freed memory for reuse, so the faults disappear (docs/performance.md measures both).
Its library has to be preloaded when the process starts (LD_PRELOAD), so the CLI can only
advise it.
"""
from __future__ import annotations

import glob
import os
import sys
from typing import Optional

# gperftools' tcmalloc, as Debian/Ubuntu (libtcmalloc-minimal4, libgoogle-perftools4) and
# Fedora/RHEL (gperftools-libs) install it.
TCMALLOC_LIBRARIES = ('libtcmalloc_minimal.so.4', 'libtcmalloc.so.4')
LIBRARY_DIRS = ('/usr/lib/*-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib')
INSTALL_HINT = ('apt-get install libtcmalloc-minimal4 (Debian/Ubuntu) or '
                'dnf install gperftools-libs (Fedora/RHEL)')


def find_tcmalloc(dirs=LIBRARY_DIRS) -> Optional[str]:
  """The path of an installed tcmalloc library, or None."""
  for name in TCMALLOC_LIBRARIES:
    for pattern in dirs:
      found = sorted(glob.glob(os.path.join(pattern, name)))
      if found:
        return found[0]
  return None


def tcmalloc_preloaded(environ=os.environ) -> bool:
  return 'tcmalloc' in environ.get('LD_PRELOAD', '')


def advice(backend: str, program: str = 'train.py', environ=os.environ,
           platform: str = sys.platform, dirs=LIBRARY_DIRS) -> Optional[str]:
  """A line telling a user training on a Linux CPU how to run faster with tcmalloc;
  None when it does not apply (another backend or OS, or tcmalloc already preloaded)."""
  if backend != 'cpu' or not platform.startswith('linux') or tcmalloc_preloaded(environ):
    return None
  path = find_tcmalloc(dirs)
  how = (f'LD_PRELOAD={path} python {program} ...' if path
         else f'install it ({INSTALL_HINT}), then LD_PRELOAD=<its path> python {program} ...')
  return ('Note: on CPU, training runs faster with the tcmalloc allocator (glibc\'s malloc '
          f'page-faults on every large array each step; README, "Train"): {how}')
