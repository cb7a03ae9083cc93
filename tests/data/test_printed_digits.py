"""The printed digits (data/printed_digits.py): CycleGAN's second domain, made here."""
import numpy as np

from infogan_jax.data import printed_digits


def test_the_split_is_fixed_by_its_seed_and_split():
  images, labels = printed_digits.make_split(0, 'test', 30)
  again, again_labels = printed_digits.make_split(0, 'test', 30)
  np.testing.assert_array_equal(images, again)
  np.testing.assert_array_equal(labels, again_labels)
  other, _ = printed_digits.make_split(1, 'test', 30)
  train, _ = printed_digits.make_split(0, 'train', 30)
  assert not np.array_equal(images, other) and not np.array_equal(images, train)
  assert images.shape == (30, 28, 28, 1) and images.dtype == np.uint8


def test_each_label_is_the_digit_rendered():
  images, labels = printed_digits.make_split(0, 'train', 40)
  choices = printed_digits.draw(0, 'train', 40)
  np.testing.assert_array_equal(labels, choices['digit'])
  for i in range(40):
    args = {k: v[i].item() for k, v in choices.items()}
    np.testing.assert_array_equal(images[i, ..., 0], printed_digits.render(**args))
    # The same face, size, slant, stroke and place with another digit is another image:
    # the label is what decides the picture.
    other = printed_digits.render(**dict(args, digit=(args['digit'] + 5) % 10))
    assert np.abs(other.astype(int) - images[i, ..., 0]).sum() > 255 * 10


def test_renders_look_like_mnist_digits():
  images, labels = printed_digits.make_split(0, 'test', 200)
  assert set(labels) == set(range(10))
  ink = images[..., 0] > 128
  heights = [np.ptp(np.nonzero(im.any(axis=1))[0]) + 1 for im in ink]
  assert 12 <= min(heights) and max(heights) <= 23   # MNIST's digits fit 20x20
  # White on black, the top and bottom rows empty, as around MNIST's centred 20x20 box
  assert images[:, :1].max() < 128 and images[:, -1:].max() < 128
  assert 0.08 < ink.mean() < 0.35
