import json
import os
import shutil

import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds

from configs import tiny
from infogan_jax import api
from infogan_jax import errors
from infogan_jax.evaluation import report as evaluation
from infogan_jax.training import workdir as workdir_lib


def test_matched_accuracy_on_hand_made_confusions():
  labels = np.repeat(np.arange(10), 10)
  permuted = (labels + 3) % 10          # a perfect clustering under another naming
  acc, mapping, confusion = evaluation.matched_accuracy(permuted, labels, 10)
  assert acc == 1.0 and mapping[3] == 0 and mapping[2] == 9
  assert confusion.sum() == 100
  noisy = permuted.copy()
  noisy[:20] = 0                        # 20 samples put in category 0
  acc, _, _ = evaluation.matched_accuracy(noisy, labels, 10)
  # Category 0 now holds labels 7, 0 and 1 (10 each) and categories 3, 4 are empty:
  # the best matching keeps 10 in category 0 plus 7 untouched categories = 80.
  assert acc == pytest.approx(0.8)
  collapsed = np.zeros_like(labels)     # everything in one category: one class matched
  assert evaluation.matched_accuracy(collapsed, labels, 10)[0] == pytest.approx(0.1)


def test_frechet_distance_is_zero_for_identical_sets_and_grows_with_shift():
  x = np.random.default_rng(0).normal(size=(2000, 8))
  assert abs(evaluation.frechet_distance(x, x)) < 1e-6
  d1 = evaluation.frechet_distance(x, x + 0.5)
  d2 = evaluation.frechet_distance(x, x + 1.0)
  assert d1 == pytest.approx(8 * 0.25, rel=1e-3) and d2 == pytest.approx(8.0, rel=1e-3)


def test_classifier_score_bounds():
  confident = np.eye(10)[np.arange(1000) % 10]
  assert evaluation.classifier_score(confident) == pytest.approx(10, rel=1e-6)
  one_class = np.eye(10)[np.zeros(100, int)]
  assert evaluation.classifier_score(one_class) == pytest.approx(1, rel=1e-6)


def test_posterior_information_is_ln_k_for_confident_balanced_and_zero_for_collapsed():
  confident = np.eye(10)[np.arange(1000) % 10]
  assert evaluation.posterior_information(confident) == pytest.approx(np.log(10), abs=1e-6)
  collapsed = np.eye(10)[np.zeros(1000, int)]            # certain, but one category
  assert evaluation.posterior_information(collapsed) == pytest.approx(0.0, abs=1e-6)
  unsure = np.full((1000, 10), 0.1)                      # balanced, but no opinion
  assert evaluation.posterior_information(unsure) == pytest.approx(0.0, abs=1e-6)
  half = 0.5 * confident + 0.05                          # in between
  assert 0.5 < evaluation.posterior_information(half) < np.log(10) - 0.5


def test_restarts_keep_the_run_with_the_highest_label_free_criterion_per_group():
  # Criterion and accuracy as measured for seeds 0-7 at 5,000 steps (docs/results.md).
  measured = {0: (2.245, 0.959), 1: (2.222, 0.793), 2: (2.221, 0.912), 3: (2.243, 0.965),
              4: (2.228, 0.951), 5: (2.238, 0.960), 6: (2.241, 0.956), 7: (2.232, 0.951)}
  results = {s: {'step': 5000, 'categorical_accuracy': a, 'real_posterior_mi': {'cat0': c}}
             for s, (c, a) in measured.items()}
  assert evaluation.select_restarts(results, 2) == {0: 0, 2: 3, 4: 5, 6: 6}
  assert evaluation.select_restarts(results, 4) == {0: 0, 4: 6}
  assert evaluation.select_restarts(results, 1) == {s: s for s in measured}
  kept = evaluation.render_selection(results, 2).splitlines()
  assert '(0..1 -> 0, 2..3 -> 3, 4..5 -> 5, 6..7 -> 6)' in kept[0]
  assert [line.split(' | ')[0] for line in kept[4:8]] == ['| 0', '| 3', '| 5', '| 6']
  assert kept[-3] == "| **median** | | 0.9595 | 2.242 |"
  with pytest.raises(errors.EvaluationError, match='restarts=3 groups the 8 seeds'):
    evaluation.select_restarts(results, 3)
  without_code = {s: {'step': 5000} for s in range(2)}
  with pytest.raises(errors.EvaluationError, match='categorical code'):
    evaluation.select_restarts(without_code, 2)


def _stroke(shear: float, width: int = 1) -> np.ndarray:
  img = np.zeros((28, 28), np.float32)
  for row in range(4, 24):
    col = int(round(14 + shear * (14 - row)))   # rows grow downwards
    img[row, col - width // 2: col - width // 2 + width] = 1
  return img


def test_slant_sign_on_synthetic_strokes_and_thickness():
  images = np.stack([_stroke(0.5), _stroke(0.0), _stroke(-0.5)])[..., None]
  s = evaluation.slant(images)
  assert s[0] > 0.3 and abs(s[1]) < 1e-6 and s[2] < -0.3   # '/', '|', '\'
  t = evaluation.thickness(np.stack([_stroke(0.2, w) for w in (1, 2, 3)])[..., None])
  assert t[0] < t[1] < t[2]
  assert evaluation.trajectory_spearman(np.arange(3), t[None]) == pytest.approx(1.0)


def test_category_purity():
  probs = np.eye(10)[[3, 3, 3, 5, 7, 7]]
  cats = np.array([0, 0, 0, 0, 1, 1])
  assert evaluation.category_purity(probs, cats, 2) == [(3, 0.75), (7, 1.0)]


def test_api_round_trip_recovers_codes_of_a_trained_model(trained_ring8):
  workdir, _ = trained_ring8
  model = api.load(workdir)
  cat = np.repeat(np.arange(8), 50)
  points = model.generate(jax.random.key(5), cat=cat)
  assert points.shape == (400, 2)
  posterior = model.infer(points)
  recovered = posterior['cat_probs'][0].argmax(1)
  assert np.mean(recovered == cat) > 0.9   # chance is 1/8
  assert posterior['d_prob'].shape == (400,)


def test_eval_errors_are_actionable(tmp_path, trained_ring8, trained_tiny):
  os.makedirs(tmp_path / 'empty')
  with open(tmp_path / 'empty' / 'config.json', 'w') as f:
    f.write(tiny.get_config().to_json())
  with pytest.raises(errors.EvaluationError, match='No checkpoints'):
    api.load(str(tmp_path / 'empty'))
  workdir, _ = trained_ring8
  config = workdir_lib.read_config(workdir)
  config.model.g_widths = (64, 64)
  with pytest.raises(errors.EvaluationError, match='g_widths'):
    api.load(workdir, config)
  config = tiny.get_config()
  config.eval.classifier_dir = str(tmp_path / 'no_classifier')
  with pytest.raises(errors.EvaluationError, match='--train_classifier'):
    with tfds.testing.mock_data(num_examples=64):
      evaluation.run(config, trained_tiny)


def test_eval_end_to_end_on_tiny_config(tmp_path, trained_tiny):
  from infogan_jax.evaluation import classifier
  config = tiny.get_config()
  config.eval.classifier_dir = str(tmp_path / 'classifier')
  config.eval.num_samples = 64
  config.eval.num_sweep_noise = 2
  workdir = trained_tiny
  with tfds.testing.mock_data(num_examples=64):
    classifier.train(config, epochs=1, batch_size=16)
    metrics = evaluation.run(config, workdir)
  out = os.path.join(workdir, 'eval', '4')
  with open(os.path.join(out, 'metrics.json')) as f:
    saved = json.load(f)
  assert saved['step'] == 4 and 0 <= saved['categorical_accuracy'] <= 1
  assert set(saved['L_I']) == {'cat0', 'cat1', 'cont'}
  assert saved['frechet_distance'] >= 0
  assert set(saved['continuous_codes']) == {'cont0'}
  for name in ('categories_0.png', 'categories_1.png', 'traversal_cont0.png',
               'interpolation.png', 'confusion.png', 'training_curves.png', 'd_probs.png',
               'report.md'):
    assert os.path.getsize(os.path.join(out, name)) > 0, name
  assert metrics['L_I'] == saved['L_I']


def test_a_config_of_another_model_is_refused_for_evaluation(trained_tiny):
  # The command line's config must build the model the run trained (not just arrays of
  # the same shapes): output activation, slope and noise prior change nothing's shape.
  config = tiny.get_config()
  config.model.output_activation, config.model.leaky_slope = 'sigmoid', 0.01
  config.latent.noise_prior = 'normal'
  with pytest.raises(errors.EvaluationError) as e:
    api.load(trained_tiny, config)
  for field in ('model.output_activation', 'model.leaky_slope', 'latent.noise_prior'):
    assert f'config.{field}' in str(e.value)
  # Run length, evaluation and data settings may differ; the seed too.
  config = tiny.get_config()
  config.num_train_steps, config.eval.num_samples, config.seed = 99, 5, 3
  config.data_dir = '/elsewhere'
  assert api.load(trained_tiny, config).step == 4


def test_public_api_checks_its_arguments_by_name(trained_tiny):
  model = api.load(trained_tiny)   # Cat(3), Cat(2), one continuous code, 8 noise dims
  key = jax.random.key(0)
  bad = [
      (dict(n=2, cat=[3, 0]), 'categorical code 0 has 3 categories (0..2), got 3'),
      (dict(cat=[-1]), 'got -1'),
      (dict(cat=[0.7]), 'cat must hold integer category indices'),
      (dict(cat=np.zeros((2, 3), int)), 'j <= 2 categorical codes, got [2, 3]'),
      (dict(cont=[np.nan]), 'cont holds NaN or Inf'),
      (dict(n=2, cont=np.zeros((2, 2))), 'cont must have shape [n, 1] = [2, 1]'),
      (dict(noise=np.zeros((1, 5))), 'noise must have shape [n, 8] = [1, 8]'),
      (dict(n=0), 'n must be an integer >= 1, got 0'),
      (dict(n=-3), 'n must be an integer >= 1, got -3'),
      (dict(cat=[]), 'n must be an integer >= 1, got 0'),
      (dict(), 'needs n'),
  ]
  for kwargs, expected in bad:
    with pytest.raises(errors.InputError) as e:
      model.generate(key, **kwargs)
    assert expected in str(e.value), (kwargs, str(e.value))
  # Integral floats and ranges are fine; one code given, the other sampled.
  assert model.generate(key, cat=np.array([2.0, 1.0]), cont=[[1.5], [-2.0]]).shape == (
      2, 28, 28, 1)
  assert model.generate(key, cat=range(3)).shape == (3, 28, 28, 1)

  images = model.generate(key, n=4)                  # tanh: in [-1, 1]
  for images_bad, expected in [
      (np.zeros((2, 32, 32, 1)), 'images must have shape [N, 28, 28, 1]'),
      (np.zeros((2, 28, 28, 3)), 'got [2, 28, 28, 3]'),
      (np.zeros((28, 28, 1)), 'one image needs a batch axis'),
      (np.zeros((0, 28, 28, 1)), 'the number of images must be an integer >= 1'),
      (images * 255.0, "floats in [-1, 1] (the generator's range"),
      (np.full((1, 28, 28, 1), np.nan), 'NaN or Inf'),
  ]:
    with pytest.raises(errors.InputError) as e:
      model.infer(images_bad)
    assert expected in str(e.value), str(e.value)
  # uint8 pixels are converted to the generator's range; [N, H, W] gets its channel.
  pixels = np.round((images + 1) * 127.5).astype(np.uint8)
  as_uint8, as_floats = model.infer(pixels[..., 0]), model.infer(images)
  np.testing.assert_allclose(as_uint8['d_prob'], as_floats['d_prob'], atol=0.02)
  with pytest.raises(errors.InputError, match='batch_size must be an integer >= 1'):
    model.infer(images, batch_size=0)


def test_load_says_how_to_describe_a_run_without_config_json(trained_tiny):
  os.remove(os.path.join(trained_tiny, 'config.json'))
  with pytest.raises(errors.EvaluationError, match=r'load\(workdir, config=\.\.\.\)'):
    api.load(trained_tiny)
  assert api.load(trained_tiny, tiny.get_config()).step == 4


def test_load_refuses_a_checkpoint_that_fails_its_integrity_check(trained_tiny):
  os.remove(os.path.join(trained_tiny, 'checkpoints', '4', '_CHECKPOINT_METADATA'))
  with pytest.raises(errors.EvaluationError, match='CRC-32 checksums .* is missing'):
    api.load(trained_tiny)


def test_load_rereads_the_latest_checkpoint_when_a_trainer_rotates_it_away(trained_tiny,
                                                                            monkeypatch):
  from infogan_jax.training import checkpointing
  directory = os.path.join(trained_tiny, 'checkpoints')
  shutil.copytree(os.path.join(directory, '4'), os.path.join(directory, '6'))
  real, asked = checkpointing.restore, []

  def restore(mngr, state, step=None):
    asked.append(step)
    if step == 6:   # a trainer with keep_checkpoints deletes it while we read it
      shutil.rmtree(os.path.join(directory, '6'))
      raise errors.CheckpointError('checkpoint .../6 cannot be used: No such file')
    return real(mngr, state, step)
  monkeypatch.setattr(checkpointing, 'restore', restore)
  assert api.load(trained_tiny).step == 4 and asked == [6, 4]
