"""The host's allocator: glibc set to keep freed memory, and the CLI's advice to preload
tcmalloc when training on a Linux CPU."""
import os
import subprocess
import sys

import pytest

from infogan_jax.training import host_memory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _library_dir(tmp_path, name='libtcmalloc_minimal.so.4'):
  lib = tmp_path / 'x86_64-linux-gnu'
  lib.mkdir()
  (lib / name).write_bytes(b'')
  return str(lib)


def test_advice_names_the_installed_library(tmp_path):
  lib = _library_dir(tmp_path)
  advice = host_memory.advice('cpu', environ={}, platform='linux',
                              dirs=(str(tmp_path / '*-linux-gnu'),))
  assert f'LD_PRELOAD={os.path.join(lib, "libtcmalloc_minimal.so.4")} python train.py' in advice


def test_advice_says_how_to_install_when_no_library_is_found(tmp_path):
  advice = host_memory.advice('cpu', program='eval.py', environ={}, platform='linux',
                              dirs=(str(tmp_path),))
  assert host_memory.INSTALL_HINT in advice and 'python eval.py' in advice


def test_the_full_library_counts_when_the_minimal_one_is_absent(tmp_path):
  lib = _library_dir(tmp_path, 'libtcmalloc.so.4')
  assert host_memory.find_tcmalloc((lib,)) == os.path.join(lib, 'libtcmalloc.so.4')


def test_no_advice_where_it_does_not_apply(tmp_path):
  dirs = (_library_dir(tmp_path),)
  preloaded = {'LD_PRELOAD': '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4'}
  assert host_memory.advice('cpu', environ=preloaded, platform='linux', dirs=dirs) is None
  assert host_memory.advice('gpu', environ={}, platform='linux', dirs=dirs) is None
  assert host_memory.advice('cpu', environ={}, platform='darwin', dirs=dirs) is None


def test_glibc_is_left_alone_where_keeping_freed_memory_does_not_apply():
  preloaded = {'LD_PRELOAD': '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4'}
  assert not host_memory.keep_freed_memory(environ=preloaded, platform='linux')
  assert not host_memory.keep_freed_memory(environ={host_memory.OPT_OUT: '1'},
                                           platform='linux')
  assert not host_memory.keep_freed_memory(environ={}, platform='darwin')


_FAULTS = '''
import resource, sys
from infogan_jax.training import host_memory
kept = host_memory.keep_freed_memory(environ={}) if sys.argv[1] == 'kept' else False
import jax
import numpy as np
from configs import mnist
from infogan_jax import games
config = mnist.get_config()
state = games.create_train_state(config, jax.random.key(0))
step = jax.jit(games.train_step, donate_argnums=0)
batch = {'image': np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)}
faults = []
for i in range(10):   # the faults of each step after 3 warm ones
  start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
  state, metrics = step(state, batch, games.step_rng(0, i))
  jax.block_until_ready(metrics)
  faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start)
print(kept, int(np.median(faults[3:])))
'''


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith('linux') or 'tcmalloc' in os.environ.get(
    'LD_PRELOAD', ''), reason='glibc on Linux, without tcmalloc preloaded')
def test_keeping_freed_memory_ends_the_page_faults_of_the_train_step():
  """InfoGAN's MNIST step on a CPU: with glibc's defaults every step faults in thousands of
  fresh pages (its threads' arenas map and unmap their large blocks); with
  keep_freed_memory, train.py's default, the steps reuse the memory of the last. (The median
  step: while the heap still grows, as it may for a step or two when other work shares the
  cores, a step faults in the new pages once.)"""
  env = dict(os.environ, XLA_FLAGS='')   # the step as training compiles it
  def faults(mode):
    out = subprocess.run([sys.executable, '-c', _FAULTS, mode], capture_output=True, text=True,
                         cwd=ROOT, env=env, check=True).stdout.split()
    return out[-2] == 'True', int(out[-1])
  kept, default = faults('kept'), faults('default')
  assert kept[0] and not default[0]
  assert default[1] > 5_000 and kept[1] < 500, (default, kept)
