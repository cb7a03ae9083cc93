"""Samples read for eval.py --images (infogan_jax/evaluation/image_files.py): a folder of
PNGs with optional labels, an .npz, and a clear error naming --images for anything else."""
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from infogan_jax import errors
from infogan_jax.evaluation import image_files

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _pngs(folder, images, labels=None):
  os.makedirs(folder, exist_ok=True)
  for i, image in enumerate(images):
    Image.fromarray(image).save(os.path.join(folder, f'{i:03d}.png'))
  if labels is not None:
    with open(os.path.join(folder, 'labels.txt'), 'w') as f:
      f.write('\n'.join(map(str, labels)) + '\n')


def test_a_folder_of_pngs_reads_in_name_order_with_its_labels(tmp_path):
  rng = np.random.default_rng(0)
  grey = rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
  _pngs(tmp_path / 'grey', grey, [7, 0, 3, 3, 1, 9])
  (tmp_path / 'grey' / 'notes.txt').write_text('not an image')   # other files are left out
  images, labels = image_files.read(str(tmp_path / 'grey'))
  assert images.shape == (6, 28, 28, 1) and images.dtype == np.float32
  np.testing.assert_allclose(images[..., 0], grey / 255, atol=1e-7)
  np.testing.assert_array_equal(labels, [7, 0, 3, 3, 1, 9])
  colour = rng.integers(0, 256, size=(6, 32, 40, 3), dtype=np.uint8)
  _pngs(tmp_path / 'colour', colour)
  images, labels = image_files.read(str(tmp_path / 'colour'))
  assert images.shape == (6, 32, 40, 3) and labels is None
  grey01, notes = image_files.for_classifier(images)
  assert grey01.shape == (6, 28, 28, 1)
  assert notes == ['converted to grey', 'resized from 40x32 to 28x28 for the classifier']
  red = np.zeros((1, 28, 28, 3), np.float32)
  red[..., 0] = 1
  grey01, notes = image_files.for_classifier(red)     # ITU-R 601 luma, no resize
  assert notes == ['converted to grey'] and np.allclose(grey01, 0.299)


def test_an_npz_of_uint8_or_unit_floats_with_optional_labels(tmp_path):
  images = np.random.default_rng(1).integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
  np.savez(tmp_path / 'u8.npz', images=images, labels=np.array([1, 2, 3, 4, 5, 6]))
  read, labels = image_files.read(str(tmp_path / 'u8.npz'))
  np.testing.assert_allclose(read[..., 0], images / 255, atol=1e-7)
  np.testing.assert_array_equal(labels, [1, 2, 3, 4, 5, 6])
  np.savez(tmp_path / 'f.npz', images=(images / 255.0)[..., None])
  read, labels = image_files.read(str(tmp_path / 'f.npz'))
  assert read.shape == (6, 28, 28, 1) and labels is None


def _error(path, match):
  with pytest.raises(errors.EvaluationError, match=match) as e:
    image_files.read(str(path))
  assert str(e.value).startswith(f'--images={path}')


def test_bad_samples_are_refused_naming_the_flag_and_the_problem(tmp_path):
  _error(tmp_path / 'nothing', 'no such file or folder')
  (tmp_path / 'empty').mkdir()
  _error(tmp_path / 'empty', 'holds no .png files')
  (tmp_path / 'x.txt').write_text('hi')
  _error(tmp_path / 'x.txt', 'expected a folder of .png files or an .npz file')
  np.savez(tmp_path / 'noimages.npz', pictures=np.zeros((2, 28, 28)))
  _error(tmp_path / 'noimages.npz', "needs an 'images' array")
  np.savez(tmp_path / 'range.npz', images=np.full((6, 28, 28), 255.0))
  _error(tmp_path / 'range.npz', r'float images must lie in \[0, 1\]')
  np.savez(tmp_path / 'shape.npz', images=np.zeros((2, 28, 28, 4), np.uint8))
  _error(tmp_path / 'shape.npz', r'got shape \(2, 28, 28, 4\)')
  np.savez(tmp_path / 'labels.npz', images=np.zeros((6, 28, 28), np.uint8),
           labels=[1, 12, 0, 0, 0, 0])
  _error(tmp_path / 'labels.npz', 'labels must be 6 digits 0..9')
  np.savez(tmp_path / 'few.npz', images=np.zeros((5, 28, 28), np.uint8))
  _error(tmp_path / 'few.npz', '5 images: the k-NN measures need at least 6')
  (tmp_path / 'broken.npz').write_bytes(b'PK nonsense')
  _error(tmp_path / 'broken.npz', 'not a readable .npz')
  _pngs(tmp_path / 'sizes', [np.zeros((28, 28), np.uint8), np.zeros((30, 30), np.uint8)])
  _error(tmp_path / 'sizes', '001.png is \\(30, 30\\), 000.png is \\(28, 28\\)')
  _pngs(tmp_path / 'short', [np.zeros((28, 28), np.uint8)] * 6, [3])
  _error(tmp_path / 'short', 'labels must be 6 digits')


def test_links_are_not_followed(tmp_path):
  _pngs(tmp_path / 'real', [np.zeros((28, 28), np.uint8)])
  os.symlink(tmp_path / 'real', tmp_path / 'folder_link')
  _error(tmp_path / 'folder_link', 'is a link')
  _pngs(tmp_path / 'inside', [np.zeros((28, 28), np.uint8)])
  os.symlink(tmp_path / 'real' / '000.png', tmp_path / 'inside' / '001.png')
  _error(tmp_path / 'inside', r'cannot read .*001.png: a link')


def test_eval_py_images_ends_with_one_line_naming_the_flag(tmp_path):
  result = subprocess.run([sys.executable, 'eval.py', '--config=configs/mnist.py',
                           f'--images={tmp_path}/missing.npz'], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
  assert result.returncode == 2
  assert result.stderr.strip().splitlines()[-1] == (
      f'eval.py: error: --images={tmp_path}/missing.npz: no such file or folder')
  assert 'Traceback' not in result.stderr
