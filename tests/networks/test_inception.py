"""The Flax InceptionV3 of FID (infogan_jax/networks/inception.py) on randomly initialised
weights saved in the weights file's format: the real pytorch-fid weights were not available
to test against here."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from infogan_jax.networks import inception
from infogan_jax.networks import state_dict_files

BLOCKS = {'block0': (73, 73, 64), 'block1': (35, 35, 192), 'block2': (17, 17, 768),
          'pool3': (2048,), 'logits': (1008,)}


def _abstract_variables():
  from flax import traverse_util
  return traverse_util.unflatten_dict(
      {k: jax.ShapeDtypeStruct(s, jnp.float32) for k, s in inception.variable_shapes().items()})


@pytest.mark.parametrize('image_shape', [(28, 28, 1), (64, 64, 3), (500, 400, 3)])
def test_every_block_has_its_shape_for_images_of_any_size(image_shape):
  out = jax.eval_shape(inception.features, _abstract_variables(),
                       jax.ShapeDtypeStruct((2, *image_shape), jnp.float32))
  assert {k: v.shape for k, v in out.items()} == {k: (2, *s) for k, s in BLOCKS.items()}


def test_state_dict_names_and_layouts_are_pytorch_fids():
  state = inception.random_state_dict(0)
  assert len(state) == 472        # 94 conv + batch norm layers x 5 tensors, fc's 2
  assert state['Conv2d_1a_3x3.conv.weight'].shape == (32, 3, 3, 3)     # [O, I, kh, kw]
  assert state['Mixed_6b.branch7x7_2.conv.weight'].shape == (128, 128, 1, 7)
  assert state['Mixed_7c.branch_pool.conv.weight'].shape == (192, 2048, 1, 1)
  assert state['Mixed_7c.branch3x3dbl_3b.bn.running_var'].shape == (384,)
  assert state['fc.weight'].shape == (1008, 2048) and state['fc.bias'].shape == (1008,)
  variables = inception.variables_from_state_dict(
      {**state, 'Mixed_5b.branch1x1.bn.num_batches_tracked': np.array(3)})
  np.testing.assert_array_equal(
      variables['params']['Mixed_6b']['branch7x7_2']['conv']['kernel'],
      np.transpose(state['Mixed_6b.branch7x7_2.conv.weight'], (2, 3, 1, 0)))
  np.testing.assert_array_equal(variables['batch_stats']['Mixed_5b']['branch1x1']['bn']['mean'],
                                state['Mixed_5b.branch1x1.bn.running_mean'])
  np.testing.assert_array_equal(variables['params']['fc']['kernel'], state['fc.weight'].T)
  back = inception.state_dict_from_variables(variables)
  assert set(back) == set(state)
  assert all(np.array_equal(back[k], state[k]) for k in state)


def test_a_state_dict_of_another_network_is_refused_with_the_tensors_named():
  state = inception.random_state_dict(0)
  del state['Mixed_5b.branch_pool.conv.weight']
  state['AuxLogits.fc.weight'] = np.zeros((1000, 768), np.float32)
  state['fc.weight'] = np.zeros((1000, 2048), np.float32)     # torchvision's 1000 classes
  with pytest.raises(ValueError) as e:
    inception.variables_from_state_dict(state, 'w.pth')
  assert str(e.value) == ("w.pth is not pytorch-fid's FID Inception state_dict (missing: "
                          'Mixed_5b.branch_pool.conv.kernel; unexpected: AuxLogits.fc.weight; '
                          'of another shape: fc.weight (1000, 2048))')


def test_preprocessing_repeats_grey_and_resizes_bilinearly_to_299_as_pytorch_fid():
  rng = np.random.default_rng(0)
  grey = rng.uniform(size=(2, 28, 28, 1)).astype(np.float32)
  out = inception.preprocess(grey)
  assert out.shape == (2, 299, 299, 3)
  np.testing.assert_array_equal(out, inception.preprocess(np.repeat(grey, 3, -1)))
  # Two columns, 0 and 1, to 299: torch's bilinear with align_corners=False samples at
  # x = (i + 0.5) * 2 / 299 - 0.5, clamped to [0, 1]; then 2v - 1.
  ramp = np.tile(np.array([0.0, 1.0], np.float32), (1, 2, 1))[..., None]
  x = (np.arange(299) + 0.5) * 2 / 299 - 0.5
  np.testing.assert_allclose(inception.preprocess(ramp)[0, 0, :, 0],
                             2 * np.clip(x, 0, 1) - 1, atol=1e-6)


@pytest.mark.slow
def test_the_network_from_a_weights_file_is_deterministic_and_a_set_is_at_fd_zero(tmp_path):
  from infogan_jax.evaluation import metrics
  path = str(tmp_path / 'random_inception.npz')
  np.savez(path, **inception.random_state_dict(1))
  variables = inception.variables_from_state_dict(state_dict_files.read(path), path)
  rng = np.random.default_rng(0)
  images = rng.uniform(size=(6, 28, 28, 1)).astype(np.float32)
  first = inception.features(variables, images)
  again = inception.features(variables, images)
  for name in BLOCKS:
    assert np.all(np.isfinite(first[name])), name
    np.testing.assert_array_equal(first[name], again[name])
  colour = inception.features(variables, np.repeat(images, 3, -1))['pool3']
  np.testing.assert_array_equal(colour, first['pool3'])
  pool = np.asarray(first['pool3'], np.float64)
  assert pool.std(0).mean() > 0           # the images differ in their features
  other = np.asarray(inception.features(variables, 1 - images)['pool3'], np.float64)
  between = metrics.frechet_distance(pool, other)
  assert abs(metrics.frechet_distance(pool, pool)) < 1e-4 * between   # 6 points, 2048-d
