"""Generated digits as training data (infogan_jax/evaluation/generated_data.py): CAS and
the augmentation study, on synthetic 'digits' a classifier learns in a few steps (digit k:
a bright 6 x 6 square at its own place), with a stand-in generator."""
import types

import jax
import numpy as np
import pytest

from infogan_jax.evaluation import common
from infogan_jax.evaluation import generated_data as gd
from infogan_jax.networks.latents import LatentSpec


def _digits(labels, seed):
  rng = np.random.default_rng(seed)
  images = rng.uniform(0, 0.2, size=(len(labels), 28, 28, 1)).astype(np.float32)
  for i, k in enumerate(labels):
    row, col = 2 + 13 * (k // 5), 1 + 5 * (k % 5)
    images[i, row:row + 6, col:col + 6, 0] = 1.0
  return images


def test_balanced_subset_takes_as_many_of_each_class():
  labels = np.repeat(np.arange(10), [5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
  pick = gd.balanced_subset(labels, 50, seed=0)
  assert len(set(pick)) == 50 and np.all(np.bincount(labels[pick]) == 5)
  with pytest.raises(ValueError, match='class 0 has 5 images, fewer than 6'):
    gd.balanced_subset(labels, 60, seed=0)


def test_shift_rotate_moves_each_copy_of_its_source_a_little():
  images = (_digits(np.arange(10), 0) > 0.5).astype(np.float32)   # the squares alone
  copies, source = gd.shift_rotate(images, 40, seed=1)
  assert copies.shape == (40, 28, 28, 1) and set(source) <= set(range(10))
  assert copies.min() >= 0 and copies.max() <= 1
  moved = np.abs(copies - images[source]).sum((1, 2, 3))
  assert np.mean(moved > 1) > 0.5                    # most copies differ from the source
  # ... but by no more than the shift and the rotation allow: 2 px per axis, and 10 degrees
  # about the centre move a square's centre (at most 13 px from it) by at most 2.3 px.
  def centre(x):
    ys, xs = np.mgrid[:28, :28]
    mass = x[..., 0].sum((1, 2))
    return np.stack([(x[..., 0] * ys).sum((1, 2)) / mass, (x[..., 0] * xs).sum((1, 2)) / mass], 1)
  moved_by = np.linalg.norm(centre(copies) - centre(images[source]), axis=1)
  assert moved_by.max() <= 2 * np.sqrt(2) + 2.3


def test_class_conditional_latents_set_the_class_code_only():
  spec = LatentSpec(noise_dim=2, categorical=(3, 10), continuous=1)
  latents, digits = gd.class_conditional_latents(spec, jax.random.key(0), 4, code=1,
                                                 digit_to_category={2: 7, 0: 5})
  np.testing.assert_array_equal(digits, [0] * 4 + [2] * 4)
  np.testing.assert_array_equal(np.asarray(latents.cat)[:, 1], [5] * 4 + [7] * 4)
  assert np.asarray(latents.noise).shape == (8, 2) and np.asarray(latents.cont).shape == (8, 1)


@pytest.mark.slow   # classifier fits: ~30 s under the tests' unoptimised XLA
def test_cas_is_high_for_rightly_labelled_samples_and_chance_for_shuffled_labels():
  test_labels = np.arange(200) % 10
  test = _digits(test_labels, 1)
  labels = np.arange(300) % 10
  fake = _digits(labels, 2)
  right = gd.classification_accuracy_score(fake, labels, test, test_labels, seeds=(0,),
                                           steps=40)
  assert right['mean'] > 0.9 and right['num_generated'] == 300
  wrong = gd.classification_accuracy_score(fake, np.roll(labels, 3), test, test_labels,
                                           seeds=(0,), steps=40)
  assert wrong['mean'] < 0.3


@pytest.mark.slow
def test_evaluator_trains_with_and_without_the_samples_of_a_guided_generator():
  real_labels = np.arange(400) % 10
  test_labels = np.arange(100) % 10
  spec = LatentSpec(noise_dim=2, categorical=(10,), continuous=0, guided=0)
  model = types.SimpleNamespace(   # a perfect generator, in the tanh range
      spec=spec, generate=lambda latents: 2 * _digits(np.asarray(latents.cat)[:, 0], 3) - 1)
  evaluator = gd.GeneratedDataEvaluator(
      jax.random.key(0), _digits(test_labels, 4), test_labels, _digits(real_labels, 5),
      real_labels, common.PerModel(lambda m: None), 'tanh', per_class=10, sizes=(20,),
      seeds=(0, 1), steps=20, cas_seeds=(0, 1, 2))
  out = evaluator.run(model)
  assert out['cas']['num_generated'] == 100 and len(out['cas']['per_seed']) == 3
  assert out['cas']['seeds'] == [0, 1, 2]
  row = out['augmentation']['sizes']['20']
  for name in ('real', '+generated', '+shift_rotate'):
    assert len(row[name]) == 2 and row[f'{name}_mean'] == pytest.approx(np.mean(row[name]))
  assert row['gain_generated'] == pytest.approx(row['+generated_mean'] - row['real_mean'])
  assert row['gain_shift_rotate'] == pytest.approx(row['+shift_rotate_mean'] - row['real_mean'])
  assert out['augmentation']['num_generated'] == 100 and out['augmentation']['steps'] == 20
  plain = types.SimpleNamespace(spec=LatentSpec(noise_dim=2, categorical=(), continuous=0))
  assert evaluator.run(plain) == {}


def test_baselines_are_fitted_once_and_kept_under_a_key_of_what_they_are_fitted_from(
    tmp_path, monkeypatch):
  fits = []

  def fake_accuracies(x, y, test_x, test_y, seeds, steps):   # records what it was asked
    fits.append(len(x))
    return [len(x) / 1000 + s for s in seeds]

  monkeypatch.setattr(gd, 'accuracies', fake_accuracies)
  real_labels = np.arange(200) % 10
  real, test = _digits(real_labels, 0), _digits(np.arange(50) % 10, 1)
  fake, fake_labels = _digits(np.arange(30) % 10, 2), np.arange(30) % 10
  cache = gd.BaselineCache(str(tmp_path / 'clf' / gd.BASELINES_FILE))
  args = (real, real_labels, fake, fake_labels, test, np.arange(50) % 10)
  first = gd.augmentation(*args, sizes=(20,), seeds=(0, 1), steps=5, cache=cache)
  assert fits == [20, 50, 50] and not first['baselines_cached']   # real, +shift, +generated
  fits.clear()
  other_fake = _digits(np.arange(30) % 10, 3)          # another generator, same size
  second = gd.augmentation(real, real_labels, other_fake, fake_labels, *args[4:],
                           sizes=(20,), seeds=(0, 1), steps=5, cache=cache)
  assert fits == [50] and second['baselines_cached']   # only its own row is fitted
  for name in ('real', '+shift_rotate'):
    assert second['sizes']['20'][name] == first['sizes']['20'][name]
  fits.clear()
  gd.augmentation(*args, sizes=(20,), seeds=(0, 1), steps=6, cache=cache)   # other steps
  assert fits == [20, 50, 50]
  fits.clear()
  (tmp_path / 'clf' / gd.BASELINES_FILE).write_text('{not json')   # damaged: refitted
  assert not gd.augmentation(*args, sizes=(20,), seeds=(0, 1), steps=5,
                             cache=cache)['baselines_cached']
  assert fits == [20, 50, 50]


def test_evaluator_without_augmentation_measures_cas_alone(monkeypatch):
  monkeypatch.setattr(gd, 'accuracies', lambda x, y, *a: [float(np.mean(y == y))])
  spec = LatentSpec(noise_dim=2, categorical=(10,), continuous=0, guided=0)
  model = types.SimpleNamespace(
      spec=spec, generate=lambda latents: 2 * _digits(np.asarray(latents.cat)[:, 0], 3) - 1)
  labels = np.arange(100) % 10
  evaluator = gd.GeneratedDataEvaluator(
      jax.random.key(0), _digits(labels, 4), labels, _digits(labels, 5), labels,
      common.PerModel(lambda m: None), 'tanh', per_class=3, augment=False)
  out = evaluator.run(model)
  assert set(out) == {'cas'} and out['cas']['seeds'] == list(gd.CAS_SEEDS)
  assert out['cas']['num_generated'] == 30
