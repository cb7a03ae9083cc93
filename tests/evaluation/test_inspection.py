"""Looking inside: D's decision surface on 2-D data and activation maximisation
(infogan_jax/evaluation/inspection.py)."""
import jax
import numpy as np
import pytest

from configs import ring8, tiny
from infogan_jax.evaluation import inspection
from infogan_jax import games


@pytest.mark.slow
def test_activation_maximisation_raises_each_unit_and_stays_in_the_prior():
  state = games.create_train_state(tiny.get_config(), jax.random.key(0))
  images, before, after = inspection.maximise(state, 'Dense_0', [0, 5], jax.random.key(1),
                                              n=3, steps=60)
  assert images.shape == (2, 3, 28, 28, 1) and before.shape == after.shape == (2, 3)
  assert np.all(after > before)                        # every image of every unit
  assert np.all(np.abs(images) <= 1.0)                 # tanh output range
  # A convolution's unit is a channel (its map's mean).
  _, conv_before, conv_after = inspection.maximise(state, 'Conv_1', [1], jax.random.key(2),
                                                   n=2, steps=30)
  assert np.all(conv_after > conv_before)
  with pytest.raises(ValueError, match="no layer 'Dense_9'; its layers: .*Conv_0"):
    inspection.maximise(state, 'Dense_9', [0], jax.random.key(1))
  with pytest.raises(ValueError, match='units, got units \\[100000\\]'):
    inspection.maximise(state, 'Dense_0', [100000], jax.random.key(1))


def test_decision_surface_is_ds_probability_over_the_plane():
  state = games.create_train_state(ring8.get_config(), jax.random.key(0))
  axis, probs = inspection.decision_surface(state, -1.5, 1.5, resolution=20)
  assert axis.shape == (20,) and probs.shape == (20, 20)
  assert np.all((probs > 0) & (probs < 1))
  # Row i is y = axis[i]: the grid's point (x, y) scores as D scores that point alone.
  logits, _ = state.discriminator.apply({'params': state.d_params,
                                         'batch_stats': state.d_stats},
                                        np.array([[axis[3], axis[17]]], np.float32),
                                        train=False)
  assert probs[17, 3] == pytest.approx(float(jax.nn.sigmoid(logits[0])), rel=1e-5)
  with pytest.raises(ValueError, match='needs 2-D data'):
    inspection.decision_surface(games.create_train_state(tiny.get_config(),
                                                            jax.random.key(0)), -1, 1)
