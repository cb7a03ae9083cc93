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
