"""The CLI's advice to preload tcmalloc when training on a Linux CPU."""
import os

from infogan_jax.training import host_memory


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
