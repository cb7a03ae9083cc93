"""eval.py's runner (infogan_jax/evaluation/report.py): its errors, and a whole evaluation
of the tiny config with every file it writes."""
import json
import os

import numpy as np
import pytest
import tensorflow_datasets as tfds

from configs import tiny
from infogan_jax import api
from infogan_jax import errors
from infogan_jax.data import input_pipeline
from infogan_jax.evaluation import inception_metrics
from infogan_jax.evaluation import report as evaluation
from infogan_jax.training import workdir as workdir_lib


def test_eval_errors_are_actionable(tmp_path, ring8_run, trained_tiny):
  os.makedirs(tmp_path / 'empty')
  with open(tmp_path / 'empty' / 'config.json', 'w') as f:
    f.write(tiny.get_config().to_json())
  with pytest.raises(errors.EvaluationError, match='No checkpoints'):
    api.load(str(tmp_path / 'empty'))
  workdir, _ = ring8_run
  config = workdir_lib.read_config(workdir)
  config.model.g_widths = (64, 64)
  with pytest.raises(errors.EvaluationError, match='g_widths'):
    api.load(workdir, config)
  config = tiny.get_config()
  config.eval.classifier_dir = str(tmp_path / 'no_classifier')
  with pytest.raises(errors.EvaluationError, match='--train_classifier'):
    with tfds.testing.mock_data(num_examples=64):
      evaluation.run(config, trained_tiny)


def test_figures_over_the_kept_checkpoints_skip_one_rotated_away_meanwhile(ring8_run, tmp_path,
                                                                          monkeypatch):
  import shutil
  workdir = str(tmp_path / 'run')
  shutil.copytree(ring8_run[0], workdir)
  checkpoints = workdir_lib.checkpoint_dir(workdir)
  shutil.copytree(os.path.join(checkpoints, '10'), os.path.join(checkpoints, '5'))
  real = api.load

  def load(workdir, config=None, step=None):   # a live trainer deletes 5 as it is read
    if step == 5:
      shutil.rmtree(os.path.join(checkpoints, '5'))
    return real(workdir, config, step)
  monkeypatch.setattr(api, 'load', load)
  config = workdir_lib.read_config(workdir)
  figures = evaluation.run(config, workdir)['figures']
  assert set(figures) == {'samples', 'decision_surfaces'}
  # A checkpoint that is there but cannot be read is still an error.
  shutil.copytree(os.path.join(checkpoints, '10'), os.path.join(checkpoints, '5'))
  os.remove(os.path.join(checkpoints, '5', '_CHECKPOINT_METADATA'))
  monkeypatch.setattr(api, 'load', real)
  with pytest.raises(errors.EvaluationError, match='checkpoints/5 cannot be used'):
    evaluation.run(config, workdir)


def test_a_damaged_classifier_cache_is_named_with_the_command_to_retrain(tmp_path):
  import flax
  import jax
  import numpy as np
  from infogan_jax.evaluation import classifier
  config = tiny.get_config()
  folder = tmp_path / 'classifier'
  config.eval.classifier_dir = str(folder)
  os.makedirs(folder)
  weights, meta = folder / classifier.WEIGHTS, folder / classifier.META
  sound = flax.serialization.to_bytes(classifier.MnistCNN().init(
      jax.random.key(0), np.zeros((1, 28, 28, 1), np.float32))['params'])
  for damage, data, accuracy in [
      ('random bytes', np.random.default_rng(0).bytes(3000), '0.99'),
      ('empty', b'', '0.99'),
      ('wrong keys', flax.serialization.to_bytes({'Dense_9': np.zeros(3)}), '0.99'),
      ('damaged record', sound, '0.9'), ('no record', sound, None)]:
    weights.write_bytes(data)
    if accuracy is None:
      os.remove(meta)
    else:
      meta.write_text('{"test_accuracy": ' + accuracy)
    with pytest.raises(errors.EvaluationError) as e:
      classifier.load(config)
    print(f'{damage}: {e.value}')
    assert 'cannot be read' in str(e.value) and classifier.TRAIN_COMMAND in str(e.value)


def test_eval_checks_its_own_config_fields_first(tmp_path):
  config = tiny.get_config()
  config.eval.inception_weights = 'inception.pkl'
  for evaluate in (lambda: evaluation.run(config, str(tmp_path)),
                   lambda: evaluation.run_images(config, str(tmp_path))):
    with pytest.raises(errors.ConfigError, match='config.eval.inception_weights must be a '
                                                 'weights file'):
      evaluate()


def test_too_few_samples_for_the_knn_measures_name_the_field():
  config = tiny.get_config()
  config.eval.num_samples = 5
  with pytest.raises(errors.EvaluationError, match='config.eval.num_samples=5: the k-NN'):
    evaluation.sample_evaluators(config, None, None, None, None, None, None, None)


@pytest.mark.slow
def test_eval_end_to_end_on_tiny_config(tmp_path, trained_tiny):
  from infogan_jax.evaluation import classifier
  config = tiny.get_config()
  config.eval.classifier_dir = str(tmp_path / 'classifier')
  config.eval.num_samples = 64
  config.eval.num_sweep_noise = 2
  workdir = trained_tiny
  with tfds.testing.mock_data(num_examples=64):
    classifier.train(config, epochs=1, batch_size=16)
    bad = config.copy_and_resolve_references()
    bad.eval.inception_weights = str(tmp_path / 'no_such.pth')
    with pytest.raises(errors.WeightsFileError, match='config.eval.inception_weights='):
      evaluation.run(bad, workdir)       # before any measuring
    metrics = evaluation.run(config, workdir)
  out = os.path.join(workdir, 'eval', '4')
  with open(os.path.join(out, 'metrics.json')) as f:
    saved = json.load(f)
  assert saved['step'] == 4 and 0 <= saved['categorical_accuracy'] <= 1
  assert set(saved['L_I']) == {'cat0', 'cat1', 'cont'}
  assert saved['frechet_distance'] >= 0
  assert saved['kid']['subset_size'] == 64 and saved['kid']['num_generated'] == 64
  assert 0 <= saved['precision_recall']['recall'] <= 1
  assert 0 <= saved['density_coverage']['coverage'] <= 1
  assert saved['intra_class_frechet_distance']['classes'] <= 3   # Cat(3) matched to digits
  assert saved['inception'] == {'skipped': inception_metrics.SKIPPED}
  # eval.py --images on the very test images it measures against: the known answers.
  from infogan_jax.networks import models
  data = input_pipeline.DataSettings.from_config(config)
  with tfds.testing.mock_data(num_examples=64):
    test_images, test_labels = input_pipeline.load_split_arrays(data, 'test')
    np.savez(tmp_path / 'samples.npz', labels=test_labels,
             images=models.to_unit(test_images, config.model.output_activation))
    with pytest.raises(errors.EvaluationError, match='holds a training run'):
      evaluation.run_images(config, str(tmp_path / 'samples.npz'), workdir)
    scored = evaluation.run_images(config, str(tmp_path / 'samples.npz'),
                                   str(tmp_path / 'scored'))
  assert scored['num_images'] == 64 and scored['labels'] and scored['converted'] == []
  assert abs(scored['frechet_distance']) < 1e-3 and abs(scored['kid']['mean']) < 1e-3
  assert scored['precision_recall']['precision'] == scored['precision_recall']['recall'] == 1
  assert scored['density_coverage']['coverage'] == 1
  assert abs(scored['intra_class_frechet_distance']['mean']) < 1e-3
  assert 'conditional_generation_accuracy' in scored
  with open(tmp_path / 'scored' / 'report.md') as f:
    assert f.read().startswith(f'# Sample quality: {tmp_path}/samples.npz (64 images 28x28x1')
  assert set(saved['continuous_codes']) == {'cont0'}
  for name in ('categories_0.png', 'categories_1.png', 'traversal_cont0.png',
               'interpolation.png', 'confusion.png', 'training_curves.png', 'd_probs.png',
               'report.md'):
    assert os.path.getsize(os.path.join(out, name)) > 0, name
  assert metrics['L_I'] == saved['L_I']
