"""Every figure the project draws, with matplotlib (Agg backend, no screen needed).

The model's figures (sample grids, code traversals, noise interpolations) take a
`generate(latents) -> images` function, so training (samples/) and evaluation (eval/)
draw them the same way.
"""
from __future__ import annotations

import os

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def image_grid(images: np.ndarray, rows: int, cols: int, path: str, title: str = '',
               value_range=(-1.0, 1.0), row_labels=None, col_labels=None) -> str:
  """Saves images [rows*cols, H, W, C] (row-major; C = 1 grey or 3 RGB) as one PNG grid."""
  images = np.asarray(images, np.float32)
  lo, hi = value_range
  images = np.clip((images - lo) / (hi - lo), 0.0, 1.0)
  h, w, channels = images.shape[1:4]
  canvas = np.ones((rows * (h + 2) + 2, cols * (w + 2) + 2, channels), np.float32)
  for idx in range(min(len(images), rows * cols)):
    r, c = divmod(idx, cols)
    canvas[2 + r * (h + 2):2 + r * (h + 2) + h, 2 + c * (w + 2):2 + c * (w + 2) + w] = \
        images[idx]
  scale = 0.3
  fig, ax = plt.subplots(figsize=(max(cols * scale * 1.0, 2) + 0.6, rows * scale + 0.6))
  ax.imshow(canvas if channels == 3 else canvas[..., 0], cmap='gray', vmin=0, vmax=1,
            interpolation='nearest')
  ax.set_xticks([2 + c * (w + 2) + w / 2 for c in range(cols)] if col_labels else [])
  if col_labels:
    ax.set_xticklabels(col_labels, fontsize=6)
  ax.set_yticks([2 + r * (h + 2) + h / 2 for r in range(rows)] if row_labels else [])
  if row_labels:
    ax.set_yticklabels(row_labels, fontsize=6)
  if title:
    ax.set_title(title, fontsize=8)
  return _save(fig, path)


def scatter_by_category(points: np.ndarray, categories: np.ndarray, path: str,
                        real: np.ndarray = None, title: str = '') -> str:
  """2-D samples coloured by their categorical code (toy data)."""
  fig, ax = plt.subplots(figsize=(4, 4))
  if real is not None:
    ax.scatter(real[:, 0], real[:, 1], s=2, c='lightgray', label='data')
  ax.scatter(points[:, 0], points[:, 1], s=3, c=categories, cmap='tab10')
  ax.set_aspect('equal')
  ax.set_title(title, fontsize=8)
  return _save(fig, path)


# --- the model's figures ---------------------------------------------------------------
def category_samples(generate, spec, rng, path: str, value_range, code: int = 0,
                     num_noise: int = 10, title: str = '') -> str:
  """Rows = the values of categorical code `code`, columns = `num_noise` noise draws (the
  same in every row); without categorical codes, a 10 x 10 grid of samples."""
  if not spec.categorical:
    return image_grid(np.asarray(generate(spec.sample(rng, 100))), 10, 10, path, title=title,
                      value_range=value_range)
  k = spec.categorical[code]
  images = np.asarray(generate(spec.category_grid(rng, num_noise, code=code)))
  return image_grid(images, k, num_noise, path, title=title, value_range=value_range,
                    row_labels=[str(i) for i in range(k)])


def translations(translate, x_images, y_images, path: str, title: str = '') -> str:
  """CycleGAN's figure: rows x, G(x), F(G(x)), then y, F(y), G(F(y)), one test image per
  column; `translate(images, direction)` with direction 'x2y' (G) or 'y2x' (F)."""
  to_y, to_x = translate(x_images, 'x2y'), translate(y_images, 'y2x')
  rows = [x_images, to_y, translate(to_y, 'y2x'), y_images, to_x, translate(to_x, 'x2y')]
  return image_grid(np.concatenate([np.asarray(r) for r in rows]), len(rows), len(x_images),
                    path, title=title,
                    row_labels=['x', 'G(x)', 'F(G(x))', 'y', 'F(y)', 'G(F(y))'])


def code_traversal(generate, spec, rng, cont_index: int, values, path: str, value_range,
                   title: str = '') -> str:
  """Rows = the values of the first categorical code, columns = `values` of continuous
  code `cont_index`; one noise vector for the whole grid."""
  rows = spec.categorical[0] if spec.categorical else 1
  images = np.asarray(generate(spec.traversal_grid(rng, cont_index, values)))
  return image_grid(images, rows, len(values), path, title=title, value_range=value_range,
                    col_labels=[f'{v:g}' for v in values])


def noise_interpolation(generate, spec, rng, path: str, value_range, steps: int = 10,
                        title: str = '') -> str:
  """Noise interpolated linearly between two draws, left to right; rows = the values of
  the first categorical code, continuous codes at 0."""
  import jax.numpy as jnp
  from infogan_jax.networks.latents import Latents
  rows = spec.categorical[0] if spec.categorical else 1
  a, b = np.asarray(spec.sample_noise(rng, 2))
  t = np.linspace(0, 1, steps)[:, None]
  noise = np.tile((1 - t) * a + t * b, (rows, 1)).astype(np.float32)
  cat = np.zeros((rows * steps, len(spec.categorical)), np.int32)
  if spec.categorical:
    cat[:, 0] = np.repeat(np.arange(rows), steps)
  cont = np.zeros((rows * steps, spec.continuous), np.float32)
  images = np.asarray(generate(Latents(jnp.asarray(noise), jnp.asarray(cat), jnp.asarray(cont))))
  return image_grid(images, rows, steps, path, title=title, value_range=value_range)


def scatter_samples(generate, spec, rng, path: str, real: np.ndarray = None, num: int = 2000,
                    title: str = '') -> str:
  """2-D data: `num` generated points coloured by their first categorical code."""
  latents = spec.sample(rng, num)
  colours = (np.asarray(latents.cat[:, 0]) if spec.categorical
             else np.zeros(num, np.int32))   # a plain GAN: one colour
  return scatter_by_category(np.asarray(generate(latents)), colours, path, real=real,
                             title=title)


def decision_surfaces(panels, path: str) -> str:
  """2-D data: one panel per (step, axis, probabilities, real points, generated points):
  D's probability of 'real' over the plane (its 0.5 contour drawn), the real points in
  black and the generated ones in red."""
  fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.2), squeeze=False)
  for ax, (step, axis, probs, real, fake) in zip(axes[0], panels):
    extent = (axis[0], axis[-1], axis[0], axis[-1])
    image = ax.imshow(probs, origin='lower', extent=extent, cmap='RdBu', vmin=0, vmax=1)
    ax.contour(axis, axis, probs, levels=[0.5], colors='k', linewidths=0.8)
    ax.scatter(real[:, 0], real[:, 1], s=1, c='k')
    ax.scatter(fake[:, 0], fake[:, 1], s=1, c='r')
    # Generated points off the grid would otherwise widen this panel's axes alone.
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])
    ax.set_aspect('equal')
    ax.set_title(f'step {step}', fontsize=8)
    ax.set_xlabel('x', fontsize=8)
    ax.tick_params(labelsize=6)
  axes[0][0].set_ylabel('y', fontsize=8)
  fig.colorbar(image, ax=axes[0].tolist(), fraction=0.03, label="D's P(real)")
  fig.suptitle("D's decision surface; black: real, red: generated", fontsize=8)
  fig.savefig(path, dpi=100)
  plt.close(fig)
  return path


def sample_evolution(sample_paths: dict, path: str) -> str:
  """The sample grids training drew ({step: png}), side by side in step order."""
  steps = list(sample_paths)
  fig, axes = plt.subplots(1, len(steps), figsize=(2.6 * len(steps), 2.8), squeeze=False)
  for ax, step in zip(axes[0], steps):
    ax.imshow(plt.imread(sample_paths[step]))
    ax.set_title(f'step {step}', fontsize=8)
    ax.axis('off')
  fig.suptitle('samples over training (the same latents at every step)', fontsize=8)
  return _save(fig, path)


def _save(fig, path: str) -> str:
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)
  return path


def training_curves(records, entropies, path: str, baseline=None, ceilings=None) -> str:
  """d_loss / g_loss and L_I per code group (dashed line at H(c)) against step.

  `ceilings` ({group: nats}) draws a dotted line where a bound tops out below H(c).
  """
  steps = [r['step'] for r in records]
  fig, axes = plt.subplots(1, 1 + len(entropies), figsize=(3.2 * (1 + len(entropies)), 2.8),
                           squeeze=False)   # no codes (DCGAN): the losses alone
  axes = axes[0]
  ax = axes[0]
  for key in ('d_loss', 'g_loss'):
    ax.plot(steps, [r[key] for r in records], label=key, lw=1)
  ax.set_xlabel('step')
  ax.legend(fontsize=7)
  ax.set_title('GAN losses', fontsize=8)
  for ax, (name, h) in zip(axes[1:], entropies.items()):
    ax.plot(steps, [r.get(f'mi/{name}', np.nan) for r in records], lw=1, label='InfoGAN')
    if baseline:
      ax.plot([r['step'] for r in baseline], [r.get(f'mi/{name}', np.nan) for r in baseline],
              lw=1, label='GAN baseline')
    ax.axhline(h, ls='--', c='k', lw=0.8, label=f'H(c) = {h:.2f}')
    if ceilings and ceilings.get(name) is not None:
      ax.axhline(ceilings[name], ls=':', c='gray', lw=0.8,
                 label=f'ceiling, std fixed = {ceilings[name]:.2f}')
    ax.set_title(f'L_I {name} (nats)', fontsize=8)
    ax.set_xlabel('step')
    ax.legend(fontsize=7)
  return _save(fig, path)


def confusion_matrix(confusion: np.ndarray, path: str, title: str = '') -> str:
  fig, ax = plt.subplots(figsize=(4, 3.6))
  ax.imshow(confusion, cmap='Blues')
  for (i, j), v in np.ndenumerate(confusion):
    if v:
      ax.text(j, i, str(v), ha='center', va='center', fontsize=5)
  ax.set_xlabel('test label')
  ax.set_ylabel('Q category (argmax)')
  ax.set_xticks(range(confusion.shape[1]))
  ax.set_yticks(range(confusion.shape[0]))
  ax.set_title(title, fontsize=8)
  return _save(fig, path)


def probability_histograms(real: np.ndarray, fake: np.ndarray, path: str) -> str:
  fig, ax = plt.subplots(figsize=(4, 2.8))
  bins = np.linspace(0, 1, 41)
  ax.hist(real, bins=bins, alpha=0.6, label='real (test)')
  ax.hist(fake, bins=bins, alpha=0.6, label='generated')
  ax.set_xlabel('D(x)')
  ax.legend(fontsize=7)
  ax.set_title("discriminator's probability of 'real'", fontsize=8)
  return _save(fig, path)
