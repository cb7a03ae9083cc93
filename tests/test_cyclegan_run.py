"""A CycleGAN run end to end on the tiny config: training and resuming, the API's
translate(), eval.py's measurements and the explorer's page (mock MNIST and a small split
of the printed digits)."""
import io
import json
import os
import shutil

import jax
import numpy as np
import pytest
from PIL import Image

import infogan_jax
from infogan_jax import api
from infogan_jax.errors import InputError
from infogan_jax.evaluation import classifier
from infogan_jax.evaluation import report
from infogan_jax.explorer import server as explorer
from infogan_jax.training import checkpointing, loop
from infogan_jax.training import workdir as workdir_lib

# The run fixture trains and evaluates a CycleGAN (~25 s per worker that needs it): the
# whole module runs under `pytest -m slow` so that the default run stays within 3 minutes.
pytestmark = pytest.mark.slow


def _arrays(workdir, step):
  mngr = checkpointing.manager(workdir, create=False)
  state = api.load(workdir, step=step).state
  mngr.close()
  return jax.device_get(state.variables())


def test_the_run_writes_checkpoints_and_translation_samples(cyclegan_run):
  workdir, config = cyclegan_run
  assert checkpointing.complete_steps(workdir_lib.checkpoint_dir(workdir)) == [2, 4]
  assert os.path.exists(workdir_lib.sample_path(workdir, 4))
  recorded = workdir_lib.read_config(workdir)
  assert recorded.cyclegan.enabled and recorded.data_placement == 'device'
  with open(workdir_lib.metrics_path(workdir)) as f:
    record = json.loads(f.readlines()[-1])
  assert {'cycle', 'identity', 'd_loss', 'g_loss'} <= set(record)


@pytest.mark.slow
def test_a_resumed_run_equals_an_uninterrupted_one(cyclegan_run, tmp_path):
  """6 steps in one go, against the same run resumed from its step-4 checkpoint: the same
  arrays, the pools and the second domain's order included (functions of (seed, step)).
  (The same num_train_steps: the learning rate's decay is placed by it.)"""
  _, config = cyclegan_run
  config.num_train_steps = 6
  straight, resumed = str(tmp_path / 'straight'), str(tmp_path / 'resumed')
  loop.train(config, straight)
  shutil.copytree(straight, resumed)
  shutil.rmtree(os.path.join(workdir_lib.checkpoint_dir(resumed), '6'))
  loop.train(config, resumed)
  again, whole = _arrays(resumed, 6), _arrays(straight, 6)
  assert int(whole['pools']['y']['count']) == 4 and int(whole['step']) == 6
  for (path, a), b in zip(jax.tree_util.tree_leaves_with_path(again), jax.tree.leaves(whole)):
    np.testing.assert_array_equal(a, b, err_msg=jax.tree_util.keystr(path))


def test_translate_checks_its_arguments_and_translates_both_ways(cyclegan_run):
  workdir, _ = cyclegan_run
  model = infogan_jax.load(workdir)
  assert isinstance(model, api.CycleGAN) and model.step == 4
  images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
  to_y, to_x = model.translate(images, 'x2y'), model.translate(images, direction='y2x')
  assert to_y.shape == to_x.shape == (5, 28, 28, 1) and not np.array_equal(to_y, to_x)
  assert np.all(np.abs(to_y) <= 1)
  # In batches of one: the same images (up to float rounding, another program's).
  np.testing.assert_allclose(model.translate(images[:2], 'x2y', batch_size=1), to_y[:2],
                             atol=1e-5)
  with pytest.raises(InputError, match="direction must be one of \\('x2y', 'y2x'\\)"):
    model.translate(images, 'forward')
  with pytest.raises(InputError, match=r'images must have shape \[N, 28, 28, 1\]'):
    model.translate(np.zeros((2, 32, 32, 1), np.float32))
  with pytest.raises(InputError, match='NaN'):
    model.translate(np.full((1, 28, 28, 1), np.nan, np.float32))
  with pytest.raises(InputError, match='batch_size'):
    model.translate(images, batch_size=0)


def test_eval_reports_the_translations_measurements(cyclegan_run):
  workdir, config = cyclegan_run
  config.eval.classifier_dir = os.path.join(workdir, 'classifiers')
  with pytest.raises(infogan_jax.errors.ClassifierMissingError, match='--train_classifier'):
    report.run(config, workdir)
  for dataset in ('mnist', 'printed'):
    classifier.train(config, epochs=1, batch_size=32, dataset=dataset)
  metrics = report.run(config, workdir)
  for direction in ('x2y', 'y2x'):
    for name in ('label_kept', 'reconstruction_label_kept'):
      assert 0 <= metrics[f'{direction}/{name}'] <= 1
    assert metrics[f'{direction}/cycle_l1'] > 0
    assert metrics[f'{direction}/fd_floor'] < metrics[f'{direction}/fd_untranslated']
  assert metrics['num_test_images'] == {'x': 64, 'y': 64}
  out = workdir_lib.eval_dir(workdir, 4)
  assert os.path.exists(os.path.join(out, 'translations.png'))
  with open(os.path.join(out, 'report.md')) as f:
    assert '| x2y |' in f.read()


def _png(array):
  buffer = io.BytesIO()
  Image.fromarray(array).save(buffer, format='PNG')
  return buffer.getvalue()


def test_the_explorer_translates_test_images_and_uploads(cyclegan_run):
  workdir, _ = cyclegan_run
  ex = explorer.Explorer(workdir)
  status, kind, page = ex.handle('GET', '/')
  assert status == 200 and b'<title>CycleGAN explorer</title>' in page
  info = json.loads(ex.handle('GET', '/api/info')[2])
  assert info['game'] == 'cyclegan' and info['test_images'] == {'x': 64, 'y': 64}
  status, _, answer = ex.handle('POST', '/api/translate',
                                json.dumps({'domain': 'y', 'index': 3}).encode())
  answer = json.loads(answer)
  assert status == 200 and answer['label'] is not None
  assert {'image', 'x2y', 'x2y_back', 'y2x', 'y2x_back'} <= set(answer)
  status, _, answer = ex.handle('POST', '/api/translate?step=2',
                                _png(np.full((40, 40), 230, np.uint8)))
  answer = json.loads(answer)
  assert status == 200 and answer['step'] == 2 and any('inverted' in n for n in answer['notes'])
  for body, message in [({'domain': 'z'}, 'domain must be'), ({'index': 10**6}, 'index must')]:
    status, _, answer = ex.handle('POST', '/api/translate', json.dumps(body).encode())
    assert status == 400 and message in json.loads(answer)['error']
  status, _, answer = ex.handle('POST', '/api/generate', b'{}')
  assert status == 400 and 'translates images' in json.loads(answer)['error']
