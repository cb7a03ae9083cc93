"""What the InfoGAN paper claims, measured on a trained workdir: the runner eval.py calls.

`run` reads the config and the workdir at its edge (the checkpoint, the data, the MNIST
classifier, the training logs), builds the evaluators that apply to the run (common.py
says what an evaluator is), runs them, and writes <workdir>/eval/<step>/: metrics.json,
report.md (markdown.py) and the figures.

- MNIST: Q's codes (codes.py), sample quality on the project's classifier
  (sample_quality.py; KID, precision/recall, density/coverage and the intra-class Frechet
  distance in distribution_metrics.py; Inception FID, KID and IS from a weights file in
  inception_metrics.py), reconstructions for runs with an encoder (reconstruction.py), what
  each continuous code controls (continuous_codes.py), and the figures (figures.py).
  With generated_data, also CAS and the augmentation study (generated_data.py).
- Data with known factors (config.dataset='shapes'): the Mutual Information Gap of Q's
  codes (factors.py) instead of the classifier's measurements, and the figures.
- 2-D points: pictures of the plane (points.py), no measurements.
- CycleGAN runs: whether translations keep the digit, the cycle's error and the Frechet
  distances to the target domain (translation.py), with the translations' figure.

`run_images` measures the samples' quality of images that any model made (eval.py
--images=PATH) with the same evaluators.

`run_seeds` evaluates every seed of a config.num_seeds run and writes the seeds' table
(seeds.py).
"""
from __future__ import annotations

import functools
import json
import os

import jax
import numpy as np

from infogan_jax import api
from infogan_jax.data import input_pipeline
from infogan_jax.data import shapes
from infogan_jax.errors import EvaluationError, UserError
from infogan_jax.evaluation import classifier
from infogan_jax.evaluation import codes
from infogan_jax.evaluation import common
from infogan_jax.evaluation import continuous_codes
from infogan_jax.evaluation import distribution_metrics
from infogan_jax.evaluation import factors
from infogan_jax.evaluation import feature_sets
from infogan_jax.evaluation import figures as figures_lib
from infogan_jax.evaluation import generated_data as generated_data_lib
from infogan_jax.evaluation import image_files
from infogan_jax.evaluation import inception_metrics
from infogan_jax.evaluation import markdown
from infogan_jax.evaluation import points
from infogan_jax.evaluation import reconstruction
from infogan_jax.evaluation import sample_quality
from infogan_jax.evaluation import seeds
from infogan_jax.evaluation import translation
from infogan_jax.networks import models
from infogan_jax.settings import config_validation
from infogan_jax.training import workdir as workdir_lib
from infogan_jax.training.metric_logging import read_metrics


def train_classifier(config) -> dict:
  """Trains the MNIST classifier into config.eval.classifier_dir (eval.py
  --train_classifier); raises UserError if it is not accurate enough to measure with."""
  datasets = [config.dataset] + ([config.cyclegan.domain_y] if config.cyclegan.enabled else [])
  for dataset in datasets:   # CycleGAN: both domains' classifiers
    meta = classifier.train(config, dataset=dataset)
    if meta['test_accuracy'] < classifier.MIN_CLASSIFIER_ACCURACY:
      raise UserError(f'the {dataset} classifier reached only {meta["test_accuracy"]:.4f} '
                      f'test accuracy (< {classifier.MIN_CLASSIFIER_ACCURACY}); train again '
                      'with more epochs')
  return meta


def _inception_variables(config):
  """The FID Inception's variables from config.eval.inception_weights, or None (and one
  line saying what is skipped and where to get the file) when the field is empty."""
  weights = config.eval.get('inception_weights', '')
  if not weights:
    print(inception_metrics.SKIPPED, flush=True)
    return None
  return inception_metrics.load_variables(os.path.expanduser(weights))


def _mnist_reference(config, n: int):
  """(test images, test labels, n training images picked without labels), in the config's
  output range: what generated samples are measured against."""
  data = input_pipeline.DataSettings.from_config(config)
  test_images, test_labels = input_pipeline.load_split_arrays(data, 'test')
  train_images, _ = input_pipeline.load_split_arrays(data, 'train')
  pick = np.random.default_rng(0).choice(len(train_images), min(n, len(train_images)), False)
  return test_images, test_labels, train_images[pick]


def sample_evaluators(config, classify, test_images, test_labels, train_images, generated,
                      generated_digits, inception_variables, inception_generated=None):
  """The evaluators of sample quality alone (no model needed beyond its samples): FD and
  classifier score, KID, precision/recall, density/coverage, intra-class FD and Inception
  FID/KID/IS, against the first config.eval.num_samples test images. generated: PerModel of
  (latents, images) in the config's output range; generated_digits: PerModel of each
  sample's digit or None; inception_generated: the images Inception sees, if not those."""
  n = int(config.eval.num_samples)
  if n < feature_sets.MIN_POINTS:
    raise EvaluationError(f'config.eval.num_samples={n}: the k-NN measures need at least '
                          f'{feature_sets.MIN_POINTS} samples')
  real_features = distribution_metrics.RealSet(classify(test_images[:n])[1])
  generated_features = common.PerModel(lambda m: classify(generated(m)[1])[1])
  return [
      sample_quality.SampleQualityEvaluator(classify, test_images[:n], train_images,
                                            generated),
      distribution_metrics.KernelDistanceEvaluator(real_features, generated_features),
      distribution_metrics.PrecisionRecallEvaluator(real_features, generated_features),
      distribution_metrics.DensityCoverageEvaluator(real_features, generated_features),
      distribution_metrics.IntraClassFrechetEvaluator(real_features, test_labels[:n],
                                                      generated_features, generated_digits),
      inception_metrics.InceptionEvaluator(inception_variables, test_images[:n],
                                           inception_generated or generated,
                                           config.model.output_activation)]


def mnist_evaluators(config, model: api.InfoGAN, workdir: str, out_dir: str,
                     generated_data: bool = False, augmentation: bool = True):
  """({metrics known before measuring}, [evaluators]) for an MNIST run. The classifier,
  the Inception weights and the training logs are read first, so that a problem shows
  before minutes of measuring. generated_data: CAS, and the augmentation study unless
  augmentation is False."""
  clf_params, clf_meta = classifier.load(config)
  inception_variables = _inception_variables(config)
  records = (read_metrics(workdir) if os.path.exists(workdir_lib.metrics_path(workdir))
             else None)
  baseline = (read_metrics(os.path.expanduser(config.eval.baseline_workdir))
              if config.eval.baseline_workdir else None)
  classify = functools.partial(classifier.predict, clf_params,
                               output_activation=config.model.output_activation)
  n = int(config.eval.num_samples)
  rng = jax.random.key(config.seed + 7)
  test_images, test_labels, train_images = _mnist_reference(config, n)
  # The same samples for L_I, every sample-quality measure, purity and D's histogram.
  generated = common.generated(jax.random.fold_in(rng, 1), n)
  test_posterior = common.PerModel(lambda m: m.infer(test_images))
  generated_digits = common.PerModel(lambda m: codes.sample_digits(
      m.spec, generated(m)[0], test_posterior(m), test_labels))
  evaluators = [
      figures_lib.SampleFigures(workdir, out_dir),
      codes.CodesEvaluator(test_labels, test_posterior, train_images, generated, out_dir),
      *sample_evaluators(config, classify, test_images, test_labels, train_images,
                         generated, generated_digits, inception_variables)]
  if model.has_encoder:   # VAE-GAN and VAE runs
    evaluators.append(reconstruction.ReconstructionEvaluator(classify, test_images,
                                                             test_labels, n, out_dir))
  evaluators += [continuous_codes.ContinuousCodesEvaluator(jax.random.fold_in(rng, 2),
                                                           int(config.eval.num_sweep_noise)),
                 figures_lib.ActivationFigure(out_dir)]
  if records:
    evaluators.append(figures_lib.TrainingCurves(records, out_dir, baseline))
  evaluators.append(figures_lib.DiscriminatorHistogram(test_posterior, generated, out_dir))
  if generated_data:
    act = config.model.output_activation
    labelled, labels = input_pipeline.load_split_arrays(
        input_pipeline.DataSettings.from_config(config), 'train')
    evaluators.append(generated_data_lib.GeneratedDataEvaluator(
        jax.random.fold_in(rng, 3), models.to_unit(test_images, act), test_labels,
        models.to_unit(labelled, act), labels, test_posterior, act, augment=augmentation,
        cache=generated_data_lib.BaselineCache(os.path.join(
            classifier.directory(config), generated_data_lib.BASELINES_FILE))))
  return {'classifier_test_accuracy': clf_meta['test_accuracy']}, evaluators


def translation_evaluators(config, out_dir: str):
  """({classifiers' test accuracy}, [the translation evaluator]) for a CycleGAN run, on
  config.eval.num_samples test images of each domain."""
  n = int(config.eval.num_samples)
  data = input_pipeline.DataSettings.from_config(config)
  domains, accuracy = {}, {}
  for name, domain_data in (('x', data), ('y', data.second_domain())):
    params, meta = classifier.load(config, domain_data.dataset)   # before any measuring
    accuracy[domain_data.dataset] = meta['test_accuracy']
    test_images, test_labels = input_pipeline.load_split_arrays(domain_data, 'test')
    train_images, _ = input_pipeline.load_split_arrays(domain_data, 'train')
    domains[name] = translation.Domain(
        test_images[:n], test_labels[:n], train_images[:n],
        functools.partial(classifier.predict, params,
                          output_activation=config.model.output_activation))
  return ({'classifier_test_accuracy': accuracy},
          [translation.TranslationEvaluator(domains, out_dir)])


def factor_evaluators(config, workdir: str, out_dir: str):
  """({}, [evaluators]) for a run on data with known factors (shapes): MIG on
  config.eval.num_samples test images, with the sample figures and D's units."""
  images, factor_values = shapes.dataset('test')
  n = min(int(config.eval.num_samples), len(images))
  return {}, [figures_lib.SampleFigures(workdir, out_dir),
              figures_lib.ActivationFigure(out_dir),
              factors.FactorEvaluator(images[:n], factor_values[:n],
                                      common.generated(jax.random.key(config.seed + 8), n))]


def run(config, workdir: str, step=None, samples_only: bool = False,
        generated_data: bool = False, augmentation: bool = True) -> dict:
  """Writes <workdir>/eval/<step>/{metrics.json, report.md, *.png}; returns the metrics.
  generated_data: also CAS and, unless augmentation is False, the augmentation study
  (MNIST; minutes of classifier fits)."""
  config_validation.check_group(config, 'eval')
  workdir = os.path.expanduser(workdir)
  model = api.load(workdir, config, step)
  out_dir = workdir_lib.eval_dir(workdir, model.step)
  os.makedirs(out_dir, exist_ok=True)
  if len(model.image_shape) == 1:   # 2-D data: pictures of the plane, no measurements
    header, evaluators = {}, [points.PointFigures(config, workdir, out_dir)]
    render = functools.partial(markdown.render_points_report, out_dir=out_dir)
  elif config.cyclegan.enabled and samples_only:
    data = input_pipeline.DataSettings.from_config(config)
    figures = translation.figure(model, *(input_pipeline.load_split_arrays(d, 'test')[0]
                                          for d in (data, data.second_domain())), out_dir)
    print(f'step {model.step}: translations in {out_dir}')
    return {'step': model.step, 'figures': figures}
  elif config.cyclegan.enabled:
    header, evaluators = translation_evaluators(config, out_dir)
    render = markdown.render_translation_report
  elif samples_only:
    figures = figures_lib.SampleFigures(workdir, out_dir).run(model)['figures']
    print(f'step {model.step}: sample figures in {out_dir}')
    return {'step': model.step, 'figures': figures}
  elif config.dataset == 'shapes':
    header, evaluators = factor_evaluators(config, workdir, out_dir)
    render = markdown.render_factor_report
  elif config.dataset == 'mnist':
    header, evaluators = mnist_evaluators(config, model, workdir, out_dir, generated_data,
                                          augmentation)
    render = markdown.render_report
  else:
    raise EvaluationError('the full evaluation measures MNIST or shapes quantities; use '
                          '--samples_only for config.dataset=' + repr(config.dataset))
  metrics = {'step': model.step, **header, **common.run_all(evaluators, model)}
  metrics['figures'] = {k: os.path.basename(v) for k, v in metrics['figures'].items()}
  return _write(metrics, out_dir, workdir, render)


def run_images(config, path: str, out_dir=None) -> dict:
  """eval.py --images=PATH: the sample-quality measures of images any model made (a folder
  of PNGs or an .npz, image_files.py; their labels, when given, stand as a class code)
  against the MNIST test set, exactly as for a trained run's samples. Prints the report;
  writes metrics.json and report.md into `out_dir` when given. Returns the metrics."""
  config_validation.check_group(config, 'eval')
  if config.dataset != 'mnist':
    raise EvaluationError('--images measures against the MNIST test set: use a config with '
                          f"config.dataset='mnist', got {config.dataset!r}")
  if out_dir is not None and workdir_lib.is_run(os.path.expanduser(out_dir)):
    raise EvaluationError(f'--workdir={out_dir} holds a training run: give --images another '
                          'folder for its metrics.json and report.md')
  images01, labels = image_files.read(path)   # before the classifier: the flag's problems
  clf_params, clf_meta = classifier.load(config)
  inception_variables = _inception_variables(config)
  activation = config.model.output_activation
  lo, hi = models.output_range(activation)
  grey01, notes = image_files.for_classifier(images01)
  samples = image_files.Samples(labels)
  generated = common.PerModel(lambda m: (m.latents, lo + (hi - lo) * grey01))
  original = common.PerModel(lambda m: (m.latents, lo + (hi - lo) * images01))
  test_images, test_labels, train_images = _mnist_reference(config,
                                                            int(config.eval.num_samples))
  classify = functools.partial(classifier.predict, clf_params, output_activation=activation)
  evaluators = sample_evaluators(config, classify, test_images, test_labels, train_images,
                                 generated, common.PerModel(lambda m: labels),
                                 inception_variables, original)
  metrics = {'images': path, 'num_images': len(images01), 'labels': labels is not None,
             'image_shape': list(images01.shape[1:]), 'converted': notes,
             'classifier_test_accuracy': clf_meta['test_accuracy'],
             **common.run_all(evaluators, samples)}
  metrics.pop('figures')
  if out_dir is None:
    print(markdown.render_images_report(metrics, path))
    return metrics
  out_dir = os.path.expanduser(out_dir)
  os.makedirs(out_dir, exist_ok=True)
  return _write(metrics, out_dir, path, markdown.render_images_report)


def _write(metrics: dict, out_dir: str, workdir: str, render) -> dict:
  """metrics.json and report.md (`render(metrics, workdir)`) in out_dir; prints the report."""
  with open(os.path.join(out_dir, 'metrics.json'), 'w') as f:
    json.dump(metrics, f, indent=2)
  report = render(metrics, workdir)
  with open(os.path.join(out_dir, 'report.md'), 'w') as f:
    f.write(report)
  print(report)
  return metrics


def run_seeds(config, workdir: str, step=None, samples_only: bool = False,
              generated_data: bool = False) -> dict:
  """Evaluates every seed of a config.num_seeds run (workdir/seed_<n>/) and writes
  workdir/eval_seeds.md: the per-seed table and the median, worst and best of each headline
  metric; with config.eval.restarts = R > 1 also the table of the runs
  `seeds.select_restarts` keeps (one per R consecutive seeds). Returns {seed: metrics}."""
  workdir = os.path.expanduser(workdir)
  seed_dirs = workdir_lib.seed_workdirs(workdir)
  if not seed_dirs:
    raise EvaluationError(f'{workdir} holds no seed_<n>/ runs (config.num_seeds > 1)')
  restarts = int(config.eval.get('restarts', 1))
  seeds.check_restarts(len(seed_dirs), restarts)   # before minutes of measuring
  results = {}
  for seed, seed_dir in seed_dirs.items():
    print(f'--- seed {seed}: {seed_dir}', flush=True)
    # The augmentation study on the first seed only: its 2 x 3 fits per model would
    # dominate a sweep's evaluation, and CAS on every seed gives the spread over seeds.
    results[seed] = run(workdir_lib.seed_config(config, seed), seed_dir, step=step,
                        samples_only=samples_only, generated_data=generated_data,
                        augmentation=seed == min(seed_dirs))
  if samples_only:
    return results
  report = seeds.render(results, restarts)
  with open(workdir_lib.seed_table_path(workdir), 'w') as f:
    f.write(report)
  print(report)
  return results
