"""A PyTorch state_dict read as {name: numpy array}, without PyTorch: from an .npz of the
same names, or from the .pth that torch.save wrote (the zip format of torch >= 1.6, or the
legacy format before it). The file is not opened through a link (infogan_jax/files.py).

A .pth is a pickle. Unpickling runs whatever the file names, so the reader here accepts
only what a state_dict of tensors holds (an OrderedDict, tensors, their storages) and
refuses any other name, with the file named.
"""
from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from typing import Dict

import numpy as np

from infogan_jax.errors import WeightsFileError as StateDictError
from infogan_jax.files import open_no_link

SUFFIXES = ('.pth', '.pt', '.npz')

_STORAGE_DTYPES = {'FloatStorage': np.float32, 'DoubleStorage': np.float64,
                   'HalfStorage': np.float16, 'LongStorage': np.int64, 'IntStorage': np.int32,
                   'ShortStorage': np.int16, 'CharStorage': np.int8, 'ByteStorage': np.uint8,
                   'BoolStorage': np.bool_}
_LEGACY_MAGIC = 0x1950a86a20f9469cfc6c


class _Storage:
  """A tensor storage: its dtype, then its flat data once read."""

  def __init__(self, dtype):
    self.dtype, self.data = dtype, None


class _Tensor:
  """A tensor as the pickle describes it, made an array once its storage is read."""

  def __init__(self, storage, offset, size, stride):
    self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), stride

  def array(self) -> np.ndarray:
    data = self.storage.data
    item = data.itemsize
    return np.lib.stride_tricks.as_strided(data[self.offset:], self.size,
                                           [s * item for s in self.stride]).copy()


def _rebuild_tensor(storage, offset, size, stride, *unused):
  return _Tensor(storage, offset, size, stride)


def _rebuild_parameter(data, *unused):
  return data


class _Unpickler(pickle.Unpickler):
  """Unpickles a state_dict's names only; `load_storage(saved_id)` gives each storage."""

  def __init__(self, file, path, load_storage):
    super().__init__(file)
    self.path, self.load_storage = path, load_storage

  def find_class(self, module, name):
    if (module, name) == ('collections', 'OrderedDict'):
      return collections.OrderedDict
    if (module, name) == ('torch._utils', '_rebuild_tensor_v2'):
      return _rebuild_tensor
    if (module, name) == ('torch._utils', '_rebuild_parameter'):
      return _rebuild_parameter
    if module == 'torch' and name in _STORAGE_DTYPES:
      return _STORAGE_DTYPES[name]
    raise StateDictError(f'{self.path} holds {module}.{name}, which a state_dict of tensors '
                         'does not: not loaded (convert it to .npz with torch)')

  def persistent_load(self, saved_id):
    return self.load_storage(saved_id)


def _arrays(result, path) -> Dict[str, np.ndarray]:
  if not isinstance(result, dict):
    raise StateDictError(f'{path} holds a {type(result).__name__}, not a state_dict')
  return {k: v.array() if isinstance(v, _Tensor) else np.asarray(v) for k, v in result.items()}


def _read_zip(file, path) -> Dict[str, np.ndarray]:
  with zipfile.ZipFile(file) as archive:
    names = [n for n in archive.namelist() if n.endswith('/data.pkl') or n == 'data.pkl']
    if not names:
      raise StateDictError(f'{path}: a zip without data.pkl is not a torch.save file')
    prefix = names[0][:-len('data.pkl')]

    def load_storage(saved_id):
      _, dtype, key, _, numel = saved_id[:5]
      storage = _Storage(dtype)
      storage.data = np.frombuffer(archive.read(f'{prefix}data/{key}'), dtype)[:numel]
      return storage
    return _arrays(_Unpickler(io.BytesIO(archive.read(names[0])), path, load_storage).load(),
                   path)


def _read_legacy(file, path) -> Dict[str, np.ndarray]:
  """torch.save before 1.6: pickles of the magic number, protocol and system info, the
  object (storages by key), the storage keys, then each storage as int64 count + data."""
  restricted = lambda: _Unpickler(file, path, lambda saved_id: None)
  try:
    magic = restricted().load()
  except (pickle.UnpicklingError, EOFError) as e:
    raise StateDictError(f'{path} is neither a zip nor a legacy torch.save file') from e
  if magic != _LEGACY_MAGIC:
    raise StateDictError(f'{path} is not a torch.save file')
  restricted().load(), restricted().load()     # protocol version, system info
  storages = {}

  def load_storage(saved_id):
    _, dtype, key, _, _, view = saved_id
    if view is not None:
      raise StateDictError(f'{path} holds storage views: convert it to .npz with torch')
    return storages.setdefault(key, _Storage(dtype))
  result = _Unpickler(file, path, load_storage).load()
  for key in restricted().load():
    storage = storages[key]
    count, = struct.unpack('<q', file.read(8))
    nbytes = count * np.dtype(storage.dtype).itemsize
    storage.data = np.frombuffer(file.read(nbytes), storage.dtype)
    if storage.data.nbytes != nbytes:
      raise StateDictError(f'{path} ends inside its tensors (a partial download?)')
  return _arrays(result, path)


def read(path: str) -> Dict[str, np.ndarray]:
  """{name: array} of the state_dict in `path` (.pth/.pt as torch.save wrote it, or .npz
  of the same names); StateDictError, naming the file, for anything else."""
  if not path.endswith(SUFFIXES):
    raise StateDictError(f'{path}: expected a file ending in one of {SUFFIXES}')
  try:
    with open_no_link(path) as f:
      data = f.read()
  except OSError as e:
    raise StateDictError(f'cannot read {path}: {e.strerror}') from e
  if path.endswith('.npz'):
    try:
      with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile) as e:
      raise StateDictError(f'{path} is not a readable .npz: {e}') from e
  file = io.BytesIO(data)
  try:
    if zipfile.is_zipfile(file):
      file.seek(0)
      return _read_zip(file, path)
    file.seek(0)
    return _read_legacy(file, path)
  except (KeyError, struct.error, zipfile.BadZipFile, pickle.UnpicklingError, EOFError,
          TypeError, ValueError) as e:
    if isinstance(e, StateDictError):
      raise
    raise StateDictError(f'{path} is not a readable torch.save file: {e}') from e
