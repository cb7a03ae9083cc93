"""What Q knows of the codes (infogan_jax/evaluation/codes.py), on the tiny run, with G's
own samples standing in for labelled test digits (their category is their label)."""
import os

import jax
import numpy as np
import pytest

from infogan_jax import api
from infogan_jax.evaluation import codes
from infogan_jax.evaluation import common
from infogan_jax.evaluation import metrics


def test_codes_evaluator_matches_q_to_labels_and_reports_l_i_against_h_c(trained_tiny,
                                                                         tmp_path):
  model = api.load(trained_tiny)   # Cat(3), Cat(2), one continuous code
  generated = common.generated(jax.random.key(0), 48)
  latents, images = generated(model)
  labels = np.asarray(latents.cat[:, 0])
  posterior = common.PerModel(lambda m: m.infer(images))
  out = codes.CodesEvaluator(labels, posterior, images, generated, str(tmp_path)).run(model)
  expected, mapping, _ = metrics.matched_accuracy(
      model.infer(images)['cat_probs'][0].argmax(1), labels, 3)
  assert out['categorical_accuracy'] == expected and out['category_to_digit'] == mapping
  assert 'guided_accuracy' not in out   # no ss-InfoGAN code
  assert set(out['L_I']) == set(out['H_c']) == {'cat0', 'cat1', 'cont'}
  assert out['H_c']['cat0'] == pytest.approx(np.log(3))
  assert out['L_I'] == codes.information(model, latents, images)['L_I']
  assert out['L_I_cont_ceiling_fixed_std'] == model.spec.cont_ceiling()
  assert set(out['real_posterior_mi']) == {'cat0', 'cat1'}
  assert 0 <= out['real_posterior_mi']['cat0'] <= np.log(3) + 1e-6
  assert out['figures'] == {'confusion': str(tmp_path / 'confusion.png')}
  assert os.path.getsize(out['figures']['confusion']) > 0
