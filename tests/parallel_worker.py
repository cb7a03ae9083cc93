"""Subprocess helper for tests/test_parallel.py (not a test module: pytest skips it).

The pytest process has already started JAX with one CPU device, so runs that need
several devices or several processes happen here, in a fresh interpreter whose
XLA_FLAGS (set by the caller) force the device count.

    python tests/parallel_worker.py equivalence OUT_DIR [ss]
        a few steps of the tiny conv config (BatchNorm) on 1 device and on all devices,
        same global batch and latents; writes OUT_DIR/{init,one,all}.npz (init: before
        training). `ss`: ss-InfoGAN's guided code, labelled batches on even steps;
        `wgan_gp`: WGAN-GP with 2 critic steps per G step; `consistency`: the consistency
        term (deformed copies, IIC's agreement from the global batch's joint); `minibatch`:
        minibatch discrimination over the global batch; `cgan`: D reading each image's
        label; `vaegan`: the encoder, its posterior draws and the reconstructions;
        `cyclegan`: CycleGAN's four networks and history pools (the global batch's)
    python tests/parallel_worker.py train OUT.npz [train.py flags ...]
        train.py's main() with those flags; each process then writes its final
        TrainState arrays to OUT.npz with '{process}' replaced by its process index
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')


def _save(path, variables):
  import jax
  import numpy as np
  leaves = jax.tree_util.tree_leaves_with_path(jax.device_get(variables))
  np.savez(path, **{jax.tree_util.keystr(k): np.asarray(v) for k, v in leaves})


def equivalence(out_dir, steps=2, semi_supervised=False, wgan_gp=False, consistency=False,
                minibatch=False, cgan=False, vaegan=False, cyclegan=False):
  import jax
  import numpy as np
  import optax
  from configs import tiny
  from infogan_jax.training import parallel
  from infogan_jax import games

  cfg = tiny.get_config()
  cfg.batch_size = 8  # 2 rows per device on 4 devices; BatchNorm must see all 8
  if semi_supervised:
    cfg.latent.categorical, cfg.latent.guided_code = (10, 2), 0
    cfg.semi_supervised.labels_per_class = 1
  if wgan_gp:   # the gradient penalty, and G learning on every 2nd step only
    cfg.objective.adversarial, cfg.objective.critic_steps = 'wgan_gp', 2
    cfg.model.d_norm = 'layer'
  if consistency:
    cfg.consistency.weight = 1.0
  if minibatch:
    cfg.model.minibatch_kernels = 4
  if cgan:
    cfg.latent.categorical, cfg.latent.guided_code, cfg.latent.condition_d = (10, 2), 0, True
    cfg.semi_supervised.labels_per_class = -1
    cfg.semi_supervised.share_start = cfg.semi_supervised.share_end = 1.0
  if vaegan:
    cfg.latent.categorical, cfg.latent.continuous, cfg.latent.noise_prior = (), 0, 'normal'
    cfg.vae.encoder, cfg.vae.gamma = True, 0.1
  if cyclegan:
    cfg = tiny.cyclegan_config()
    cfg.batch_size = 8
  labelled = semi_supervised or cgan

  def initial_state():  # built afresh for each use: the train step donates its input
    return games.create_train_state(cfg, jax.random.key(0))

  def run(devices):
    state = initial_state()
    # Plain SGD: its update is proportional to the gradient, so a wrongly scaled or
    # wrongly averaged gradient shows up in the parameters. (Adam's update is nearly
    # scale-free, and it turns float noise in the exactly-zero gradients of biases that
    # feed a BatchNorm into +-lr steps, so it cannot be compared at fp32 tolerance.)
    # CycleGAN's generators: losses ~30 (lambda = 10 times two L1 terms each), where 0.05
    # would move the tiny kernels by more than their own size, into a regime where float
    # rounding is amplified from step to step.
    tx = optax.sgd(0.002 if cyclegan else 0.05)
    state = state.with_optimizers(g_tx=tx, d_tx=tx, **({'e_tx': tx} if vaegan else {}))
    mesh = parallel.make_mesh(devices)
    step_fn = parallel.make_train_step(mesh, with_latents=not cyclegan)
    state = parallel.replicate(state, mesh)
    for step in range(steps):
      images = np.random.default_rng(step).uniform(
          -1, 1, (cfg.batch_size, 28, 28, 1)).astype(np.float32)
      if cyclegan:   # no latents: the second domain's batch; the pools fill, then swap
        batch = {'image': images, 'image_y': np.tanh(3 * images[::-1])}
        state, metrics = step_fn(state, parallel.global_batch(batch, mesh),
                                 games.step_rng(0, step))
        continue
      latents = jax.device_get(state.spec.sample(jax.random.key(100 + step), cfg.batch_size))
      batch = {'image': images}
      if labelled:
        batch['label'] = np.random.default_rng(step).integers(0, 10, cfg.batch_size)
        batch['labelled'] = np.full(cfg.batch_size, float(step % 2 == 0 or cgan), np.float32)
      state, metrics = step_fn(state, parallel.global_batch(batch, mesh),
                               games.step_rng(0, step),
                               parallel.global_batch(latents, mesh))
    return {'state': state.variables(), 'metrics': metrics}

  _save(os.path.join(out_dir, 'init.npz'), {'state': initial_state().variables()})
  _save(os.path.join(out_dir, 'one.npz'), run(jax.devices()[:1]))
  _save(os.path.join(out_dir, 'all.npz'), run(jax.devices()))
  print(f'devices={jax.device_count()}', flush=True)


def train(out, argv):
  from absl import app
  import train as train_py
  from infogan_jax.training import loop
  from infogan_jax.data import mnist_files
  if os.environ.get('TEST_MNIST_SHA256'):   # the test's own small MNIST archives
    mnist_files.SHA256 = json.loads(os.environ['TEST_MNIST_SHA256'])

  run = loop.train

  def run_and_save(*args, **kwargs):
    import jax
    state = run(*args, **kwargs)
    _save(out.replace('{process}', str(jax.process_index())), state.variables())
    print(f'process {jax.process_index()}/{jax.process_count()}: '
          f'{jax.local_device_count()} local of {jax.device_count()} devices, '
          f'step {int(state.step)}', flush=True)
    return state

  loop.train = run_and_save
  os.chdir(ROOT)
  sys.argv = ['train.py', *argv]
  app.run(train_py.main)


if __name__ == '__main__':
  mode, target, *rest = sys.argv[1:]
  if mode == 'equivalence':
    equivalence(target, semi_supervised=rest == ['ss'], wgan_gp=rest == ['wgan_gp'],
                consistency=rest == ['consistency'], minibatch=rest == ['minibatch'],
                cgan=rest == ['cgan'], vaegan=rest == ['vaegan'],
                cyclegan=rest == ['cyclegan'])
  elif mode == 'train':
    train(target, rest)
  else:
    raise SystemExit(f'unknown mode {mode!r}')
