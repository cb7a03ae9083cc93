"""A run's folder: where each of its files lives, and the config it records.

    <workdir>/config.json          the run's config (what infogan_jax.load() rebuilds from)
    <workdir>/train.lock           held while a trainer runs here (one run per workdir)
    <workdir>/checkpoints/<step>/  orbax checkpoints
    <workdir>/metrics.jsonl        one JSON object per logged step
    <workdir>/tensorboard/         the same scalars as TensorBoard events
    <workdir>/samples/             sample grids written during training
    <workdir>/eval/<step>/         eval.py's metrics.json, report.md and figures
    <workdir>/errors.log           tracebacks behind a one-line error (cli.py), if any
    <workdir>/replaced_<time>/     earlier runs moved aside by --restart (only these files)
    <workdir>/seed_<n>/            config.num_seeds > 1: each seed's run, laid out as above
                                   (the folder's own config.json and train.lock: the
                                   seeds' run as a whole)
    <workdir>/eval_seeds.md        eval.py's table of those seeds

Every module asks this one for these paths. `prepare` compares a new run's config with
config.json before any work: resuming under another config would continue a checkpoint
under settings that did not produce it. `record_config` writes config.json only once the
run has started, so a failed start never replaces the record of the run that is there.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import stat
import time
from typing import List, Optional

import ml_collections

from infogan_jax.settings import config_validation
from infogan_jax.errors import WorkdirError

CONFIG_FILE = 'config.json'
CHECKPOINTS = 'checkpoints'
METRICS_FILE = 'metrics.jsonl'
TENSORBOARD = 'tensorboard'
SAMPLES = 'samples'
EVAL = 'eval'
REPLACED_PREFIX = 'replaced_'
SEED_PREFIX = 'seed_'
SEED_TABLE = 'eval_seeds.md'
LOCK_FILE = 'train.lock'     # held by the training process (0) of the run in the workdir
ERROR_LOG = 'errors.log'

# Fields that may change when a run is resumed: how long it runs, what it logs and keeps,
# where the data is read from, how faults are handled, how many steps one call runs (the
# same computation), and evaluation settings. Any other
# difference would continue the checkpoint under a config that did not produce it.
RESUMABLE_CHANGES = ('num_train_steps', 'log_every_steps', 'sample_every_steps',
                     'checkpoint_every_steps', 'keep_checkpoints', 'data_dir', 'manual_dir',
                     'prefetch', 'on_nonfinite', 'steps_per_dispatch', 'eval')


# --- paths ------------------------------------------------------------------------------
def config_path(workdir: str) -> str:
  return os.path.join(workdir, CONFIG_FILE)


def checkpoint_dir(workdir: str) -> str:
  """Absolute: orbax needs it so."""
  return os.path.join(os.path.abspath(workdir), CHECKPOINTS)


def metrics_path(workdir: str) -> str:
  return os.path.join(workdir, METRICS_FILE)


def tensorboard_dir(workdir: str) -> str:
  return os.path.join(workdir, TENSORBOARD)


def sample_path(workdir: str, step: int) -> str:
  return os.path.join(workdir, SAMPLES, f'step_{step:07d}.png')


def sample_paths(workdir: str) -> dict:
  """{step: path} of the sample grids training drew in `workdir`, by step."""
  folder = os.path.join(workdir, SAMPLES)
  found = {}
  for name in os.listdir(folder) if os.path.isdir(folder) else []:
    number = name[len('step_'):-len('.png')]
    if name.startswith('step_') and name.endswith('.png') and number.isdigit():
      found[int(number)] = os.path.join(folder, name)
  return dict(sorted(found.items()))


def eval_dir(workdir: str, step: int) -> str:
  return os.path.join(workdir, EVAL, str(step))


def seed_workdir(workdir: str, seed: int) -> str:
  """Where seed `seed` of a config.num_seeds > 1 run lives."""
  return os.path.join(workdir, f'{SEED_PREFIX}{seed}')


def seed_workdirs(workdir: str) -> dict:
  """{seed: its workdir} of the seeds a config.num_seeds > 1 run trained in `workdir`."""
  if not os.path.isdir(workdir):
    return {}
  found = {}
  for name in os.listdir(workdir):
    number = name[len(SEED_PREFIX):]
    path = os.path.join(workdir, name)
    if name.startswith(SEED_PREFIX) and number.isdigit() and os.path.isdir(path):
      found[int(number)] = path
  return dict(sorted(found.items()))


def error_log_path(workdir: str) -> str:
  return os.path.join(workdir, ERROR_LOG)


def is_run(workdir: str) -> bool:
  """True if training has started in `workdir` (its config or checkpoint folder is there)."""
  return (os.path.exists(config_path(workdir))
          or os.path.isdir(os.path.join(workdir, CHECKPOINTS)))


def seed_table_path(workdir: str) -> str:
  return os.path.join(workdir, SEED_TABLE)


def has_run(workdir: str) -> bool:
  """True if `workdir` holds checkpoints."""
  checkpoints = checkpoint_dir(workdir)
  return os.path.isdir(checkpoints) and bool(os.listdir(checkpoints))


# --- the recorded config ----------------------------------------------------------------
def read_config(workdir: str) -> ml_collections.ConfigDict:
  """The config a run recorded, with fields added to the schema since filled in with the
  values such runs used (config_validation.OPTIONAL). Raises WorkdirError."""
  path = config_path(workdir)
  if not os.path.exists(path):
    raise WorkdirError(f'{path} not found: is {workdir} a training workdir of train.py?')
  try:
    with open(path) as f:
      recorded = json.load(f)
  except (OSError, ValueError) as e:
    raise WorkdirError(
        f'{path} cannot be read ({e}). It records the config of the run in {workdir}; '
        'restore it, or pass --restart to move the old run aside and start over.'
    ) from None
  return config_validation.with_defaults(ml_collections.ConfigDict(recorded))


def write_config(config, workdir: str) -> None:
  """Writes <workdir>/config.json atomically (a killed run never leaves half a file)."""
  path = config_path(workdir)
  tmp = f'{path}.tmp-{os.getpid()}'
  with open(tmp, 'w', opener=open_no_link) as f:
    f.write(config.to_json_best_effort(indent=2))
    f.flush()
    os.fsync(f.fileno())
  os.replace(tmp, path)


def _flatten(tree, prefix=''):
  out = {}
  for key, value in tree.items():
    if isinstance(value, dict):
      out.update(_flatten(value, f'{prefix}{key}.'))
    else:
      out[f'{prefix}{key}'] = value
  return out


# Fields that define a trained model (its networks, its latent layout, its data's value
# range): a config used to load or evaluate a run must agree with the run's on these.
MODEL_FIELDS = ('dataset', 'latent', 'model', 'cyclegan')


def config_differences(old: dict, new: dict, fields=None) -> List[str]:
  """'config.x: a in the workdir, b now' for every field that may not change on resume
  (or, given `fields`, for those top-level fields only).

  Fields present on one side only (added to the schema later) are not compared.
  """
  old, new = _flatten(old), _flatten(new)
  diffs = []
  for name in sorted(set(old) & set(new)):
    top = name.split('.')[0]
    if (top in RESUMABLE_CHANGES or name in RESUMABLE_CHANGES if fields is None
        else top not in fields):
      continue
    if old[name] != new[name]:
      diffs.append(f'config.{name}: {old[name]!r} in the workdir, {new[name]!r} now')
  return diffs


def open_no_link(path: str, flags: int) -> int:
  """os.open(path, flags) for a file training writes, never through a link: a link (or a
  FIFO, a device) planted there, in a workdir in a shared folder, would have us write
  into another file. Raises WorkdirError saying so; an `opener` for open() too."""
  try:
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
  except OSError as e:
    if e.errno not in (errno.ELOOP, errno.ENXIO, errno.EISDIR):   # a link; a FIFO; a folder
      raise
    fd = None
  if fd is not None:
    info = os.fstat(fd)
    if stat.S_ISREG(info.st_mode) and info.st_nlink == 1:   # no hard link to another name
      return fd
    os.close(fd)
  raise WorkdirError(f'{path} is a link or not a regular file: training does not write '
                     'through it. Move it away if nobody planted it there, or use a '
                     '--workdir of your own.')


def check_folder(path: str) -> None:
  """Refuses (WorkdirError) a folder training writes into that is a link or a file."""
  if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
    raise WorkdirError(f'{path} is a link or not a folder: training writes its files in a '
                       'folder there. Move it away if nobody planted it there, or use a '
                       '--workdir of your own.')


@contextlib.contextmanager
def lock(workdir: str, is_lead: bool = True):
  """Holds <workdir>/train.lock for the duration: a second trainer on the same workdir is
  refused at once (WorkdirError naming the holder). The kernel releases the lock when its
  process ends, so a killed run's lock is simply taken over. Only the lead process locks."""
  if not is_lead:
    yield
    return
  try:
    os.makedirs(workdir, exist_ok=True)
    fd = open_no_link(os.path.join(workdir, LOCK_FILE), os.O_RDWR | os.O_CREAT)
  except OSError as e:
    raise _unwritable(workdir, e) from None
  try:
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
      holder = os.pread(fd, 200, 0).decode(errors='replace').strip() or 'another process'
      raise WorkdirError(
          f'{workdir} is in use by another trainer ({holder}). One run per workdir: wait '
          'for it to end, stop it (Ctrl-C or SIGTERM saves and exits), or choose another '
          '--workdir.') from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f'pid {os.getpid()} on {socket.gethostname()}, since '
                  f'{time.strftime("%Y-%m-%d %H:%M:%S")}\n'.encode(), 0)
    yield
  finally:
    os.close(fd)   # releases the lock


def written_by_training(name: str) -> bool:
  """True for an entry of a workdir that training or evaluation writes."""
  return (name in (CONFIG_FILE, CHECKPOINTS, METRICS_FILE, TENSORBOARD, SAMPLES, EVAL,
                   SEED_TABLE, ERROR_LOG)
          or name.startswith(f'{CONFIG_FILE}.tmp-')
          or (name.startswith(SEED_PREFIX) and name[len(SEED_PREFIX):].isdigit()))


def listed(items: List[str], most: int = 6, sep: str = '; ') -> str:
  """The first `most` items (e.g. config_differences' lines), for a message."""
  return sep.join(items[:most]) + (f'{sep}...' if len(items) > most else '')


def seed_config(config, seed: int):
  """The config a seed of a config.num_seeds run records in its own workdir: that seed,
  trained alone."""
  config = config.copy_and_resolve_references()
  config.seed, config.num_seeds = seed, 1
  return config


def move_old_run(workdir: str) -> Optional[str]:
  """Moves what training and evaluation wrote in `workdir` to workdir/replaced_<time>/.

  Refuses (WorkdirError, nothing moved) a workdir that also holds anything else, such as a
  source checkout passed as --workdir=.: --restart moves a run, not a user's files.
  """
  entries = [e for e in sorted(os.listdir(workdir)) if e != LOCK_FILE]  # held: stays
  foreign = [e for e in entries
             if not written_by_training(e) and not e.startswith(REPLACED_PREFIX)]
  if foreign:
    raise WorkdirError(
        f'--restart: {workdir} holds files that training did not write ('
        + listed(foreign, 8, ', ') + '); nothing '
        'was moved. Choose a --workdir of its own for the run, or move them yourself.')
  entries = [e for e in entries if written_by_training(e)]
  if not entries:
    return None
  target = os.path.join(workdir, time.strftime(f'{REPLACED_PREFIX}%Y%m%d-%H%M%S'))
  suffix = 0
  while os.path.exists(target + (f'_{suffix}' if suffix else '')):
    suffix += 1
  target += f'_{suffix}' if suffix else ''
  os.makedirs(target)
  for entry in entries:
    os.replace(os.path.join(workdir, entry), os.path.join(target, entry))
  return target


def prepare(config, workdir: str, restart: bool = False, is_lead: bool = True) -> None:
  """Checks `workdir` before any work: writable, and holding no run of another config.

  `restart=True` moves an existing run to workdir/replaced_<time>/ and starts afresh.
  Nothing is recorded here: `record_config` writes config.json once the run has started
  (a start that fails leaves the workdir's record as it was). Every process runs the
  comparison (same files, same answer); only the lead moves files. Raises WorkdirError.
  """
  path = config_path(workdir)
  if restart:
    if is_lead and os.path.isdir(workdir):
      try:
        moved = move_old_run(workdir)
      except OSError as e:
        raise WorkdirError(f'--restart: could not move the old run out of the way in '
                           f'{workdir}: {e.strerror or e}') from None
      if moved:
        print(f'--restart: moved the previous run to {moved}', flush=True)
    _barrier('infogan_restart')
  elif os.path.exists(path):
    old = read_config(workdir).to_dict()
    diffs = config_differences(old, json.loads(config.to_json_best_effort()))
    if diffs:
      raise WorkdirError(
          f'{workdir} holds a run with a different config ({listed(diffs)}). Resuming would '
          'continue it under settings that did not produce it. Use the settings of '
          f'{path} to resume, pass --restart to move the old run aside and start over, '
          'or choose another --workdir.')
  if not restart:
    _check_layout(config, workdir)
    if not os.path.exists(path) and has_run(workdir):
      print(f'Note: {workdir} has checkpoints but no {CONFIG_FILE}; resuming without '
            'comparing configs (array shapes are still checked).', flush=True)
  if is_lead:
    try:
      os.makedirs(workdir, exist_ok=True)
    except OSError as e:
      raise _unwritable(workdir, e) from None


def _check_layout(config, workdir: str) -> None:
  """Refuses a run of one seed where seeds were trained together, and the other way round
  (for a workdir without config.json, which would name config.num_seeds): either would
  start a second run inside the first."""
  seeds = [os.path.basename(d) for d in seed_workdirs(workdir).values()
           if os.path.exists(config_path(d)) or has_run(d)]
  if config.num_seeds > 1 and has_run(workdir):
    raise WorkdirError(
        f'{workdir} holds a run of one seed (its {CHECKPOINTS}/), and config.num_seeds='
        f'{config.num_seeds} would train seeds in {SEED_PREFIX}<n>/ folders beside it. '
        'Resume it with config.num_seeds=1, pass --restart to move it aside and start over, '
        'or choose another --workdir.')
  if config.num_seeds == 1 and seeds:
    raise WorkdirError(
        f'{workdir} holds seeds trained together ({listed(seeds, 8, ", ")}), and '
        'config.num_seeds=1 would start a run of one seed beside them. Resume them with '
        f'config.num_seeds={len(seeds)}, train a seed alone in its own folder (--workdir='
        f'{os.path.join(workdir, seeds[0])}), pass --restart to move them aside and start '
        'over, or choose another --workdir.')


def record_config(config, workdir: str) -> None:
  """Records `config` as the run's (config.json), once the run has started: its
  checkpoint restored and its first step run (or its first checkpoint saved)."""
  try:
    write_config(config, workdir)
  except OSError as e:
    raise _unwritable(workdir, e) from None


def _unwritable(workdir: str, e: OSError) -> WorkdirError:
  where = f' ({e.filename})' if e.filename and e.filename != workdir else ''
  return WorkdirError(f'cannot write to the workdir {workdir}: {e.strerror or e}{where}')


def _barrier(name: str) -> None:
  import jax
  if jax.process_count() > 1:
    from jax.experimental import multihost_utils
    multihost_utils.sync_global_devices(name)
