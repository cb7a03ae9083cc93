"""InceptionV3 as FID measures with it: the TensorFlow graph of 2015-12-05 that the original
FID code (TTUR) used, in the form pytorch-fid gives it (FIDInceptionV3), in Flax.

The module and parameter names follow pytorch-fid's state_dict ('Mixed_5b.branch1x1.conv.
weight', ...), so that its weights file, pt_inception-2015-12-05-6726825d.pth, loads name by
name (`variables_from_state_dict`). Where this graph differs from torchvision's Inception
(and from the paper), pytorch-fid's patches are kept: the average pools of blocks A, C and
E_1 leave the padding out of the mean (TensorFlow's pooling), and the last block (E_2) pools
its branch by max, not average. The final layer has 1008 outputs (the 2015 graph's classes),
used for the Inception score only.

`features` resizes images of any size to 299 x 299 the way pytorch-fid does (bilinear, half-
pixel centres, no antialiasing: jax.image.resize(method='bilinear', antialias=False) on
[0, 1] values), repeats a grey channel to three, maps to [-1, 1], and returns the blocks'
outputs: 'block0' (64 x 73 x 73, the first max pool), 'block1' (192 x 35 x 35), 'block2'
(768 x 17 x 17, Mixed_6e), 'pool3' (the 2048 features FID uses) and 'logits' (1008).
"""
from __future__ import annotations

from typing import Dict

import flax.linen as nn
from flax import traverse_util
import jax
import jax.numpy as jnp
import numpy as np

SIZE = 299
NUM_CLASSES = 1008


class ConvBN(nn.Module):
  """pytorch-fid's BasicConv2d: a convolution without bias, batch norm (eps 1e-3, running
  statistics), ReLU. 'SAME' pads odd kernels by (k - 1) / 2 as its explicit paddings do."""
  features: int
  kernel: tuple = (1, 1)
  strides: int = 1
  padding: str = 'SAME'

  @nn.compact
  def __call__(self, x):
    x = nn.Conv(self.features, self.kernel, self.strides, self.padding, use_bias=False,
                name='conv')(x)
    return nn.relu(nn.BatchNorm(use_running_average=True, epsilon=1e-3, name='bn')(x))


def _avg_pool_tf(x):
  """3 x 3, stride 1, padding 1, the padding not counted (TensorFlow's average pool)."""
  return nn.avg_pool(x, (3, 3), padding=((1, 1), (1, 1)), count_include_pad=False)


def _max_pool_same(x):
  return nn.max_pool(x, (3, 3), padding=((1, 1), (1, 1)))


def _max_pool_down(x):
  return nn.max_pool(x, (3, 3), (2, 2))


class BlockA(nn.Module):
  pool_features: int

  @nn.compact
  def __call__(self, x):
    b1 = ConvBN(64, name='branch1x1')(x)
    b5 = ConvBN(64, (5, 5), name='branch5x5_2')(ConvBN(48, name='branch5x5_1')(x))
    b3 = ConvBN(64, name='branch3x3dbl_1')(x)
    b3 = ConvBN(96, (3, 3), name='branch3x3dbl_3')(ConvBN(96, (3, 3), name='branch3x3dbl_2')(b3))
    pool = ConvBN(self.pool_features, name='branch_pool')(_avg_pool_tf(x))
    return jnp.concatenate([b1, b5, b3, pool], -1)


class BlockB(nn.Module):

  @nn.compact
  def __call__(self, x):
    b3 = ConvBN(384, (3, 3), 2, 'VALID', name='branch3x3')(x)
    d = ConvBN(96, (3, 3), name='branch3x3dbl_2')(ConvBN(64, name='branch3x3dbl_1')(x))
    d = ConvBN(96, (3, 3), 2, 'VALID', name='branch3x3dbl_3')(d)
    return jnp.concatenate([b3, d, _max_pool_down(x)], -1)


class BlockC(nn.Module):
  channels_7x7: int

  @nn.compact
  def __call__(self, x):
    c = self.channels_7x7
    b1 = ConvBN(192, name='branch1x1')(x)
    b7 = ConvBN(c, name='branch7x7_1')(x)
    b7 = ConvBN(c, (1, 7), name='branch7x7_2')(b7)
    b7 = ConvBN(192, (7, 1), name='branch7x7_3')(b7)
    d = ConvBN(c, name='branch7x7dbl_1')(x)
    for i, (width, kernel) in enumerate([(c, (7, 1)), (c, (1, 7)), (c, (7, 1)),
                                         (192, (1, 7))], 2):
      d = ConvBN(width, kernel, name=f'branch7x7dbl_{i}')(d)
    pool = ConvBN(192, name='branch_pool')(_avg_pool_tf(x))
    return jnp.concatenate([b1, b7, d, pool], -1)


class BlockD(nn.Module):

  @nn.compact
  def __call__(self, x):
    b3 = ConvBN(320, (3, 3), 2, 'VALID', name='branch3x3_2')(ConvBN(192, name='branch3x3_1')(x))
    b7 = ConvBN(192, name='branch7x7x3_1')(x)
    b7 = ConvBN(192, (1, 7), name='branch7x7x3_2')(b7)
    b7 = ConvBN(192, (7, 1), name='branch7x7x3_3')(b7)
    b7 = ConvBN(192, (3, 3), 2, 'VALID', name='branch7x7x3_4')(b7)
    return jnp.concatenate([b3, b7, _max_pool_down(x)], -1)


class BlockE(nn.Module):
  max_pool: bool = False   # pytorch-fid's FIDInceptionE_2 (Mixed_7c): see the docstring

  @nn.compact
  def __call__(self, x):
    b1 = ConvBN(320, name='branch1x1')(x)
    b3 = ConvBN(384, name='branch3x3_1')(x)
    b3 = jnp.concatenate([ConvBN(384, (1, 3), name='branch3x3_2a')(b3),
                          ConvBN(384, (3, 1), name='branch3x3_2b')(b3)], -1)
    d = ConvBN(384, (3, 3), name='branch3x3dbl_2')(ConvBN(448, name='branch3x3dbl_1')(x))
    d = jnp.concatenate([ConvBN(384, (1, 3), name='branch3x3dbl_3a')(d),
                         ConvBN(384, (3, 1), name='branch3x3dbl_3b')(d)], -1)
    pooled = _max_pool_same(x) if self.max_pool else _avg_pool_tf(x)
    pool = ConvBN(192, name='branch_pool')(pooled)
    return jnp.concatenate([b1, b3, d, pool], -1)


class FIDInceptionV3(nn.Module):
  """Images [N, 299, 299, 3] in [-1, 1] -> {block name: output} (the module docstring)."""

  @nn.compact
  def __call__(self, x) -> Dict[str, jax.Array]:
    out = {}
    x = ConvBN(32, (3, 3), 2, 'VALID', name='Conv2d_1a_3x3')(x)
    x = ConvBN(32, (3, 3), 1, 'VALID', name='Conv2d_2a_3x3')(x)
    x = ConvBN(64, (3, 3), name='Conv2d_2b_3x3')(x)
    out['block0'] = x = _max_pool_down(x)
    x = ConvBN(80, name='Conv2d_3b_1x1')(x)
    x = ConvBN(192, (3, 3), 1, 'VALID', name='Conv2d_4a_3x3')(x)
    out['block1'] = x = _max_pool_down(x)
    x = BlockA(32, name='Mixed_5b')(x)
    x = BlockA(64, name='Mixed_5c')(x)
    x = BlockA(64, name='Mixed_5d')(x)
    x = BlockB(name='Mixed_6a')(x)
    for name, channels in (('Mixed_6b', 128), ('Mixed_6c', 160), ('Mixed_6d', 160),
                           ('Mixed_6e', 192)):
      x = BlockC(channels, name=name)(x)
    out['block2'] = x
    x = BlockD(name='Mixed_7a')(x)
    x = BlockE(name='Mixed_7b')(x)
    x = BlockE(max_pool=True, name='Mixed_7c')(x)
    out['pool3'] = x = x.mean((1, 2))
    out['logits'] = nn.Dense(NUM_CLASSES, name='fc')(x)
    return out


def preprocess(images01: jax.Array) -> jax.Array:
  """Images [N, H, W, 1 or 3] in [0, 1] -> [N, 299, 299, 3] in [-1, 1], as pytorch-fid
  prepares them (bilinear resize without antialiasing, then 2x - 1)."""
  if images01.shape[-1] == 1:
    images01 = jnp.repeat(images01, 3, axis=-1)
  resized = jax.image.resize(images01, (images01.shape[0], SIZE, SIZE, 3), 'bilinear',
                             antialias=False)
  return 2 * resized - 1


@jax.jit
def features(variables, images01) -> Dict[str, jax.Array]:
  """The network's block outputs for images [N, H, W, 1 or 3] in [0, 1] of any size."""
  return FIDInceptionV3().apply(variables, preprocess(images01))


def variable_shapes() -> dict:
  """{flattened variable key: shape} of the network, without computing anything."""
  abstract = jax.eval_shape(FIDInceptionV3().init, jax.random.key(0),
                            jax.ShapeDtypeStruct((1, SIZE, SIZE, 3), jnp.float32))
  return traverse_util.flatten_dict(jax.tree_util.tree_map(lambda a: a.shape, abstract))


def random_state_dict(seed: int = 0) -> Dict[str, np.ndarray]:
  """Randomly initialised weights under pytorch-fid's names and layouts, as its weights
  file holds them (He-scaled kernels, batch norms whose statistics and affine parts are
  not the identity): for testing the wiring where the real weights are not at hand."""
  rng = np.random.default_rng(seed)
  flat = {}
  for key, shape in variable_shapes().items():
    leaf = key[-1]
    if leaf == 'kernel':
      flat[key] = rng.normal(0, np.sqrt(2 / np.prod(shape[:-1])), shape)
    elif leaf in ('scale', 'var'):
      flat[key] = rng.uniform(0.5, 1.5, shape)
    else:   # bias, mean
      flat[key] = rng.normal(0, 0.1, shape)
  flat = {k: v.astype(np.float32) for k, v in flat.items()}
  return state_dict_from_variables(traverse_util.unflatten_dict(flat))


# state_dict leaf -> (Flax collection, Flax leaf, to Flax's layout, back to torch's)
_CONV = lambda w: np.transpose(w, (2, 3, 1, 0))       # [O, I, kh, kw] -> [kh, kw, I, O]
_CONV_BACK = lambda w: np.transpose(w, (3, 2, 0, 1))
_SAME = lambda w: w
_LEAVES = {
    'conv.weight': ('params', 'kernel', _CONV, _CONV_BACK),
    'bn.weight': ('params', 'scale', _SAME, _SAME),
    'bn.bias': ('params', 'bias', _SAME, _SAME),
    'bn.running_mean': ('batch_stats', 'mean', _SAME, _SAME),
    'bn.running_var': ('batch_stats', 'var', _SAME, _SAME),
    'fc.weight': ('params', 'kernel', np.transpose, np.transpose),
    'fc.bias': ('params', 'bias', _SAME, _SAME),
}
_IGNORED = 'num_batches_tracked'   # a torch BatchNorm counter, no part of the function


def _flax_key(name: str):
  """'Mixed_5b.branch1x1.conv.weight' -> (('params', 'Mixed_5b', 'branch1x1', 'conv',
  'kernel'), to Flax's layout); None for a name of no known leaf."""
  parts = name.split('.')
  leaf = _LEAVES.get('.'.join(parts[-2:]))
  if leaf is None:
    return None
  collection, flax_leaf, to_flax, _ = leaf
  return (collection, *parts[:-1], flax_leaf), to_flax


def variables_from_state_dict(state: Dict[str, np.ndarray], source: str = 'the state_dict'):
  """The Flax variables of pytorch-fid's state_dict; ValueError naming `source` and the
  tensors that are missing, unexpected or of another shape."""
  shapes = variable_shapes()
  flat, unexpected, wrong = {}, [], []
  for name, value in state.items():
    place = _flax_key(name)
    if place is None or place[0] not in shapes:
      if not name.endswith(_IGNORED):
        unexpected.append(name)
      continue
    key, to_flax = place
    array = to_flax(np.asarray(value, np.float32))
    if array.shape != shapes[key]:
      wrong.append(f'{name} {tuple(np.shape(value))}')
    flat[key] = array
  missing = ['.'.join(k[1:]) for k in shapes if k not in flat]
  if missing or unexpected or wrong:
    problems = [f'{label}: {", ".join(items[:3])}{" ..." if len(items) > 3 else ""}'
                for label, items in (('missing', missing), ('unexpected', unexpected),
                                     ('of another shape', wrong)) if items]
    raise ValueError(f"{source} is not pytorch-fid's FID Inception state_dict ("
                     + '; '.join(problems) + ')')
  return traverse_util.unflatten_dict(flat)


def state_dict_from_variables(variables) -> Dict[str, np.ndarray]:
  """The inverse: pytorch-fid's names and layouts (for tests, and to save randomly
  initialised weights in the weights file's format)."""
  back = {(c, kind, leaf): (torch_leaf, to_torch)
          for torch_leaf, (c, leaf, _, to_torch) in _LEAVES.items()
          for kind in [torch_leaf.split('.')[0]]}
  out = {}
  for (collection, *modules, leaf), value in traverse_util.flatten_dict(variables).items():
    torch_leaf, to_torch = back[(collection, modules[-1], leaf)]
    out['.'.join(modules[:-1] + [torch_leaf])] = to_torch(np.asarray(value))
  return out
