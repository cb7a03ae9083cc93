"""Reading a PyTorch state_dict without PyTorch (infogan_jax/networks/state_dict_files.py).

state_dicts/tiny_*.pth were written by torch 2.13 (CPU) with
`torch.save(sd, 'tiny_zip.pth')` and `torch.save(sd, 'tiny_legacy.pth',
_use_new_zipfile_serialization=False)`, where sd = OrderedDict(conv.weight =
arange(12.).reshape(3, 4), conv.bias = [0.5, -1.5] (float64), bn.num_batches_tracked = 7,
fc.weight = conv.weight.t(), fc.bias = conv.weight[1:, 2], mask = [True, False, True]):
the views share conv.weight's storage, one transposed, one at an offset."""
import os
import pickle
import zipfile

import numpy as np
import pytest

from infogan_jax import errors
from infogan_jax.networks import state_dict_files

HERE = os.path.join(os.path.dirname(__file__), 'state_dicts')
BASE = np.arange(12, dtype=np.float32).reshape(3, 4)


@pytest.mark.parametrize('name', ['tiny_zip.pth', 'tiny_legacy.pth'])
def test_both_torch_save_formats_read_as_the_tensors_torch_wrote(name):
  sd = state_dict_files.read(os.path.join(HERE, name))
  assert list(sd) == ['conv.weight', 'conv.bias', 'bn.num_batches_tracked', 'fc.weight',
                      'fc.bias', 'mask']
  np.testing.assert_array_equal(sd['conv.weight'], BASE)
  assert sd['conv.weight'].dtype == np.float32 and sd['conv.bias'].dtype == np.float64
  np.testing.assert_array_equal(sd['conv.bias'], [0.5, -1.5])
  assert sd['bn.num_batches_tracked'].shape == () and sd['bn.num_batches_tracked'] == 7
  np.testing.assert_array_equal(sd['fc.weight'], BASE.T)
  np.testing.assert_array_equal(sd['fc.bias'], BASE[1:, 2])
  np.testing.assert_array_equal(sd['mask'], [True, False, True])


def test_npz_of_the_same_names_reads_alike(tmp_path):
  path = str(tmp_path / 'sd.npz')
  np.savez(path, **{'conv.weight': BASE, 'fc.bias': BASE[1:, 2]})
  sd = state_dict_files.read(path)
  np.testing.assert_array_equal(sd['conv.weight'], BASE)
  assert set(sd) == {'conv.weight', 'fc.bias'}


def _zip_with_pickle(path, payload: bytes):
  with zipfile.ZipFile(path, 'w') as z:
    z.writestr('archive/data.pkl', payload)


def test_files_that_are_not_plain_state_dicts_are_refused_naming_the_file(tmp_path):
  evil = str(tmp_path / 'evil.pth')
  _zip_with_pickle(evil, pickle.dumps(os.system))      # would run code if unpickled freely
  with pytest.raises(errors.WeightsFileError, match='evil.pth holds posix.system'):
    state_dict_files.read(evil)
  not_dict = str(tmp_path / 'list.pth')
  _zip_with_pickle(not_dict, pickle.dumps([1, 2]))
  with pytest.raises(errors.WeightsFileError, match='holds a list, not a state_dict'):
    state_dict_files.read(not_dict)
  garbage = tmp_path / 'garbage.pth'
  garbage.write_bytes(b'not a pickle at all')
  with pytest.raises(errors.WeightsFileError, match='garbage.pth'):
    state_dict_files.read(str(garbage))
  with open(os.path.join(HERE, 'tiny_legacy.pth'), 'rb') as f:
    (tmp_path / 'cut.pth').write_bytes(f.read()[:-20])
  with pytest.raises(errors.WeightsFileError, match='ends inside its tensors'):
    state_dict_files.read(str(tmp_path / 'cut.pth'))
  with pytest.raises(errors.WeightsFileError, match=r"one of \('.pth', '.pt', '.npz'\)"):
    state_dict_files.read(str(tmp_path / 'weights.bin'))
  with pytest.raises(errors.WeightsFileError, match='cannot read'):
    state_dict_files.read(str(tmp_path / 'missing.pth'))


def test_a_link_is_not_followed(tmp_path):
  link = tmp_path / 'link.pth'
  os.symlink(os.path.join(HERE, 'tiny_zip.pth'), link)
  with pytest.raises(errors.WeightsFileError, match='cannot read .*link.pth: a link'):
    state_dict_files.read(str(link))
