"""What the InfoGAN paper claims, measured on a trained workdir (used by eval.py).

On data with known factors (config.dataset='shapes'): the Mutual Information Gap of Q's
codes and the most informative code per factor (disentanglement.py), instead of the MNIST
measurements below.

Measurements (MNIST): unsupervised classification with the categorical code (Hungarian
matching), L_I per code group next to H(c), Frechet distance and classifier score on the
features of our own MNIST classifier (with the train-vs-test floor), what each continuous
code controls (Spearman correlation with slant and stroke thickness), and the purity of
each category on the generator side. Figures go next to metrics.json and report.md.
"""
from __future__ import annotations

import functools
import json
import os
from typing import Dict

import jax
import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.stats

from infogan_jax import api
from infogan_jax.training import checkpointing
from infogan_jax.evaluation import classifier
from infogan_jax.evaluation import disentanglement
from infogan_jax.data import input_pipeline
from infogan_jax.evaluation import inspection
from infogan_jax.objectives import losses
from infogan_jax.networks import models
from infogan_jax.evaluation import plotting
from infogan_jax.data import shapes
from infogan_jax.objectives import vae as vaegan
from infogan_jax.games import infogan as step_lib
from infogan_jax.training import workdir as workdir_lib
from infogan_jax.errors import EvaluationError, UserError
from infogan_jax.networks.latents import TRAVERSAL_RANGE
from infogan_jax.training.metric_logging import read_metrics

SWEEP_VALUES = np.linspace(*TRAVERSAL_RANGE, 9)
MIN_CLASSIFIER_ACCURACY = 0.99   # below this, FD, score and purity would measure its errors


# --- pure measurements --------------------------------------------------------------
def matched_accuracy(predicted: np.ndarray, labels: np.ndarray, num_categories: int,
                     num_classes: int = 10):
  """Accuracy after the best one-to-one category->class assignment (Hungarian).

  Returns (accuracy, {category: class}, confusion[num_categories, num_classes]).
  """
  confusion = np.zeros((num_categories, num_classes), np.int64)
  np.add.at(confusion, (predicted, labels), 1)
  rows, cols = scipy.optimize.linear_sum_assignment(-confusion)
  accuracy = confusion[rows, cols].sum() / max(len(labels), 1)
  return float(accuracy), {int(r): int(c) for r, c in zip(rows, cols)}, confusion


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
  """Frechet distance between Gaussians fitted to two feature sets."""
  mu_a, mu_b = features_a.mean(0), features_b.mean(0)
  cov_a = np.cov(features_a, rowvar=False)
  cov_b = np.cov(features_b, rowvar=False)
  covmean = scipy.linalg.sqrtm(cov_a @ cov_b)
  if np.iscomplexobj(covmean):
    covmean = covmean.real
  return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * covmean))


def classifier_score(probs: np.ndarray) -> float:
  """exp(E_x KL(p(y|x) || p(y))): the Inception score with the MNIST classifier."""
  eps = 1e-12
  marginal = probs.mean(0, keepdims=True)
  kl = np.sum(probs * (np.log(probs + eps) - np.log(marginal + eps)), axis=1)
  return float(np.exp(kl.mean()))


def posterior_information(probs: np.ndarray) -> float:
  """I(x; c) under Q's posteriors probs [N, K] of N images, in nats: H(mean q) - mean H(q).
  High when Q is confident on each image and uses every category; computed on unlabelled
  real images it is a label-free criterion for choosing among runs (docs/results.md says
  how well it ranks them)."""
  probs = np.clip(np.asarray(probs, np.float64), 1e-12, 1.0)
  marginal = probs.mean(0)
  return float(-np.sum(marginal * np.log(marginal))
               + np.mean(np.sum(probs * np.log(probs), axis=1)))


def _moments(images01: np.ndarray):
  ink = images01[..., 0] if images01.ndim == 4 else images01
  h, w = ink.shape[1:]
  ys, xs = np.mgrid[:h, :w].astype(np.float64)
  mass = ink.sum((1, 2)) + 1e-8
  cy = (ink * ys).sum((1, 2)) / mass
  cx = (ink * xs).sum((1, 2)) / mass
  dy = ys[None] - cy[:, None, None]
  dx = xs[None] - cx[:, None, None]
  mu11 = (ink * dx * dy).sum((1, 2)) / mass
  mu02 = (ink * dy * dy).sum((1, 2)) / mass
  return mass, mu11, mu02


def slant(images01: np.ndarray) -> np.ndarray:
  """Horizontal shift per unit of height, from second moments: > 0 leans right ('/')."""
  _, mu11, mu02 = _moments(images01)
  return -mu11 / (mu02 + 1e-8)  # rows grow downwards, so '/' has mu11 < 0


def thickness(images01: np.ndarray) -> np.ndarray:
  """Ink mass: total intensity of the digit (grows with stroke width)."""
  return _moments(images01)[0]


def trajectory_spearman(values: np.ndarray, measure: np.ndarray) -> float:
  """Mean Spearman correlation along trajectories: measure[t, v] for value values[v]."""
  rhos = [scipy.stats.spearmanr(values, m).statistic for m in measure]
  rhos = [r for r in rhos if np.isfinite(r)]
  return float(np.mean(rhos)) if rhos else float('nan')


def category_purity(probs: np.ndarray, categories: np.ndarray, num_categories: int):
  """Per category: (majority class, fraction of its samples the classifier puts there)."""
  predicted = probs.argmax(1)
  out = []
  for k in range(num_categories):
    counts = np.bincount(predicted[categories == k], minlength=probs.shape[1])
    out.append((int(counts.argmax()), float(counts.max() / max(counts.sum(), 1))))
  return out


# --- the report -----------------------------------------------------------------------
def save_figures(model: api.InfoGAN, out_dir: str, num_noise: int = 10) -> Dict[str, str]:
  """Category grids for each categorical code, a traversal of each continuous code over
  SWEEP_VALUES, and a noise interpolation."""
  spec = model.spec
  value_range = models.output_range(model.config.model.output_activation)
  def generate(latents):
    return model.generate(latents=latents)

  figures = {}
  rng = jax.random.key(1234)
  for c in range(len(spec.categorical)):
    figures[f'categories_{c}'] = plotting.category_samples(
        generate, spec, rng, os.path.join(out_dir, f'categories_{c}.png'), value_range,
        code=c, num_noise=num_noise,
        title=f'categorical code {c}: rows = category, columns = noise')
  for j in range(spec.continuous):
    figures[f'traversal_cont{j}'] = plotting.code_traversal(
        generate, spec, jax.random.fold_in(rng, j), j, SWEEP_VALUES,
        os.path.join(out_dir, f'traversal_cont{j}.png'), value_range,
        title=f'continuous code {j} from -2 to 2 (rows = category)')
  figures['interpolation'] = plotting.noise_interpolation(
      generate, spec, jax.random.fold_in(rng, 99), os.path.join(out_dir, 'interpolation.png'),
      value_range, title='noise interpolated left to right (rows = category)')
  return figures


# Activation maximisation's figure: these units of D's fully connected trunk layer (the
# conv architecture's 'Dense_0'; the mlp's first hidden layer), MAXIMISED_IMAGES each.
MAXIMISED_LAYER, MAXIMISED_UNITS, MAXIMISED_IMAGES = 'Dense_0', tuple(range(8)), 6


def activation_figure(model: api.InfoGAN, out_dir: str) -> str:
  """What drives D: for each of MAXIMISED_UNITS, the images G makes from generator inputs
  optimised to raise that unit (inspection.maximise), one row per unit."""
  images, before, after = inspection.maximise(model.state, MAXIMISED_LAYER, MAXIMISED_UNITS,
                                              jax.random.key(4321), n=MAXIMISED_IMAGES)
  labels = [f'unit {u}: {b:.2f}->{a:.2f}' for u, b, a in
            zip(MAXIMISED_UNITS, before.mean(1), after.mean(1))]
  return plotting.image_grid(
      images.reshape((-1,) + images.shape[2:]), len(MAXIMISED_UNITS), MAXIMISED_IMAGES,
      os.path.join(out_dir, 'activation_maximisation.png'),
      title=f"D's {MAXIMISED_LAYER} units:\nG's input optimised\n(activation before->after)",
      value_range=models.output_range(model.config.model.output_activation),
      row_labels=labels)


def point_figures(model: api.InfoGAN, config, workdir: str, out_dir: str) -> Dict[str, str]:
  """2-D data: generated points by category, D's decision surface at every kept
  checkpoint (the real points and that checkpoint's generated points on it), and the
  training's sample plots side by side."""
  real = next(input_pipeline.ring8_batches(1000, seed=config.seed))['image']
  generate = lambda m: (lambda latents: m.generate(latents=latents))
  figures = {'samples': plotting.scatter_samples(
      generate(model), model.spec, jax.random.key(1234), os.path.join(out_dir, 'samples.png'),
      real=real, title=f'step {model.step}: colour = categorical code')}
  lo, hi = -1.5, 1.5   # the ring has radius input_pipeline.RING_RADIUS = 1
  panels = []
  for step in checkpointing.complete_steps(workdir_lib.checkpoint_dir(workdir)):
    at_step = model if step == model.step else api.load(workdir, config, step)
    axis, probs = inspection.decision_surface(at_step.state, lo, hi)
    panels.append((step, axis, probs, real,
                   at_step.generate(jax.random.key(5), n=1000)))
  if panels:
    figures['decision_surfaces'] = plotting.decision_surfaces(
        panels, os.path.join(out_dir, 'decision_surfaces.png'))
  figures.update(sample_evolution(workdir, out_dir))
  return {k: os.path.basename(v) for k, v in figures.items()}


def sample_evolution(workdir: str, out_dir: str) -> Dict[str, str]:
  """{'sample_evolution': path} when training drew samples at two steps or more."""
  samples = workdir_lib.sample_paths(workdir)
  if len(samples) < 2:
    return {}
  return {'sample_evolution': plotting.sample_evolution(
      samples, os.path.join(out_dir, 'sample_evolution.png'))}


def training_curves(records, spec, out_path: str, baseline=None):
  """L_I per code group against H(c), and the GAN losses, from metrics.jsonl records (and
  a plain-GAN baseline run's)."""
  entropies = {f'cat{i}': h for i, h in enumerate(spec.cat_entropies())}
  if spec.continuous:
    entropies['cont'] = spec.cont_entropy()
  return plotting.training_curves(records, entropies, out_path, baseline=baseline,
                                  ceilings={'cont': spec.cont_ceiling()})


def train_classifier(config) -> dict:
  """Trains the MNIST classifier into config.eval.classifier_dir (eval.py
  --train_classifier); raises UserError if it is not accurate enough to measure with."""
  meta = classifier.train(config)
  if meta['test_accuracy'] < MIN_CLASSIFIER_ACCURACY:
    raise UserError(f'classifier reached only {meta["test_accuracy"]:.4f} test accuracy '
                    f'(< {MIN_CLASSIFIER_ACCURACY}); train again with more epochs')
  return meta


def run(config, workdir: str, step=None, samples_only: bool = False) -> dict:
  """Writes <workdir>/eval/<step>/{metrics.json, report.md, *.png}; returns the metrics."""
  workdir = os.path.expanduser(workdir)
  model = api.load(workdir, config, step)
  spec = model.spec
  out_dir = workdir_lib.eval_dir(workdir, model.step)
  os.makedirs(out_dir, exist_ok=True)
  if len(model.image_shape) == 1:   # 2-D data: pictures of the plane, no measurements
    figures = point_figures(model, config, workdir, out_dir)
    return _write({'step': model.step, 'figures': figures}, out_dir, workdir,
                  lambda m, w: f'2-D run {w}, step {m["step"]}: figures in {out_dir}: '
                               + ', '.join(sorted(m['figures'].values())) + '\n')
  figures = save_figures(model, out_dir)
  figures.update(sample_evolution(workdir, out_dir))
  if samples_only:
    print(f'step {model.step}: sample figures in {out_dir}')
    return {'step': model.step, 'figures': figures}
  if config.dataset == 'shapes':
    figures['activation_maximisation'] = activation_figure(model, out_dir)
    return _write(factor_metrics(model, config, figures), out_dir, workdir,
                  render_factor_report)
  if config.dataset != 'mnist':
    raise EvaluationError('the full evaluation measures MNIST or shapes quantities; use '
                          '--samples_only for config.dataset=' + repr(config.dataset))
  clf_params, clf_meta = classifier.load(config)
  # The training logs are read before minutes of measuring, so a problem shows at once.
  records = (read_metrics(workdir) if os.path.exists(workdir_lib.metrics_path(workdir))
             else None)
  baseline = (read_metrics(os.path.expanduser(config.eval.baseline_workdir))
              if config.eval.baseline_workdir else None)
  act = config.model.output_activation
  metrics = {'step': model.step, 'classifier_test_accuracy': clf_meta['test_accuracy']}
  rng = jax.random.key(config.seed + 7)
  n = int(config.eval.num_samples)

  # 1. Unsupervised classification of real test digits with Q's categorical code.
  test_images, test_labels = input_pipeline.load_split_arrays(config, 'test')
  posterior = model.infer(test_images)
  if 0 in spec.predicted_codes:
    acc, mapping, confusion = matched_accuracy(posterior['cat_probs'][0].argmax(1), test_labels,
                                               spec.categorical[0])
    metrics['categorical_accuracy'] = acc
    metrics['category_to_digit'] = mapping
    figures['confusion'] = plotting.confusion_matrix(
        confusion, os.path.join(out_dir, 'confusion.png'),
        title=f'Q category vs test label (matched accuracy {acc:.3f})')
  if spec.guided >= 0 and not spec.conditional:
    # ss-InfoGAN: the guided code's value is the label, no matching.
    metrics['guided_accuracy'] = float(np.mean(
        posterior['cat_probs'][spec.guided].argmax(1) == test_labels))

  # 2. L_I per code group on fresh samples.
  lat = spec.sample(jax.random.fold_in(rng, 1), n)
  fake = model.generate(latents=lat)
  _, q = model.raw_outputs(fake)
  mi = losses.mutual_information(spec, q, lat)
  metrics['L_I'] = {k: float(v) for k, v in mi.items()}
  metrics['H_c'] = {f'cat{i}': h for i, h in enumerate(spec.cat_entropies())}
  if spec.continuous:
    metrics['H_c']['cont'] = spec.cont_entropy()
    metrics['L_I_cont_ceiling_fixed_std'] = spec.cont_ceiling()

  # 3. Sample quality on the classifier's features; the real train-vs-test floor.
  fake_probs, fake_feats = classifier.predict(clf_params, fake, act)
  test_probs, test_feats = classifier.predict(clf_params, test_images[:n], act)
  train_images, _ = input_pipeline.load_split_arrays(config, 'train')
  pick = np.random.default_rng(0).choice(len(train_images), min(n, len(train_images)), False)
  _, train_feats = classifier.predict(clf_params, train_images[pick], act)
  if spec.categorical:   # the label-free criterion, on unlabelled training images
    train_posterior = model.infer(train_images[pick])['cat_probs']
    metrics['real_posterior_mi'] = {f'cat{i}': posterior_information(p)
                                    for i, p in enumerate(train_posterior) if p is not None}
  metrics['frechet_distance'] = frechet_distance(fake_feats, test_feats)
  metrics['frechet_distance_floor_train_vs_test'] = frechet_distance(train_feats, test_feats)
  metrics['classifier_score'] = classifier_score(fake_probs)
  metrics['classifier_score_real_test'] = classifier_score(test_probs)

  # 5. Purity of each category on the generator side; for a guided code, how often the
  #    classifier reads digit k in G(z, c = k).
  if spec.guided >= 0:
    metrics['conditional_generation_accuracy'] = float(np.mean(
        fake_probs.argmax(1) == np.asarray(lat.cat[:, spec.guided])))
  if spec.categorical:
    purity = category_purity(fake_probs, np.asarray(lat.cat[:, 0]), spec.categorical[0])
    metrics['category_purity'] = {str(k): {'digit': d, 'purity': p}
                                  for k, (d, p) in enumerate(purity)}
    metrics['mean_category_purity'] = float(np.mean([p for _, p in purity]))
    metrics['min_category_purity'] = float(np.min([p for _, p in purity]))
    metrics['distinct_majority_digits'] = len({d for d, _ in purity})

  # 6. VAE-GAN and VAE runs: how well real test digits come back through E and G.
  if model.state.encoder is not None:
    metrics.update(reconstruction_metrics(model, test_images[:n], test_labels[:n], clf_params,
                                          act, test_feats))
    figures.update(reconstruction_figures(model, test_images, test_labels, out_dir))

  # 4. What each continuous code controls.
  metrics['continuous_codes'] = continuous_sweep(model, jax.random.fold_in(rng, 2),
                                                 int(config.eval.num_sweep_noise))

  # Figures from the run's logs and D's view.
  figures['activation_maximisation'] = activation_figure(model, out_dir)
  if records:
    figures['training_curves'] = training_curves(records, spec,
                                                 os.path.join(out_dir, 'training_curves.png'),
                                                 baseline)
  figures['d_histogram'] = plotting.probability_histograms(
      posterior['d_prob'], model.infer(fake)['d_prob'], os.path.join(out_dir, 'd_probs.png'))
  metrics['figures'] = {k: os.path.basename(v) for k, v in figures.items()}
  return _write(metrics, out_dir, workdir, render_report)


def reconstruction_metrics(model: api.InfoGAN, images, labels, clf_params, act,
                           test_feats) -> dict:
  """For a run with an encoder: real images through E's posterior mean and G. The pixel
  error (mean squared, on [0, 1]); the error in D's features where VAE-GAN measures it
  (vaegan.reconstruction_error, nats per image; in this run's own D, so not comparable
  across runs); the classifier's accuracy on the reconstructions against the inputs'
  labels; and their Frechet distance to the test images."""
  recon = model.reconstruct(images)
  pixel = np.mean((models.to_unit(recon, act) - models.to_unit(images, act)) ** 2)
  features = functools.partial(step_lib.discriminator_features, model.state)
  feature_error = np.mean([
      float(vaegan.reconstruction_error(features(images[i:i + 500]), features(recon[i:i + 500])))
      for i in range(0, len(images), 500)])
  probs, feats = classifier.predict(clf_params, recon, act)
  return {'reconstruction_pixel_mse': float(pixel),
          'reconstruction_feature_error': float(feature_error),
          'reconstruction_label_accuracy': float(np.mean(probs.argmax(1) == labels)),
          'frechet_distance_reconstructions': frechet_distance(feats, test_feats)}


def reconstruction_figures(model: api.InfoGAN, images, labels, out_dir: str) -> dict:
  """reconstructions.png: rows of real test digits, each above its reconstruction;
  encoding_interpolation.png: G along the line between the encodings of two real digits (one pair
  of different digits per row, the real pair at the ends)."""
  value_range = models.output_range(model.config.model.output_activation)
  real = images[:40]
  recon = model.reconstruct(real)
  rows = np.concatenate([np.stack([real[i:i + 10], recon[i:i + 10]]) for i in range(0, 40, 10)])
  grid = plotting.image_grid(rows.reshape((-1,) + real.shape[1:]), 8, 10,
                             os.path.join(out_dir, 'reconstructions.png'),
                             title='real test images (odd rows) and their reconstructions',
                             value_range=value_range,
                             row_labels=['real', 'reconstructed'] * 4)
  steps = 10
  pairs, i = [], 0   # consecutive test images, each with the next one of another label
  while len(pairs) < 5:
    j = next(j for j in range(i + 1, len(labels)) if labels[j] != labels[i])
    pairs.append((i, j))
    i = j + 1
  ends = model.encode(np.stack([images[i] for pair in pairs for i in pair]))
  t = np.linspace(0.0, 1.0, steps)[None, :, None]
  path = ends[0::2, None] * (1 - t) + ends[1::2, None] * t     # [pairs, steps, d]
  between = model.generate(noise=path.reshape(-1, path.shape[-1]))
  line = []
  for row, (i, j) in enumerate(pairs):
    line += [images[i], *between[row * steps:(row + 1) * steps], images[j]]
  interpolation = plotting.image_grid(
      np.stack(line), len(pairs), steps + 2,
      os.path.join(out_dir, 'encoding_interpolation.png'),
      title='between the encodings of two real digits (the real pair at the ends)',
      value_range=value_range,
      col_labels=['real'] + [f'{x:.1f}' for x in np.linspace(0, 1, steps)] + ['real'])
  return {'reconstructions': grid, 'encoding_interpolation': interpolation}


def _write(metrics: dict, out_dir: str, workdir: str, render) -> dict:
  """metrics.json and report.md (`render(metrics, workdir)`) in out_dir; prints the report."""
  with open(os.path.join(out_dir, 'metrics.json'), 'w') as f:
    json.dump(metrics, f, indent=2)
  report = render(metrics, workdir)
  with open(os.path.join(out_dir, 'report.md'), 'w') as f:
    f.write(report)
  print(report)
  return metrics


def inferred_codes(posterior: dict, spec) -> tuple:
  """(codes [N, J] discrete, their names): each categorical code's most probable
  category, and each continuous code's mean in disentanglement.BINS equal-width bins."""
  columns = [p.argmax(1) for p in posterior['cat_probs'] if p is not None]
  names = [f'cat{i}' for i, p in enumerate(posterior['cat_probs']) if p is not None]
  if spec.continuous:
    binned = disentanglement.discretise(posterior['cont_mean'])
    columns += list(binned.T)
    names += [f'cont{j}' for j in range(spec.continuous)]
  return np.stack(columns, axis=1), names


def factor_metrics(model: api.InfoGAN, config, figures: dict) -> dict:
  """For data with known factors (shapes): MIG of Q's inferred codes on the test images
  (config.eval.num_samples of them), the most informative code per factor, the shape
  code's matched accuracy, and L_I on fresh samples."""
  spec = model.spec
  images, factors = shapes.dataset('test')
  n = min(int(config.eval.num_samples), len(images))
  posterior = model.infer(images[:n])
  codes, names = inferred_codes(posterior, spec)
  metrics = {'step': model.step, 'num_images': n}
  metrics.update(disentanglement.mig(codes, factors[:n], names, shapes.FACTOR_NAMES))
  if spec.categorical:
    acc, mapping, _ = matched_accuracy(posterior['cat_probs'][0].argmax(1), factors[:n, 0],
                                       spec.categorical[0], len(shapes.SHAPES))
    metrics['shape_accuracy'] = acc
    metrics['category_to_shape'] = {k: shapes.SHAPES[v] for k, v in mapping.items()}
  lat = spec.sample(jax.random.key(config.seed + 8), n)
  _, q = model.raw_outputs(model.generate(latents=lat))
  metrics['L_I'] = {k: float(v) for k, v in losses.mutual_information(spec, q, lat).items()}
  metrics['H_c'] = {f'cat{i}': h for i, h in enumerate(spec.cat_entropies())}
  if spec.continuous:
    metrics['H_c']['cont'] = spec.cont_entropy()
  metrics['figures'] = {k: os.path.basename(v) for k, v in figures.items()}
  return metrics


def render_factor_report(m: dict, workdir: str) -> str:
  lines = [f'# Disentanglement: {workdir}, step {m["step"]}', '',
           f'- MIG (Mutual Information Gap, {m["num_images"]} test images, Q\'s codes '
           f'discretised into {disentanglement.BINS} bins): **{m["mig"]:.3f}**']
  if 'shape_accuracy' in m:
    lines.append(f'- Shape from categorical code 0 (Hungarian-matched): '
                 f'{m["shape_accuracy"]:.3f} ({m["category_to_shape"]})')
  for k, v in m['L_I'].items():
    lines.append(f'- L_I {k}: {v:.3f} nats (H(c) = {m["H_c"][k]:.3f})')
  lines += ['', '| factor | most informative code | I / H(factor) | gap (MIG term) |',
            '|---|---|---|---|']
  for factor, f in m['factors'].items():
    if f.get('constant'):
      lines.append(f'| {factor} | (constant) | | |')
    else:
      lines.append(f'| {factor} | {f["best_code"]} | {f["normalised_mi"]:.3f} | '
                   f'{f["gap"]:.3f} |')
  lines += ['', 'Figures: ' + ', '.join(sorted(m['figures'].values())), '']
  return '\n'.join(lines)


# Headline metrics of a seed sweep: name in metrics.json -> column title.
SEED_TABLE = {'categorical_accuracy': 'test accuracy (matched)',
              'guided_accuracy': 'guided code test accuracy',
              'conditional_generation_accuracy': 'conditional generation accuracy',
              'mean_category_purity': 'purity, mean', 'min_category_purity': 'purity, worst',
              'L_I/cat0': 'L_I cat0 (nats)',
              'real_posterior_mi/cat0': "Q's I(x; c0) on real train images (nats)",
              'frechet_distance': 'Frechet distance',
              'reconstruction_label_accuracy': 'label kept by reconstructions',
              'frechet_distance_reconstructions': 'Frechet distance, reconstructions',
              'reconstruction_pixel_mse': 'reconstruction pixel MSE',
              'mig': 'MIG', 'shape_accuracy': 'shape from cat0 (matched)'}
# Columns where lower is better: their worst seed is the highest value.
LOWER_IS_BETTER = ('frechet_distance', 'frechet_distance_reconstructions',
                   'reconstruction_pixel_mse')


# The label-free criterion that config.eval.restarts chooses runs by (metrics.json name).
RESTART_CRITERION = 'real_posterior_mi/cat0'


def select_restarts(results: dict, restarts: int) -> Dict[int, int]:
  """Groups the seeds (sorted) into consecutive groups of `restarts` and keeps, in each,
  the run with the highest RESTART_CRITERION: Q's I(x; c0) on unlabelled training images,
  which is high when Q is confident on real digits and uses every category evenly (a
  category holding two digits or a digit split over two lowers it). No labels are used.
  Returns {first seed of the group: chosen seed}."""
  seeds = sorted(results)
  _check_restarts(len(seeds), restarts)
  if any(_lookup(results[s], RESTART_CRITERION) is None for s in seeds):
    raise EvaluationError('config.eval.restarts needs a categorical code (the criterion is '
                          "Q's I(x; c0) on real images)")
  return {group[0]: max(group, key=lambda s: _lookup(results[s], RESTART_CRITERION))
          for group in (seeds[i:i + restarts] for i in range(0, len(seeds), restarts))}


def _check_restarts(num_seeds: int, restarts: int):
  if restarts < 1 or num_seeds % restarts:
    raise EvaluationError(
        f'config.eval.restarts={restarts} groups the {num_seeds} seeds of the run into '
        f'groups of {restarts}: train a multiple of it (config.num_seeds)')


def run_seeds(config, workdir: str, step=None, samples_only: bool = False) -> dict:
  """Evaluates every seed of a config.num_seeds run (workdir/seed_<n>/) and writes
  workdir/eval_seeds.md: the per-seed table and the median, worst and best of each headline
  metric; with config.eval.restarts = R > 1 also the table of the runs `select_restarts`
  keeps (one per R consecutive seeds). Returns {seed: metrics}."""
  workdir = os.path.expanduser(workdir)
  seed_dirs = workdir_lib.seed_workdirs(workdir)
  if not seed_dirs:
    raise EvaluationError(f'{workdir} holds no seed_<n>/ runs (config.num_seeds > 1)')
  restarts = int(config.eval.get('restarts', 1))
  _check_restarts(len(seed_dirs), restarts)   # before minutes of measuring
  results = {}
  for seed, seed_dir in seed_dirs.items():
    print(f'--- seed {seed}: {seed_dir}', flush=True)
    results[seed] = run(workdir_lib.seed_config(config, seed), seed_dir, step=step,
                        samples_only=samples_only)
  if samples_only:
    return results
  report = render_seed_table(results)
  if restarts > 1:
    report += '\n' + render_selection(results, restarts)
  with open(workdir_lib.seed_table_path(workdir), 'w') as f:
    f.write(report)
  print(report)
  return results


def render_selection(results: dict, restarts: int) -> str:
  """Which seed `select_restarts` keeps in each group, and the table of those runs."""
  chosen = select_restarts(results, restarts)
  seeds = sorted(results)
  groups = ', '.join(f'{seeds[i]}..{seeds[i + restarts - 1]} -> {seed}'
                     for i, seed in zip(range(0, len(seeds), restarts), chosen.values()))
  return (f"Kept by config.eval.restarts={restarts}, the highest Q's I(x; c0) on unlabelled "
          f'training images in each group of seeds ({groups}):\n\n'
          + render_seed_table({s: results[s] for s in chosen.values()}))


def _lookup(metrics: dict, name: str):
  value = metrics
  for part in name.split('/'):
    value = value.get(part) if isinstance(value, dict) else None
  return value


def render_seed_table(results: dict) -> str:
  """A Markdown table: one row per seed, then each column's median, worst and best seed's
  value (worst: the lowest, or the highest for LOWER_IS_BETTER columns)."""
  names = [n for n in SEED_TABLE if any(_lookup(m, n) is not None for m in results.values())]
  lines = ['| seed | step | ' + ' | '.join(SEED_TABLE[n] for n in names) + ' |',
           '|---' * (2 + len(names)) + '|']
  for seed, m in sorted(results.items()):
    lines.append(f'| {seed} | {m["step"]} | '
                 + ' | '.join(f'{_lookup(m, n):.4g}' for n in names) + ' |')
  columns = {n: [_lookup(m, n) for m in results.values()] for n in names}
  worst = {n: (max if n in LOWER_IS_BETTER else min)(v) for n, v in columns.items()}
  best = {n: (min if n in LOWER_IS_BETTER else max)(v) for n, v in columns.items()}
  median = {n: np.median(v) for n, v in columns.items()}
  for label, row in (('median', median), ('worst', worst), ('best', best)):
    lines.append(f'| **{label}** | | ' + ' | '.join(f'{row[n]:.4g}' for n in names) + ' |')
  return '\n'.join(lines) + '\n'


def continuous_sweep(model: api.InfoGAN, rng, num_noise: int) -> dict:
  """Spearman correlation of slant and thickness with each continuous code over [-2, 2]."""
  spec, config = model.spec, model.config
  k = spec.categorical[0] if spec.categorical else 1
  out = {}
  for j in range(spec.continuous):
    noise = np.repeat(np.asarray(spec.sample_noise(jax.random.fold_in(rng, j), num_noise * k)),
                      len(SWEEP_VALUES), axis=0)
    cat = np.repeat(np.tile(np.arange(k), num_noise), len(SWEEP_VALUES))
    cont = np.zeros((len(noise), spec.continuous), np.float32)
    cont[:, j] = np.tile(SWEEP_VALUES, num_noise * k)
    images = models.to_unit(model.generate(noise=noise, cat=cat if spec.categorical else None,
                                           cont=cont), config.model.output_activation)
    shape = (num_noise * k, len(SWEEP_VALUES))
    out[f'cont{j}'] = {
        'slant_spearman': trajectory_spearman(SWEEP_VALUES, slant(images).reshape(shape)),
        'thickness_spearman': trajectory_spearman(SWEEP_VALUES,
                                                  thickness(images).reshape(shape)),
    }
  return out


def render_report(m: dict, workdir: str) -> str:
  lines = [f'# InfoGAN evaluation: {workdir}, step {m["step"]}', '']
  if 'categorical_accuracy' in m:
    lines.append(f'- Unsupervised classification (test, Hungarian-matched): '
                 f'**{m["categorical_accuracy"]:.3f}** accuracy '
                 f'({100 * (1 - m["categorical_accuracy"]):.1f}% error; paper: 5% error)')
  if 'guided_accuracy' in m:
    lines.append(f'- Guided code (ss-InfoGAN), test accuracy without matching: '
                 f'**{m["guided_accuracy"]:.3f}**; conditional generation accuracy (the '
                 f'classifier reads k in G(z, c=k)): **{m["conditional_generation_accuracy"]:.3f}**')
  if 'conditional_generation_accuracy' in m and 'guided_accuracy' not in m:
    lines.append(f'- Conditional generation accuracy (the classifier reads k in G(z, c=k)): '
                 f'**{m["conditional_generation_accuracy"]:.3f}**')
  for k, v in m['L_I'].items():
    ceiling = m.get('L_I_cont_ceiling_fixed_std') if k == 'cont' else None
    extra = f'; ceiling with std fixed at 1: {ceiling:.3f}' if ceiling is not None else ''
    lines.append(f'- L_I {k}: {v:.3f} nats (H(c) = {m["H_c"][k]:.3f}{extra})')
  for k, v in m.get('real_posterior_mi', {}).items():
    lines.append(f"- Q's I(x; {k}) on real training images (label-free): {v:.3f} nats")
  lines.append(f'- Frechet distance (classifier features, 10k): {m["frechet_distance"]:.2f} '
               f'(real train vs test floor: {m["frechet_distance_floor_train_vs_test"]:.2f})')
  lines.append(f'- Classifier score: {m["classifier_score"]:.2f} '
               f'(real test images: {m["classifier_score_real_test"]:.2f})')
  if 'mean_category_purity' in m:
    per = ', '.join(f'{k}->{v["digit"]} {v["purity"]:.2f}'
                    for k, v in m['category_purity'].items())
    lines.append(f'- Category purity (generated, classifier majority): mean '
                 f'{m["mean_category_purity"]:.3f}, worst {m["min_category_purity"]:.3f}, '
                 f'{m["distinct_majority_digits"]} distinct '
                 f'digits ({per})')
  if 'reconstruction_label_accuracy' in m:
    lines.append(f'- Reconstructions of real test images (E\'s posterior mean, then G): '
                 f'the classifier reads the input\'s label in '
                 f'**{m["reconstruction_label_accuracy"]:.3f}**; Frechet distance '
                 f'{m["frechet_distance_reconstructions"]:.2f}; pixel MSE on [0, 1] '
                 f'{m["reconstruction_pixel_mse"]:.4f}; error in this run\'s D features '
                 f'{m["reconstruction_feature_error"]:.1f} nats per image')
  for name, c in m['continuous_codes'].items():
    lines.append(f'- {name}: Spearman with slant {c["slant_spearman"]:+.2f}, '
                 f'with thickness {c["thickness_spearman"]:+.2f}')
  lines.append(f'- MNIST classifier test accuracy: {m["classifier_test_accuracy"]:.4f}')
  lines += ['', 'Figures: ' + ', '.join(sorted(m['figures'].values())), '']
  return '\n'.join(lines)
