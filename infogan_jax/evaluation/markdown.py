"""report.md: the evaluators' metrics of one run as the lines a reader wants, with the
paper's numbers to compare against where it has one. One renderer per kind of run (MNIST,
data with known factors, 2-D points); each takes the metrics as metrics.json holds them.
"""
from __future__ import annotations

from infogan_jax.evaluation import disentanglement


def _figures_line(m: dict) -> list:
  """The figures drawn, then where the evaluation's time went (when measured)."""
  lines = ['', 'Figures: ' + ', '.join(sorted(m['figures'].values())), '']
  seconds = m.get('seconds')
  if seconds:
    parts = ', '.join(f'{name} {s:.0f} s' for name, s in
                      sorted(seconds.items(), key=lambda item: -item[1]))
    lines += [f'Time: {sum(seconds.values()):.0f} s ({parts}).', '']
  return lines


def render_report(m: dict, workdir: str) -> str:
  """An MNIST run's report."""
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
  lines += _information_lines(m, m.get('L_I_cont_ceiling_fixed_std'))
  for k, v in m.get('real_posterior_mi', {}).items():
    lines.append(f"- Q's I(x; {k}) on real training images (label-free): {v:.3f} nats")
  lines += _sample_lines(m)
  if 'reconstruction_label_accuracy' in m:
    lines.append(f'- Reconstructions of real test images (E\'s posterior mean, then G): '
                 f'the classifier reads the input\'s label in '
                 f'**{m["reconstruction_label_accuracy"]:.3f}**; Frechet distance '
                 f'{m["frechet_distance_reconstructions"]:.2f}; pixel MSE on [0, 1] '
                 f'{m["reconstruction_pixel_mse"]:.4f}; error in this run\'s D features '
                 f'{m["reconstruction_feature_error"]:.1f} nats per image')
  lines += _generated_data_lines(m)
  for name, c in m['continuous_codes'].items():
    lines.append(f'- {name}: Spearman with slant {c["slant_spearman"]:+.2f}, '
                 f'with thickness {c["thickness_spearman"]:+.2f}')
  lines.append(f'- MNIST classifier test accuracy: {m["classifier_test_accuracy"]:.4f}')
  return '\n'.join(lines + _figures_line(m))


def _sample_lines(m: dict) -> list:
  """The generated samples' quality: FD and the field's measures with their sample sizes,
  the classifier score, and the categories' purity."""
  lines = [f'- Frechet distance (classifier features, {m["num_generated"]} generated vs '
           f'{m["num_real_test"]} real test images): {m["frechet_distance"]:.2f} '
           f'(real train vs test floor: {m["frechet_distance_floor_train_vs_test"]:.2f})']
  lines += _distribution_lines(m)
  lines.append(f'- Classifier score: {m["classifier_score"]:.2f} '
               f'(real test images: {m["classifier_score_real_test"]:.2f})')
  if 'mean_category_purity' in m:
    per = ', '.join(f'{k}->{v["digit"]} {v["purity"]:.2f}'
                    for k, v in m['category_purity'].items())
    lines.append(f'- Category purity (generated, classifier majority): mean '
                 f'{m["mean_category_purity"]:.3f}, worst {m["min_category_purity"]:.3f}, '
                 f'{m["distinct_majority_digits"]} distinct '
                 f'digits ({per})')
  return lines


def _distribution_lines(m: dict) -> list:
  """KID, precision/recall, density/coverage and the intra-class FD, with their sizes."""
  kid, pr, dc = m['kid'], m['precision_recall'], m['density_coverage']
  lines = [f'- KID (classifier features, unbiased; mean and std over {kid["num_subsets"]} '
           f'subsets of {kid["subset_size"]} of {kid["num_generated"]} generated and '
           f'{kid["num_real"]} real test images): {kid["mean"]:.4g} +- {kid["std"]:.2g}',
           f'- Precision / recall (k = {pr["k"]}, {pr["num_generated"]} generated vs '
           f'{pr["num_real"]} real): {pr["precision"]:.3f} / {pr["recall"]:.3f}',
           f'- Density / coverage (k = {dc["k"]}): {dc["density"]:.3f} / '
           f'{dc["coverage"]:.3f}']
  inc = m['inception']
  if 'skipped' in inc:
    lines.append(f'- {inc["skipped"]}')
  else:
    lines.append(f'- Inception (FID Inception of pytorch-fid; {inc["resize"]}; '
                 f'{inc["num_generated"]} generated vs {inc["num_real"]} real test images): '
                 f'FID {inc["fid"]:.2f}, KID {inc["kid"]["mean"]:.4g} +- {inc["kid"]["std"]:.2g} '
                 f'({inc["kid"]["num_subsets"]} subsets of {inc["kid"]["subset_size"]}), IS '
                 f'{inc["inception_score"]["mean"]:.2f} +- {inc["inception_score"]["std"]:.2f} '
                 f'({inc["inception_score"]["splits"]} splits; real test images: '
                 f'{inc["inception_score_real_test"]:.2f})')
  if 'intra_class_frechet_distance' in m:
    ic = m['intra_class_frechet_distance']
    lines.append(f'- Intra-class Frechet distance (mean over {ic["classes"]} digits, at least '
                 f'{ic["min_fake"]} generated and {ic["min_real"]} real images each): '
                 f'{ic["mean"]:.2f}')
  return lines


def _generated_data_lines(m: dict) -> list:
  """CAS and the augmentation study (eval.py --generated_data), when measured."""
  if 'cas' not in m:
    return []
  cas = m['cas']
  lines = [f'- CAS (the classifier trained on {cas["num_generated"]} generated labelled images '
           f'only, real test accuracy, classifier seeds '
           f'{", ".join(map(str, cas["seeds"]))}): **{cas["mean"]:.3f}**']
  aug = m.get('augmentation')
  if not aug:
    return lines
  seeds = ', '.join(map(str, aug['seeds']))
  for n, row in aug['sizes'].items():
    lines.append(f'- Augmentation, {n} real labelled images (test accuracy, mean of seeds '
                 f'{seeds}): alone {row["real_mean"]:.3f}; + {aug["num_generated"]} generated '
                 f'{row["+generated_mean"]:.3f} ({row["gain_generated"]:+.3f}); + as many '
                 f'shifted/rotated copies {row["+shift_rotate_mean"]:.3f} '
                 f'({row["gain_shift_rotate"]:+.3f})')
  return lines


def render_translation_report(m: dict, workdir: str) -> str:
  """A CycleGAN run's report (evaluation/translation.py has what each number means)."""
  lines = [f'# CycleGAN evaluation: {workdir}, step {m["step"]}', '',
           f'Test images: {m["num_test_images"]}. Classifier test accuracy: '
           f'{m["classifier_test_accuracy"]}.', '',
           '| direction | label kept | reconstruction keeps label | cycle L1 | FD translated '
           '| FD untranslated (ceiling) | FD target train (floor) |',
           '|---|---|---|---|---|---|---|']
  for d in ('x2y', 'y2x'):
    lines.append(f'| {d} | **{m[f"{d}/label_kept"]:.3f}** | '
                 f'{m[f"{d}/reconstruction_label_kept"]:.3f} | {m[f"{d}/cycle_l1"]:.3f} | '
                 f'{m[f"{d}/fd_translated"]:.2f} | {m[f"{d}/fd_untranslated"]:.2f} | '
                 f'{m[f"{d}/fd_floor"]:.2f} |')
  return '\n'.join(lines + _figures_line(m))


def _information_lines(m: dict, cont_ceiling=None) -> list:
  """L_I per code group next to H(c) (and the continuous codes' ceiling, when given)."""
  lines = []
  for k, v in m['L_I'].items():
    ceiling = cont_ceiling if k == 'cont' else None
    extra = f'; ceiling with std fixed at 1: {ceiling:.3f}' if ceiling is not None else ''
    lines.append(f'- L_I {k}: {v:.3f} nats (H(c) = {m["H_c"][k]:.3f}{extra})')
  return lines


def render_images_report(m: dict, path: str) -> str:
  """The report of eval.py --images: the measures of samples read from files."""
  lines = [f'# Sample quality: {path} ({m["num_images"]} images '
           f'{"x".join(map(str, m["image_shape"]))}, '
           f'{"with" if m["labels"] else "without"} labels)', '']
  if m['converted']:
    lines.append(f'- For the MNIST classifier: {", ".join(m["converted"])}')
  if 'conditional_generation_accuracy' in m:
    lines.append(f'- The classifier reads the given label in '
                 f'**{m["conditional_generation_accuracy"]:.3f}** of the images')
  lines += _sample_lines(m)
  lines.append(f'- MNIST classifier test accuracy: {m["classifier_test_accuracy"]:.4f}')
  return '\n'.join(lines) + '\n'


def render_factor_report(m: dict, workdir: str) -> str:
  """The report of a run on data with known factors (shapes)."""
  lines = [f'# Disentanglement: {workdir}, step {m["step"]}', '',
           f'- MIG (Mutual Information Gap, {m["num_images"]} test images, Q\'s codes '
           f'discretised into {disentanglement.BINS} bins): **{m["mig"]:.3f}**']
  if 'shape_accuracy' in m:
    lines.append(f'- Shape from categorical code 0 (Hungarian-matched): '
                 f'{m["shape_accuracy"]:.3f} ({m["category_to_shape"]})')
  lines += _information_lines(m)
  lines += ['', '| factor | most informative code | I / H(factor) | gap (MIG term) |',
            '|---|---|---|---|']
  for factor, f in m['factors'].items():
    if f.get('constant'):
      lines.append(f'| {factor} | (constant) | | |')
    else:
      lines.append(f'| {factor} | {f["best_code"]} | {f["normalised_mi"]:.3f} | '
                   f'{f["gap"]:.3f} |')
  return '\n'.join(lines + _figures_line(m))


def render_points_report(m: dict, workdir: str, out_dir: str) -> str:
  """A 2-D run's one line: where its figures are."""
  return (f'2-D run {workdir}, step {m["step"]}: figures in {out_dir}: '
          + ', '.join(sorted(m['figures'].values())) + '\n')
