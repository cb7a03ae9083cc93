"""The procedural shapes dataset (infogan_jax/data/shapes.py) and the disentanglement metric
(infogan_jax/evaluation/disentanglement.py)."""
import json
import math

import numpy as np
import pytest

from infogan_jax.evaluation import disentanglement
from infogan_jax.data import shapes


def test_a_square_of_known_scale_and_position_has_the_expected_pixels_and_centroid():
  image = shapes.render(shapes.SHAPES.index('square'), 1.0, 0.0, 0.5, 0.5)
  side = 2 * shapes.MAX_HALF_SIZE * shapes.SIZE                 # 14.08 pixels
  on = image > 0
  assert image.dtype == np.uint8 and set(np.unique(image)) <= {0, 255}
  assert abs(on.sum() - side ** 2) <= 4 * side                  # pixel centres inside
  ys, xs = np.nonzero(on)
  assert xs.mean() == pytest.approx(15.5, abs=0.01) and ys.mean() == pytest.approx(15.5, abs=0.01)
  # Moved right and down (y grows downwards), halved: a quarter of the area.
  small = shapes.render(shapes.SHAPES.index('square'), 0.5, 0.0, 0.7, 0.3) > 0
  ys, xs = np.nonzero(small)
  assert xs.mean() == pytest.approx(0.7 * 32 - 0.5, abs=0.6)
  assert ys.mean() == pytest.approx(0.3 * 32 - 0.5, abs=0.6)
  assert small.sum() == pytest.approx(on.sum() / 4, rel=0.2)


def test_orientation_turns_the_shapes_counter_clockwise_with_their_symmetries():
  square, ellipse, heart = range(3)
  quarter = math.pi / 2
  same = lambda s, a, b: np.array_equal(shapes.render(s, 1.0, a, 0.5, 0.5),
                                        shapes.render(s, 1.0, b, 0.5, 0.5))
  assert same(square, 0.0, quarter)                  # a quarter turn maps a square on itself
  assert not same(ellipse, 0.0, quarter) and same(ellipse, 0.0, 2 * quarter)
  assert not same(heart, 0.0, 2 * quarter)           # the heart's orientation is visible
  # The ellipse lies along x at 0 and along y after a quarter turn.
  flat = shapes.render(ellipse, 1.0, 0.0, 0.5, 0.5) > 0
  assert np.ptp(np.nonzero(flat)[1]) > 1.8 * np.ptp(np.nonzero(flat)[0])
  upright = shapes.render(ellipse, 1.0, quarter, 0.5, 0.5) > 0
  assert np.ptp(np.nonzero(upright)[0]) > 1.8 * np.ptp(np.nonzero(upright)[1])


def test_splits_are_fixed_by_the_seed_and_return_their_factors():
  images, factors = shapes.make_split(3, 'train', 200)
  again, factors_again = shapes.make_split(3, 'train', 200)
  np.testing.assert_array_equal(images, again)
  np.testing.assert_array_equal(factors, factors_again)
  other, _ = shapes.make_split(3, 'test', 200)
  assert not np.array_equal(images, other)
  assert images.shape == (200, 32, 32, 1) and factors.shape == (200, len(shapes.FACTORS))
  for k, name in enumerate(shapes.FACTOR_NAMES):   # every value of every factor is drawn
    assert factors[:, k].min() >= 0 and factors[:, k].max() < len(shapes.FACTORS[name])
  values = shapes.factor_values(factors[:5])
  for i in range(5):
    np.testing.assert_array_equal(images[i, :, :, 0], shapes.render(
        int(values['shape'][i]), values['scale'][i], values['orientation'][i],
        values['x'][i], values['y'][i]))
  # Every shape appears, and every image shows some of it.
  assert set(factors[:, 0]) == {0, 1, 2} and np.all(images.reshape(200, -1).max(1) == 255)


def test_mig_is_near_one_for_codes_equal_to_the_factors_and_near_zero_for_random_codes():
  rng = np.random.default_rng(0)
  factors = np.stack([rng.integers(0, n, 20000) for n in (3, 6, 16)], axis=1)
  names = ['shape', 'scale', 'x']
  # Each factor read off its own code (continuous, then discretised), plus a noise code.
  codes = np.concatenate([factors + rng.uniform(-0.1, 0.1, factors.shape),
                          rng.normal(size=(20000, 1))], axis=1)
  result = disentanglement.mig(disentanglement.discretise(codes), factors,
                               ['c0', 'c1', 'c2', 'noise'], names)
  assert result['mig'] > 0.95
  assert [result['factors'][n]['best_code'] for n in names] == ['c0', 'c1', 'c2']
  assert all(result['factors'][n]['normalised_mi'] > 0.95 for n in names)
  # Random codes: nothing to read.
  noise = disentanglement.discretise(rng.normal(size=(20000, 4)))
  assert disentanglement.mig(noise, factors, ['a', 'b', 'c', 'd'], names)['mig'] < 0.02
  # Two codes that both carry the factor: each knows it fully, neither stands out, gap 0.
  both = np.concatenate([codes[:, :1], codes[:, :1]], axis=1)
  result = disentanglement.mig(disentanglement.discretise(both), factors[:, :1], ['p', 'q'],
                               ['shape'])
  assert result['mig'] < 0.01 and result['factors']['shape']['normalised_mi'] > 0.95


def test_entropy_and_mutual_information_of_known_cases():
  a = np.repeat(np.arange(4), 250)
  assert disentanglement.entropy(a) == pytest.approx(math.log(4))
  assert disentanglement.mutual_information(a, a) == pytest.approx(math.log(4))
  assert disentanglement.mutual_information(a, a % 2) == pytest.approx(math.log(2))
  assert disentanglement.mutual_information(a, np.zeros_like(a)) == pytest.approx(0.0)


def test_host_batches_of_arrays_resume_where_they_left_and_split_over_processes():
  from infogan_jax.data import input_pipeline
  images = np.arange(50, dtype=np.uint8).reshape(50, 1, 1, 1)
  labels = np.arange(50, dtype=np.int32)
  stream = input_pipeline.array_batches(images, labels, 'sigmoid', 8, seed=4)
  first = [next(stream)['label'] for _ in range(10)]           # 6 batches per epoch of 50
  assert all(len(set(b)) == 8 for b in first) and len(set(np.concatenate(first[:6]))) == 48
  resumed = input_pipeline.array_batches(images, labels, 'sigmoid', 8, seed=4, start=7)
  np.testing.assert_array_equal(next(resumed)['label'], first[7])
  halves = [next(input_pipeline.array_batches(images, labels, 'sigmoid', 4, seed=4,
                                              process_index=i, process_count=2))
            for i in range(2)]
  np.testing.assert_array_equal(np.concatenate([h['label'] for h in halves]), first[0])
  np.testing.assert_allclose(halves[0]['image'][:, 0, 0, 0], halves[0]['label'] / 255.0)


@pytest.mark.slow
@pytest.mark.parametrize('placement', ['device', 'host'])
def test_shapes_train_on_both_routes_and_evaluate_their_disentanglement(tmp_path, placement):
  from configs import shapes as shapes_config, tiny
  from infogan_jax.evaluation import report as evaluation
  from infogan_jax.training import loop
  from infogan_jax.training import workdir as workdir_lib
  config = tiny.get_config()
  full = shapes_config.get_config()
  config.dataset, config.latent = full.dataset, full.latent
  # the shapes' game (no normalisation in D, R1) and Q's consistency under the deformations
  # that span the shapes' other factors, on the tiny networks
  config.model.d_norm, config.objective, config.consistency = (
      full.model.d_norm, full.objective, full.consistency)
  config.data_placement, config.num_train_steps = placement, 4
  config.eval.num_samples = 300
  workdir = str(tmp_path / placement)
  state = loop.train(config, workdir)
  assert int(state.step) == 4
  with open(workdir_lib.metrics_path(workdir)) as f:
    logged = json.loads(f.readlines()[-1])
  assert np.isfinite(logged['consistency/cat0']) and np.isfinite(logged['r1'])
  if placement == 'host':
    return
  metrics = evaluation.run(config, workdir)
  assert 0.0 <= metrics['mig'] <= 1.0 and metrics['num_images'] == 300
  assert set(metrics['factors']) == set(shapes.FACTOR_NAMES)
  assert all(f['best_code'] in ('cat0', 'cont0', 'cont1', 'cont2', 'cont3')
             for f in metrics['factors'].values())
  assert 'traversal_cont3' in metrics['figures'] and 0.0 <= metrics['shape_accuracy'] <= 1.0
