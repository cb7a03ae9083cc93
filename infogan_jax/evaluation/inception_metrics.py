"""FID, KID and the Inception score on InceptionV3 features, as papers report them: the
FID Inception of pytorch-fid (networks/inception.py) with its weights from the file that
config.eval.inception_weights names. Nothing is downloaded: without the file these are
skipped, with one line saying where to get it.

Images of any size and channel count: grey is repeated to three channels, and all are
resized to 299 x 299 as pytorch-fid resizes them (bilinear, no antialiasing). On a CPU the
network is slow (docs/evaluation.md gives the measured cost per image).
"""
from __future__ import annotations

import jax
import numpy as np

from infogan_jax.errors import WeightsFileError
from infogan_jax.evaluation import feature_sets
from infogan_jax.evaluation import metrics as metrics_lib
from infogan_jax.networks import inception
from infogan_jax.networks import models
from infogan_jax.networks import state_dict_files

FIELD = 'config.eval.inception_weights'
WEIGHTS_FILE = 'pt_inception-2015-12-05-6726825d.pth'
WHERE = (f"pytorch-fid's {WEIGHTS_FILE} (the fid_weights release of "
         'github.com/mseitzer/pytorch-fid)')
SKIPPED = (f'Inception FID, KID and IS skipped: {FIELD} is empty; download {WHERE} and pass '
           f'--config.eval.inception_weights=PATH')
RESIZE = 'bilinear to 299 x 299 without antialiasing (as pytorch-fid); grey repeated to RGB'
BATCH = 50
IS_SPLITS = 10   # the Inception score's splits (Salimans et al.'s code, torch-fidelity),
                 # fewer when there are fewer images


def load_variables(path: str):
  """The network's variables from the weights file at `path`; WeightsFileError naming the
  config field and the file otherwise."""
  try:
    state = state_dict_files.read(path)
    return inception.variables_from_state_dict(state, path)
  except (WeightsFileError, ValueError) as e:
    raise WeightsFileError(f'{FIELD}={path}: {e}. Expected {WHERE}, or an .npz of its '
                           'state_dict (docs/evaluation.md)') from e


def pool_and_probs(variables, images01: np.ndarray, batch_size: int = BATCH):
  """(pool3 features [N, 2048], class probabilities [N, 1008]) in batches, the last one
  padded so that one compiled shape serves every batch."""
  pools, probs = [], []
  for i in range(0, len(images01), batch_size):
    batch = np.asarray(images01[i:i + batch_size], np.float32)
    n = len(batch)
    if n < batch_size:
      batch = np.concatenate([batch, np.repeat(batch[-1:], batch_size - n, 0)])
    out = inception.features(variables, batch)
    pools.append(np.asarray(out['pool3'])[:n])
    probs.append(np.asarray(jax.nn.softmax(out['logits']))[:n])
  return np.concatenate(pools).astype(np.float64), np.concatenate(probs)


class InceptionEvaluator:
  """'inception': FID, KID and IS of the generated samples against real test images on the
  FID Inception's features, or {'skipped': why} without a weights file."""

  def __init__(self, variables, real_images, generated, output_activation: str,
               batch_size: int = BATCH):
    """variables: load_variables' result, or None (skipped); real_images and the generated
    images in the generator's range (`output_activation`); generated: common.PerModel of
    (latents, images)."""
    self.variables, self.generated = variables, generated
    self.real_images, self.activation = real_images, output_activation
    self.batch_size, self._real = batch_size, None

  def _features(self, images):
    return pool_and_probs(self.variables, models.to_unit(np.asarray(images), self.activation),
                          self.batch_size)

  def run(self, model) -> dict:
    if self.variables is None:
      return {'inception': {'skipped': SKIPPED}}
    if self._real is None:   # the real images' features serve every model
      self._real = self._features(self.real_images)
    real_pool, real_probs = self._real
    fake_pool, fake_probs = self._features(self.generated(model)[1])
    splits = min(IS_SPLITS, len(fake_probs), len(real_probs))
    score, score_std = metrics_lib.split_score(fake_probs, splits)
    real_score, _ = metrics_lib.split_score(real_probs, splits)
    return {'inception': {
        'fid': metrics_lib.frechet_distance(fake_pool, real_pool),
        'kid': feature_sets.kernel_distance(real_pool, fake_pool),
        'inception_score': {'mean': score, 'std': score_std, 'splits': splits},
        'inception_score_real_test': real_score,
        'num_generated': len(fake_pool), 'num_real': len(real_pool), 'resize': RESIZE}}
