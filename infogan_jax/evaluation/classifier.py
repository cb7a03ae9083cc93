"""A small MNIST CNN, trained once and cached: the feature extractor for evaluation.

Frechet distance and the classifier score need an MNIST network (the paper's Inception
analogue); so does measuring which digit a generated sample is. This one takes images in
[0, 1], returns (logits, 128-d penultimate features), and reaches >= 99% test accuracy
after a few epochs on a CPU. Weights live in config.eval.classifier_dir, never in git.

The same network, trained on the printed digits (data/printed_digits.py), reads CycleGAN's
second domain; it lives beside the MNIST one (`directory`).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import time

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from infogan_jax.data import input_pipeline
from infogan_jax.networks import models
from infogan_jax.errors import ClassifierMissingError, EvaluationError

WEIGHTS = 'classifier.msgpack'
META = 'classifier.json'
TRAIN_COMMAND = 'python eval.py --config=configs/mnist.py --train_classifier'
MIN_CLASSIFIER_ACCURACY = 0.99   # below this, FD, score and purity would measure its errors


class MnistCNN(nn.Module):

  @nn.compact
  def __call__(self, x):
    x = nn.max_pool(nn.relu(nn.Conv(32, (3, 3))(x)), (2, 2), (2, 2))
    x = nn.max_pool(nn.relu(nn.Conv(64, (3, 3))(x)), (2, 2), (2, 2))
    features = nn.relu(nn.Dense(128)(x.reshape(x.shape[0], -1)))
    return nn.Dense(10)(features), features


@jax.jit
def _apply(params, images01):
  return MnistCNN().apply({'params': params}, images01)


def directory(config, dataset: str = 'mnist') -> str:
  """Where the classifier of `dataset` lives: config.eval.classifier_dir for MNIST, a
  folder beside it named for any other dataset (<classifier_dir>_<dataset>)."""
  out = os.path.expanduser(config.eval.classifier_dir)
  return out if dataset == 'mnist' else f'{out.rstrip(os.sep)}_{dataset}'


def _optimizer(steps: int):
  return optax.adam(optax.cosine_decay_schedule(1e-3, steps))


@functools.partial(jax.jit, static_argnums=0)
def _step(steps, params, opt_state, x, y):
  """One Adam step of a `steps`-step fit: one compiled program per (steps, batch shape)."""
  def loss_fn(p):
    logits, _ = MnistCNN().apply({'params': p}, x)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
  loss, grads = jax.value_and_grad(loss_fn)(params)
  updates, opt_state = _optimizer(steps).update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state, loss


def fit(images01, labels, steps: int, batch_size: int = 128, seed: int = 0,
        on_epoch=None):
  """A fresh MnistCNN fitted to images in [0, 1] for `steps` Adam steps (cosine-decayed
  from 1e-3), each batch the next of a permutation drawn anew every epoch; the batch is the
  whole set when the set is smaller. on_epoch(epoch, last loss) after each epoch."""
  images01, labels = np.asarray(images01, np.float32), np.asarray(labels)
  batch_size = min(batch_size, len(images01))
  params = MnistCNN().init(jax.random.key(seed), images01[:2])['params']
  opt_state = _optimizer(steps).init(params)
  rng = np.random.default_rng(seed)
  steps_per_epoch = len(images01) // batch_size
  for i in range(steps):
    epoch, within = divmod(i, steps_per_epoch)
    if within == 0:
      order = rng.permutation(len(images01))
    idx = order[within * batch_size:(within + 1) * batch_size]
    params, opt_state, loss = _step(steps, params, opt_state, images01[idx], labels[idx])
    if on_epoch and within == steps_per_epoch - 1:
      on_epoch(epoch, float(loss))
  return params


def accuracy(params, images01, labels) -> float:
  """The share of images in [0, 1] whose most probable class is their label."""
  probs = predict(params, images01, unit_range=True)[0]
  return float(np.mean(probs.argmax(1) == np.asarray(labels)))


def train(config, epochs: int = 5, batch_size: int = 128, seed: int = 0,
          dataset: str = 'mnist') -> dict:
  """Trains on `dataset`'s train split, reports test accuracy, saves to `directory`."""
  data = dataclasses.replace(input_pipeline.DataSettings.from_config(config), dataset=dataset,
                             domain_y='')
  images, labels = input_pipeline.load_split_arrays(data, 'train')
  test_images, test_labels = input_pipeline.load_split_arrays(data, 'test')
  act = data.output_activation
  images, test_images = models.to_unit(images, act), models.to_unit(test_images, act)
  start = time.time()
  params = fit(images, labels, epochs * (len(images) // min(batch_size, len(images))),
               batch_size, seed,
               on_epoch=lambda e, loss: print(f'classifier epoch {e + 1}/{epochs}: last loss '
                                              f'{loss:.4f}', flush=True))
  meta = {'test_accuracy': accuracy(params, test_images, test_labels), 'epochs': epochs,
          'train_seconds': round(time.time() - start, 1)}
  out = directory(config, dataset)
  os.makedirs(out, exist_ok=True)
  with open(os.path.join(out, WEIGHTS), 'wb') as f:
    f.write(flax.serialization.to_bytes(params))
  with open(os.path.join(out, META), 'w') as f:
    json.dump(meta, f, indent=2)
  print(f'classifier test accuracy {meta["test_accuracy"]:.4f}, saved to {out}', flush=True)
  return meta


def load(config, dataset: str = 'mnist'):
  """(params, meta) from `directory`, or a message saying how to train it."""
  out = directory(config, dataset)
  path = os.path.join(out, WEIGHTS)
  command = TRAIN_COMMAND if dataset == 'mnist' else TRAIN_COMMAND.replace(
      'configs/mnist.py', 'configs/cyclegan.py')
  if not os.path.exists(path):
    raise ClassifierMissingError(
        f'No {dataset} classifier at {path} (from config.eval.classifier_dir). Train it once '
        f'with:\n  {command} [--config.data_dir=... --config.manual_dir=...]')
  template = MnistCNN().init(jax.random.key(0), jnp.zeros((1, 28, 28, 1)))['params']
  try:
    with open(path, 'rb') as f:
      params = flax.serialization.from_bytes(template, f.read())
    if jax.tree.map(np.shape, params) != jax.tree.map(np.shape, template):
      raise ValueError('its arrays have other shapes than the classifier has')
    with open(os.path.join(out, META)) as f:
      meta = json.load(f)
    float(meta['test_accuracy'])
  except Exception as e:   # msgpack, flax, json: any way the cached files fail to decode
    reason = ' '.join(f'{type(e).__name__}: {e}'.split())[:200]
    raise EvaluationError(
        f'the {dataset} classifier in {out} (from config.eval.classifier_dir) cannot be '
        f'read ({reason}): train it again with {command}') from None
  return params, meta


def predict(params, images, output_activation: str = 'tanh', unit_range: bool = False,
            batch_size: int = 1000):
  """(class probabilities [N, 10], features [N, 128]) for images in the generator's range."""
  images = np.asarray(images, np.float32)
  if not unit_range:
    images = models.to_unit(images, output_activation)
  probs, feats = [], []
  for i in range(0, len(images), batch_size):
    logits, f = _apply(params, images[i:i + batch_size])
    probs.append(np.asarray(jax.nn.softmax(logits)))
    feats.append(np.asarray(f))
  return np.concatenate(probs), np.concatenate(feats)
