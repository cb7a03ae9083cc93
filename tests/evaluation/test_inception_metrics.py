"""Inception FID, KID and IS from a weights file (infogan_jax/evaluation/inception_metrics.py):
skipped without one, actionable errors for a bad one, and (slow) the measurements on
randomly initialised weights saved as an .npz of pytorch-fid's state_dict names."""

import numpy as np
import pytest

from infogan_jax import errors
from infogan_jax.evaluation import inception_metrics
from infogan_jax.networks import inception


def test_without_weights_the_inception_measures_are_skipped_saying_where_to_get_them():
  out = inception_metrics.InceptionEvaluator(None, None, None, 'tanh').run(object())
  assert out == {'inception': {'skipped': inception_metrics.SKIPPED}}
  assert 'config.eval.inception_weights is empty' in inception_metrics.SKIPPED
  assert 'pt_inception-2015-12-05-6726825d.pth' in inception_metrics.SKIPPED
  assert 'github.com/mseitzer/pytorch-fid' in inception_metrics.SKIPPED


def test_a_bad_weights_file_names_the_field_and_the_file(tmp_path):
  with pytest.raises(errors.WeightsFileError,
                     match=r'config.eval.inception_weights=\S*missing.pth: cannot read'):
    inception_metrics.load_variables(str(tmp_path / 'missing.pth'))
  other = str(tmp_path / 'other.npz')
  np.savez(other, **{'fc.weight': np.zeros((1000, 2048), np.float32)})
  with pytest.raises(errors.WeightsFileError, match="not pytorch-fid's FID Inception"):
    inception_metrics.load_variables(other)


@pytest.mark.slow
def test_inception_evaluator_on_random_weights_from_an_npz(tmp_path):
  path = str(tmp_path / 'random.npz')
  np.savez(path, **inception.random_state_dict(1))
  variables = inception_metrics.load_variables(path)
  rng = np.random.default_rng(0)
  real = rng.uniform(-1, 1, size=(6, 28, 28, 1)).astype(np.float32)   # tanh range
  evaluator = lambda fake: inception_metrics.InceptionEvaluator(
      variables, real, lambda model: (None, fake), 'tanh', batch_size=6)
  same = evaluator(real).run(object())['inception']
  assert abs(same['fid']) < 1e-3 and same['num_generated'] == same['num_real'] == 6
  # 6 images: 6 splits of one image each, whose score is exactly 1.
  assert same['inception_score'] == {'mean': pytest.approx(1.0), 'std': pytest.approx(0.0),
                                     'splits': 6}
  assert same['resize'] == inception_metrics.RESIZE
  other = evaluator(-real[::-1]).run(object())['inception']
  assert other['fid'] > 1000 * abs(same['fid'])
  assert other['kid']['subset_size'] == 6
