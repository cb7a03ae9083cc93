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

Without tcmalloc, `keep_freed_memory` (train.py's second statement, before JAX starts any
thread) sets glibc's malloc so that it keeps freed memory too: one arena (M_ARENA_MAX = 1:
the threads' own arenas, heaps of their own, are where the faults came from), no mmap for
large blocks (M_MMAP_MAX = 0) and no trimming of the heap below 2 GB (M_TRIM_THRESHOLD). The
faults per step then fall to zero; tcmalloc stays somewhat faster (benchmarks/host_allocator.py
measures the three in one run). INFOGAN_JAX_GLIBC_DEFAULTS=1 leaves glibc as it is.
"""
from __future__ import annotations

import ctypes
import ctypes.util
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


# glibc's mallopt parameters (malloc.h) and the values keep_freed_memory sets.
M_TRIM_THRESHOLD, M_MMAP_MAX, M_ARENA_MAX = -1, -4, -8
KEPT_HEAP = ((M_ARENA_MAX, 1), (M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, 2**31 - 1))
OPT_OUT = 'INFOGAN_JAX_GLIBC_DEFAULTS'


def keep_freed_memory(environ=os.environ, platform: str = sys.platform) -> bool:
  """Makes glibc's malloc keep freed memory for reuse (KEPT_HEAP), unless tcmalloc is
  preloaded, the platform is not Linux with glibc, or OPT_OUT is set; True if it did. Call it
  before any thread starts (arenas are made per thread)."""
  if (not platform.startswith('linux') or tcmalloc_preloaded(environ)
      or environ.get(OPT_OUT, '') not in ('', '0')):
    return False
  try:
    libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
    mallopt = libc.mallopt
  except (OSError, AttributeError):   # not glibc (musl has no mallopt)
    return False
  return all(mallopt(parameter, value) == 1 for parameter, value in KEPT_HEAP)


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
           platform: str = sys.platform, dirs=LIBRARY_DIRS,
           heap_kept: bool = False) -> Optional[str]:
  """A line telling a user training on a Linux CPU how to run faster with tcmalloc;
  None when it does not apply (another backend or OS, or tcmalloc already preloaded).
  `heap_kept`: keep_freed_memory took effect (no page faults; tcmalloc is still faster)."""
  if backend != 'cpu' or not platform.startswith('linux') or tcmalloc_preloaded(environ):
    return None
  path = find_tcmalloc(dirs)
  how = (f'LD_PRELOAD={path} python {program} ...' if path
         else f'install it ({INSTALL_HINT}), then LD_PRELOAD=<its path> python {program} ...')
  why = ('than with glibc\'s malloc, which this process set to keep freed memory'
         if heap_kept else '(glibc\'s malloc page-faults on every large array each step)')
  return (f'Note: on CPU, training runs faster with the tcmalloc allocator {why}; README, '
          f'"Train": {how}')
