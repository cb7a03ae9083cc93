#!/usr/bin/env python
"""Do two checkouts train the same? Bitwise, config by config, through train.py alone.

    python scripts/compare_checkouts.py                      # OLD=7f1675c, NEW=this working tree
    python scripts/compare_checkouts.py --configs mnist ring8 --steps 4
    python scripts/compare_checkouts.py --old 7f1675c --new 7f1675c   # the harness itself: all bitwise
    python scripts/compare_checkouts.py --old HEAD~3 --new HEAD --allow shapes

For every config in configs/ (each configs/*.py but __init__.py and default.py, in either
checkout) it trains --steps steps on CPU from the same seed in an OLD checkout (a commit,
checked out with `git worktree add --detach` into a temporary folder and removed at the end)
and a NEW one (default: the working tree of the repository this script lives in, uncommitted
and untracked files included; or a commit, or a folder), one run after the other, each with

    python train.py --config=configs/<name>.py --workdir=<tmp> --config.num_train_steps=N
        --config.log_every_steps=1 --config.sample_every_steps=0
        --config.checkpoint_every_steps=N --config.batch_size=B --config.data_dir=<tmp>/tfds
        [MNIST: --config.data_reader=archives --config.manual_dir=/work/shared/data/mnist]

run in that checkout (cwd and PYTHONPATH = the checkout, so it imports its own infogan_jax and
configs, not the editable install; a short launcher, LAUNCHER below, runs train.py as
__main__ with that argv, as `python train.py` does, and records which infogan_jax and configs
modules the run imported: a run that imported any from outside its checkout is an ERROR). Neither checkout's package is imported here: the final orbax checkpoint
(<workdir>/checkpoints/<N>/<item>/, every seed_<n>/ of a num_seeds run too) is restored raw
and every leaf compared by its key path with numpy; <workdir>/metrics.jsonl is compared key
by key and step by step (steps_per_sec, a timing, is ignored; --ignore-metric adds others).

Data: MNIST from the offline archives (numpy reader; --mnist-reader=tfds prepares them with
TFDS once, into the shared temporary data_dir, and streams them through tf.data instead);
ring8 and shapes are made in memory; svhn and celeba are not available offline, so their runs
read tfds.testing.mock_data's random examples of the real features (the same for both sides,
as in tests/test_datasets.py): their networks, codes and input pipeline run, on fake images.
--no-mock-tfds reports them as skipped instead.

Output, one line per config, then a summary (the self-test, --old 7f1675c --new 7f1675c,
all 17 configs at 6 steps: every one bitwise, 29 minutes on 2 busy CPU cores):

    OLD: commit 7f1675c0c1 (7f1675c) in worktree /tmp/compare_checkouts.n0ligawx/checkout_old
    NEW: commit 7f1675c0c1 (7f1675c) in worktree /tmp/compare_checkouts.n0ligawx/checkout_new
    17 configs, 6 steps, batch 16, CPU

    acgan                  bitwise  (97 arrays, 6 logged steps x 9 metrics)  old 37s new 58s
    mnist_robust           bitwise  (222 arrays, 2 seeds, 6 logged steps x 8 metrics)  ...
    svhn                   bitwise  (109 arrays, ...)  [svhn: tfds.testing.mock_data ...]
    ring8                  DIFFERS  arrays: d_opt_state max|d|=0.00711 (20/21 leaves);
        d_params max|d|=0.00317 (10/10 leaves); ...; metrics differ: d_loss(steps 2-3,
        max|d|=0.0144), ...; metrics only in new: extra  [config.json differs
        (informational): d_learning_rate]  old 27s new 20s          (all on one line)
    tiny                   ERROR    new: train.py exited 1: ImportError: ...  (then the
                                    run's last stderr lines, on stderr)
    celeba                 skipped: dataset 'celeba' not available offline  (--no-mock-tfds)

    summary: 17 bitwise; 1722s wall
    OK: every config compared trains the same

`close` instead of `DIFFERS` when every difference is within --atol. Exit status 0 when every
config compared is bitwise (or close, or named by --allow), 1 otherwise, 2 for a usage error.
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

DEFAULT_OLD = '7f1675c'
MNIST_ARCHIVES = '/work/shared/data/mnist'
NOT_CONFIGS = ('__init__.py', 'default.py')
# Datasets tfds would have to download (not offline): run under tfds.testing.mock_data.
MOCK_DATASETS = ('svhn', 'celeba')
MNIST_DATASETS = ('mnist',)
TIMING_METRICS = ('steps_per_sec',)
MOCK_EXAMPLES = 64   # as tests/conftest.py

# Runs train.py as `python train.py ARGS` would (cwd and sys.path[0] = the checkout), under
# tfds.testing.mock_data when asked, then records the files of the infogan_jax and configs
# modules that run imported.
LAUNCHER = r'''
import json, os, runpy, sys
checkout, record, mock, args = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
sys.argv = [os.path.join(checkout, 'train.py')] + args
sys.path[0] = checkout
def imported():
  mods = {n: getattr(m, '__file__', None) for n, m in list(sys.modules.items())
          if n.split('.')[0] in ('infogan_jax', 'configs')}
  with open(record, 'w') as f:
    json.dump({'modules': mods, 'sys_path': sys.path}, f)
try:
  if mock:
    import tensorflow_datasets as tfds
    with tfds.testing.mock_data(num_examples=mock):
      runpy.run_path(sys.argv[0], run_name='__main__')
  else:
    runpy.run_path(sys.argv[0], run_name='__main__')
finally:
  imported()
'''


def log(*args):
  print(*args, file=sys.stderr, flush=True)


# --- checkouts ---------------------------------------------------------------------------

def git(repo, *args, retries=20):
  """`git -C repo args`; retried while another git holds a lock (index.lock, ...)."""
  for attempt in range(retries):
    p = subprocess.run(['git', '-C', repo, *args], capture_output=True, text=True,
                       env={**os.environ, 'GIT_OPTIONAL_LOCKS': '0'})  # status: no index.lock
    if p.returncode == 0:
      return p.stdout.strip()
    if '.lock' in p.stderr and attempt + 1 < retries:
      time.sleep(0.5)
      continue
    raise RuntimeError(f'git {" ".join(args)} failed: {p.stderr.strip()}')


class Checkouts:
  """The two trees, worktrees made for commits and removed on close."""

  def __init__(self, repo, tmp):
    self.repo, self.tmp, self.worktrees = repo, tmp, []

  def get(self, spec, label):
    """(path, description) for --old/--new: None = the working tree; a folder; a commit."""
    if spec is None:
      head = git(self.repo, 'rev-parse', '--short', 'HEAD')
      dirty = git(self.repo, 'status', '--porcelain', '--untracked-files=no')
      return self.repo, f'working tree {self.repo} (HEAD {head}{", modified" if dirty else ""})'
    if os.path.isdir(spec) and os.path.exists(os.path.join(spec, 'train.py')):
      return os.path.abspath(spec), f'folder {os.path.abspath(spec)}'
    commit = git(self.repo, 'rev-parse', '--verify', spec + '^{commit}')
    path = os.path.join(self.tmp, f'checkout_{label}')
    git(self.repo, 'worktree', 'add', '--detach', path, commit)
    self.worktrees.append(path)
    return path, f'commit {commit[:10]} ({spec}) in worktree {path}'

  def close(self):
    for path in self.worktrees:
      try:
        git(self.repo, 'worktree', 'remove', '--force', path)
      except RuntimeError as e:
        log(f'warning: {e}')
        shutil.rmtree(path, ignore_errors=True)
    try:
      git(self.repo, 'worktree', 'prune')
    except RuntimeError as e:
      log(f'warning: {e}')


def config_names(checkout):
  folder = os.path.join(checkout, 'configs')
  if not os.path.isdir(folder):
    return set()
  return {f[:-3] for f in os.listdir(folder)
          if f.endswith('.py') and f not in NOT_CONFIGS}


def config_dataset(python, checkout, name):
  """The dataset a config trains on, read from its resolved config without importing
  infogan_jax: `configs.<name>.get_config().dataset` in a subprocess (configs import only
  ml_collections and each other). None if that fails."""
  code = ('import importlib, sys; sys.path.insert(0, sys.argv[1]); '
          'c = importlib.import_module("configs." + sys.argv[2]).get_config(); '
          'print(c.dataset)')
  p = subprocess.run([python, '-c', code, checkout, name], capture_output=True,
                     text=True, cwd=checkout, env=clean_env(checkout))
  return p.stdout.strip().splitlines()[-1] if p.returncode == 0 and p.stdout.strip() else None


def clean_env(checkout):
  env = dict(os.environ)
  env['PYTHONPATH'] = checkout           # before site-packages and the editable install
  env['CUDA_VISIBLE_DEVICES'] = ''       # CPU only (XLA_FLAGS stay as they are)
  env['JAX_PLATFORMS'] = 'cpu'
  env['PYTHONHASHSEED'] = '0'
  env['PYTHONDONTWRITEBYTECODE'] = '1'   # leave no __pycache__ in the trees
  env.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  return env


# --- runs --------------------------------------------------------------------------------

def train_args(name, dataset, workdir, args, data_dir):
  a = [f'--config=configs/{name}.py', f'--workdir={workdir}',
       f'--config.num_train_steps={args.steps}', '--config.log_every_steps=1',
       '--config.sample_every_steps=0', f'--config.checkpoint_every_steps={args.steps}',
       f'--config.data_dir={data_dir}']
  if args.batch_size:
    a.append(f'--config.batch_size={args.batch_size}')
  if dataset in MNIST_DATASETS:
    a += [f'--config.manual_dir={args.mnist_dir}', f'--config.data_reader={args.mnist_reader}']
  return a + list(args.override)


def run_train(checkout, name, dataset, workdir, args, data_dir, mock):
  """Trains one config in one checkout; (ok, seconds, message, command)."""
  record = workdir + '.imports.json'
  targs = train_args(name, dataset, workdir, args, data_dir)
  cmd = [args.python, '-c', LAUNCHER, checkout, record, str(MOCK_EXAMPLES if mock else 0),
         *targs]
  shown = f'(cd {checkout} && PYTHONPATH={checkout} python train.py {" ".join(targs)})'
  if args.verbose:
    log('  ' + shown + ('  [under tfds.testing.mock_data]' if mock else ''))
  start = time.time()
  try:
    p = subprocess.run(cmd, cwd=checkout, env=clean_env(checkout), capture_output=True,
                       text=True, timeout=args.timeout)
  except subprocess.TimeoutExpired:
    return False, time.time() - start, f'timed out after {args.timeout}s', shown
  seconds = time.time() - start
  with open(workdir + '.log', 'w') as f:
    f.write(p.stdout + '\n--- stderr ---\n' + p.stderr)
  problem = check_imports(record, checkout)
  if problem:
    return False, seconds, problem, shown
  if p.returncode != 0:
    lines = [l for l in p.stderr.strip().splitlines()
             if l.strip() and not re.match(r'^(WARNING: All log|I0000|W0000)', l)]
    last = lines[-1] if lines else '(no stderr)'
    return False, seconds, f'train.py exited {p.returncode}: {last[:300]}', shown
  return True, seconds, '', shown


def log_tail(path, label, lines=12):
  """The last lines of a failed run's stderr, indented, for the console (the temporary
  folder goes unless --keep)."""
  try:
    with open(path) as f:
      text = f.read().split('\n--- stderr ---\n')[-1]
  except OSError:
    return f'    ({label}: no log)'
  tail = [l for l in text.rstrip().splitlines() if l.strip()][-lines:]
  return '\n'.join([f'    --- {label}: last lines of stderr'] + ['    | ' + l for l in tail])


def check_imports(record, checkout):
  """'' if every infogan_jax/configs module the run imported lies in `checkout`."""
  try:
    with open(record) as f:
      modules = json.load(f)['modules']
  except (OSError, ValueError):
    return 'the launcher recorded no imports'
  if 'infogan_jax' not in modules:
    return 'the run did not import infogan_jax'
  root = os.path.realpath(checkout) + os.sep
  wrong = {n: f for n, f in modules.items()
           if f is not None and not os.path.realpath(f).startswith(root)}
  if wrong:
    n, f = sorted(wrong.items())[0]
    return f'the run imported {n} from {f}, outside the checkout {checkout}'
  return ''


# --- results -----------------------------------------------------------------------------

def latest_checkpoints(workdir):
  """{location: (step, {item name: folder})} of each checkpoints/ folder under workdir (''
  for the run itself, 'seed_<n>/' for a num_seeds run's seeds). The items are the step's
  subfolders orbax wrote (those with a _METADATA, e.g. default/); one item is named '' so
  that a checkout naming its single item otherwise still compares leaf by leaf."""
  found = {}
  for root, dirs, _ in os.walk(workdir):
    rel = os.path.relpath(root, workdir)
    if rel.split(os.sep)[0].startswith('replaced_'):
      continue
    if os.path.basename(root) == 'checkpoints':
      steps = [int(d) for d in dirs if d.isdigit()]
      if steps:
        step = max(steps)
        step_dir = os.path.join(root, str(step))
        items = {d: os.path.join(step_dir, d) for d in sorted(os.listdir(step_dir))
                 if os.path.exists(os.path.join(step_dir, d, '_METADATA'))}
        if len(items) <= 1:
          items = {'': items.popitem()[1] if items else step_dir}
        loc = os.path.relpath(os.path.dirname(root), workdir)
        found['' if loc == '.' else loc + '/'] = (step, items)
      dirs[:] = []
  return found


def restore_raw(path):
  """A checkpoint item restored without a target: {key path: np.ndarray}."""
  import numpy as np
  import jax
  import orbax.checkpoint as ocp
  errors = []
  for make in (ocp.StandardCheckpointer, ocp.PyTreeCheckpointer):
    ckptr = make()
    try:
      tree = ckptr.restore(path)
      break
    except Exception as e:  # the next checkpointer, then give up
      errors.append(f'{make.__name__}: {type(e).__name__}: {e}')
    finally:
      if hasattr(ckptr, 'close'):
        ckptr.close()
  else:
    raise RuntimeError(f'cannot restore {path}: ' + '; '.join(errors))
  leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
  return {jax.tree_util.keystr(k): np.asarray(v) for k, v in leaves}


def group_of(key):
  """'seed_0/d_params' for "seed_0/['d_params']['Conv_0']['kernel']"."""
  loc, _, rest = key.rpartition('|')
  m = re.match(r"^\[(?:'([^']*)'|([^\]]*))\]", rest)
  head = (m.group(1) or m.group(2)) if m else rest
  return loc + head


def compare_arrays(old, new, atol):
  """(summary, n_arrays, any_diff, all_within_atol)"""
  import numpy as np
  parts, within = [], True
  only_old, only_new = sorted(set(old) - set(new)), sorted(set(new) - set(old))
  groups = {}
  for key in sorted(set(old) & set(new)):
    a, b = old[key], new[key]
    g = groups.setdefault(group_of(key), {'n': 0, 'diff': 0, 'max': 0.0, 'mismatch': 0})
    g['n'] += 1
    if a.shape != b.shape or a.dtype != b.dtype:
      g['mismatch'] += 1
      g['diff'] += 1
      continue
    if np.array_equal(a, b, equal_nan=a.dtype.kind in 'fc'):
      continue
    g['diff'] += 1
    if a.dtype.kind in 'fciub':
      d = np.abs(a.astype(np.float64) - b.astype(np.float64))
      d = np.where(np.isnan(d), np.inf, d)
      g['max'] = max(g['max'], float(d.max()) if d.size else 0.0)
    else:
      g['max'] = math.inf
  for name, g in groups.items():
    if g['diff']:
      txt = f'{name} max|d|={g["max"]:.3g} ({g["diff"]}/{g["n"]} leaves)'
      if g['mismatch']:
        txt += f', {g["mismatch"]} of other shape/dtype'
      parts.append(txt)
      within &= (g['mismatch'] == 0 and g['max'] <= atol)
  for label, keys in (('only in old', only_old), ('only in new', only_new)):
    if keys:
      within = False
      shown = sorted({group_of(k) for k in keys})
      parts.append(f'{label}: {len(keys)} leaves ({", ".join(shown)}; e.g. '
                   f'{keys[0].replace("|", "")})')
  return '; '.join(parts), len(set(old) | set(new)), bool(parts), within


def read_metrics(path):
  """{step: record} of a metrics.jsonl (a repeated step keeps its last record)."""
  out = {}
  if not os.path.exists(path):
    return out
  with open(path) as f:
    for line in f:
      line = line.strip()
      if line:
        try:
          rec = json.loads(line)
        except ValueError:
          continue
        out[rec.get('step')] = rec
  return out


def metrics_files(workdir):
  found = {}
  for root, dirs, files in os.walk(workdir):
    rel = os.path.relpath(root, workdir)
    dirs[:] = [d for d in dirs if not d.startswith(('replaced_', 'checkpoints'))]
    if 'metrics.jsonl' in files:
      found['' if rel == '.' else rel + '/'] = os.path.join(root, 'metrics.jsonl')
  return found


def same_value(a, b):
  if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
    return True
  return a == b


def compare_metrics(old_dir, new_dir, ignore, atol):
  """(summary, n_steps, n_keys, any_diff, all_within_atol)"""
  parts, within, n_steps, keys_seen = [], True, 0, set()
  fo, fn = metrics_files(old_dir), metrics_files(new_dir)
  for loc in sorted(set(fo) | set(fn)):
    if loc not in fn or loc not in fo:
      parts.append(f'{loc}metrics.jsonl only in {"old" if loc in fo else "new"}')
      within = False
      continue
    mo, mn = read_metrics(fo[loc]), read_metrics(fn[loc])
    steps_o, steps_n = set(mo), set(mn)
    n_steps = max(n_steps, len(steps_o | steps_n))
    if steps_o != steps_n:
      within = False
      parts.append(f'{loc}logged steps differ (only old: {sorted(steps_o - steps_n)}, '
                   f'only new: {sorted(steps_n - steps_o)})')
    differ, only_o, only_n = {}, set(), set()
    for step in sorted(steps_o & steps_n):
      ro, rn = mo[step], mn[step]
      ko = {k for k in ro if k != 'step' and k not in ignore}
      kn = {k for k in rn if k != 'step' and k not in ignore}
      keys_seen |= ko | kn
      only_o |= ko - kn
      only_n |= kn - ko
      for k in ko & kn:
        if not same_value(ro[k], rn[k]):
          d = differ.setdefault(k, {'steps': [], 'max': 0.0})
          d['steps'].append(step)
          try:
            diff = abs(float(ro[k]) - float(rn[k]))
            diff = math.inf if math.isnan(diff) else diff
          except (TypeError, ValueError):
            diff = math.inf
          d['max'] = max(d['max'], diff)
    if differ:
      txt = ', '.join(f'{k}(steps {_ranges(d["steps"])}, max|d|={d["max"]:.3g})'
                      for k, d in sorted(differ.items()))
      parts.append(f'{loc}metrics differ: {txt}')
      within &= all(d['max'] <= atol for d in differ.values())
    if only_o:
      parts.append(f'{loc}metrics only in old: {", ".join(sorted(only_o))}')
      within = False
    if only_n:
      parts.append(f'{loc}metrics only in new: {", ".join(sorted(only_n))}')
      within = False
  if not fo and not fn:
    parts.append('no metrics.jsonl on either side')
    within = False
  return '; '.join(parts), n_steps, len(keys_seen), bool(parts), within


def _ranges(steps):
  steps, out, i = sorted(steps), [], 0
  while i < len(steps):
    j = i
    while j + 1 < len(steps) and steps[j + 1] == steps[j] + 1:
      j += 1
    out.append(str(steps[i]) if i == j else f'{steps[i]}-{steps[j]}')
    i = j + 1
  return ','.join(out)


def compare_config_json(old_dir, new_dir):
  """Informational: the resolved config.json fields that differ (not a failure)."""
  def flat(d):   # {'a': {'b': 1}} -> {'a.b': 1}
    out, pending = {}, [('', d)]
    while pending:
      prefix, group = pending.pop()
      for k, v in group.items():
        if isinstance(v, dict):
          pending.append((f'{prefix}{k}.', v))
        else:
          out[prefix + k] = v
    return out
  try:
    with open(os.path.join(old_dir, 'config.json')) as f:
      a = flat(json.load(f))
    with open(os.path.join(new_dir, 'config.json')) as f:
      b = flat(json.load(f))
  except (OSError, ValueError):
    return ''
  diff = sorted(k for k in set(a) | set(b)
                if k not in ('data_dir', 'manual_dir') and a.get(k, '<absent>') != b.get(k, '<absent>'))
  return ', '.join(diff[:8]) + (' ...' if len(diff) > 8 else '')


def compare_runs(old_dir, new_dir, args):
  """(status, detail): status 'bitwise' | 'close' | 'DIFFERS'."""
  co, cn = latest_checkpoints(old_dir), latest_checkpoints(new_dir)
  parts, within = [], True
  if not co or not cn:
    return 'DIFFERS', f'no checkpoint in {"old" if not co else "new"}'
  flat_o, flat_n = {}, {}
  for side, found, flat in (('old', co, flat_o), ('new', cn, flat_n)):
    for loc, (step, items) in found.items():
      if step != args.steps:
        parts.append(f'{side} {loc}checkpoint at step {step}, not {args.steps}')
        within = False
      for item, folder in items.items():
        prefix = f'{loc}{item}/' if item else loc
        flat.update({f'{prefix}|{k}': v for k, v in restore_raw(folder).items()})
  arr_txt, n_arrays, arr_diff, arr_within = compare_arrays(flat_o, flat_n, args.atol)
  met_txt, n_steps, n_keys, met_diff, met_within = compare_metrics(
      old_dir, new_dir, set(TIMING_METRICS) | set(args.ignore_metric), args.atol)
  if arr_diff:
    parts.append('arrays: ' + arr_txt)
  if met_diff:
    parts.append(met_txt)
  seeds = f', {len(co)} seeds' if len(co) > 1 else ''
  counts = f'({n_arrays} arrays{seeds}, {n_steps} logged steps x {n_keys} metrics)'
  if not parts:
    return 'bitwise', counts
  within = within and arr_within and met_within
  return ('close' if within else 'DIFFERS'), '; '.join(parts)


# --- main --------------------------------------------------------------------------------

def parse_args(argv):
  p = argparse.ArgumentParser(
      description=__doc__.split('\n\n')[0] + ' Trains every config (or --configs) a few '
      'steps on CPU in an OLD and a NEW checkout from the same seed, then compares the final '
      'checkpoints (parameters, optimizer states, batch statistics: every leaf, bitwise) and '
      'metrics.jsonl (every key at every step). One line per config: bitwise, or what '
      'differs. Exit status 1 if any config differs or fails (but those in --allow).',
      epilog='Example: python scripts/compare_checkouts.py --configs mnist ring8 --steps 4. '
      'See the module docstring for the exact train.py command line and the data used.',
      formatter_class=argparse.ArgumentDefaultsHelpFormatter)
  p.add_argument('--old', default=DEFAULT_OLD,
                 help='OLD side: a commit (checked out in a temporary git worktree) or a folder')
  p.add_argument('--new', default=None,
                 help='NEW side: a commit or a folder; default: the working tree of the '
                 'repository holding this script, uncommitted changes included')
  p.add_argument('--configs', nargs='+', default=None, metavar='NAME',
                 help='configs to run (names of configs/<name>.py); default: all')
  p.add_argument('--steps', type=int, default=6, help='training steps per run')
  p.add_argument('--batch-size', type=int, default=16,
                 help='--config.batch_size for every run; 0 keeps each config\'s own')
  p.add_argument('--mnist-dir', default=MNIST_ARCHIVES,
                 help='folder with the four MNIST archives (--config.manual_dir)')
  p.add_argument('--mnist-reader', default='archives', choices=('archives', 'tfds'),
                 help='--config.data_reader for MNIST configs: archives (numpy; batches on '
                 'the device) or tfds (prepared once from the archives; a tf.data stream)')
  p.add_argument('--no-mock-tfds', dest='mock_tfds', action='store_false',
                 help='report svhn/celeba configs as skipped instead of training them on '
                 'tfds.testing.mock_data')
  p.add_argument('--override', action='append', default=[], metavar='FLAG',
                 help='an extra train.py flag for every run (repeatable), given with =, e.g. '
                 '--override=--config.steps_per_dispatch=2')
  p.add_argument('--ignore-metric', action='append', default=[], metavar='KEY',
                 help=f'a metrics.jsonl key not to compare (always ignored: {TIMING_METRICS})')
  p.add_argument('--atol', type=float, default=0.0,
                 help='differences at most this large report "close" and pass')
  p.add_argument('--allow', action='append', default=[], metavar='CONFIG',
                 help='a config whose difference is expected: reported, not a failure')
  p.add_argument('--timeout', type=int, default=300, help='seconds per train.py run')
  p.add_argument('--python', default=sys.executable, help='interpreter for the runs')
  p.add_argument('--keep', action='store_true',
                 help='keep the temporary folder (workdirs, run logs) and print its path')
  p.add_argument('--verbose', '-v', action='store_true', help='print each train.py command')
  args = p.parse_args(argv)
  if args.steps < 1:
    p.error('--steps must be >= 1')
  return args


def main(argv=None):
  args = parse_args(argv)
  t0 = time.time()
  os.environ['JAX_PLATFORMS'] = 'cpu'   # this process restores the checkpoints on the CPU
  repo = git(os.path.dirname(os.path.abspath(__file__)), 'rev-parse', '--show-toplevel')
  tmp = tempfile.mkdtemp(prefix='compare_checkouts.')
  checkouts = Checkouts(repo, tmp)
  results = {}
  try:
    old, old_desc = checkouts.get(args.old, 'old')
    new, new_desc = checkouts.get(args.new, 'new')
    print(f'OLD: {old_desc}\nNEW: {new_desc}', flush=True)
    names_old, names_new = config_names(old), config_names(new)
    names = sorted(names_old | names_new)
    if args.configs:
      unknown = sorted(set(args.configs) - set(names))
      if unknown:
        log(f'error: no such config(s) in either checkout: {", ".join(unknown)}; '
            f'known: {", ".join(names)}')
        return 2
      names = [n for n in names if n in args.configs]
    batch = args.batch_size or "each config's"
    print(f'{len(names)} configs, {args.steps} steps, batch {batch}, CPU\n', flush=True)
    data_dir = os.path.join(tmp, 'tfds')   # empty but for MNIST prepared with --mnist-reader=tfds
    os.makedirs(data_dir)
    width = max(len(n) for n in names) + 2
    for name in names:
      if name not in names_old or name not in names_new:
        side = 'old' if name in names_old else 'new'
        results[name] = ('only', f'configs/{name}.py only in {side}')
        print(f'{name:<{width}} only in {side}', flush=True)
        continue
      dataset = (config_dataset(args.python, new, name)
                 or config_dataset(args.python, old, name))
      note = ''
      mock = dataset in MOCK_DATASETS
      if mock and not args.mock_tfds:
        results[name] = ('skipped', f'dataset {dataset!r} not available offline')
        print(f'{name:<{width}} skipped: dataset {dataset!r} not available offline', flush=True)
        continue
      if mock:
        note = f'  [{dataset}: tfds.testing.mock_data random examples, not offline]'
      times, failed, tails = {}, [], []
      for side, checkout in (('old', old), ('new', new)):
        workdir = os.path.join(tmp, f'{name}.{side}')
        ok, seconds, msg, shown = run_train(checkout, name, dataset, workdir, args, data_dir, mock)
        times[side] = seconds
        if not ok:
          failed.append(f'{side}: {msg}' + (f' (log: {workdir}.log)' if args.keep else ''))
          tails.append(log_tail(workdir + '.log', f'{name} {side}'))
      timing = f'old {times["old"]:.0f}s new {times["new"]:.0f}s'
      if failed:
        status, detail = 'ERROR', '; '.join(failed)
      else:
        try:
          status, detail = compare_runs(os.path.join(tmp, f'{name}.old'),
                                        os.path.join(tmp, f'{name}.new'), args)
        except Exception as e:  # a checkpoint that cannot be read: say so, go on
          status, detail = 'ERROR', f'comparing: {type(e).__name__}: {e}'
        cfg = compare_config_json(os.path.join(tmp, f'{name}.old'),
                                  os.path.join(tmp, f'{name}.new'))
        if cfg:
          detail += f'  [config.json differs (informational): {cfg}]'
      if status != 'bitwise' and name in args.allow:
        status += ' (allowed)'
      results[name] = (status, detail)
      print(f'{name:<{width}} {status:<8} {detail}{note}  {timing}', flush=True)
      for tail in tails:
        log(tail)
  except KeyboardInterrupt:
    log('interrupted')
    return 130
  finally:
    checkouts.close()
    if args.keep:
      log(f'kept: {tmp}')
    else:
      shutil.rmtree(tmp, ignore_errors=True)
  assert not any(m.split('.')[0] == 'infogan_jax' for m in sys.modules), \
      'the comparison imported infogan_jax: it must read the checkpoints raw'
  counts = {}
  for status, _ in results.values():
    key = status.split(' ')[0]
    counts[key] = counts.get(key, 0) + 1
  failing = [n for n, (s, _) in results.items()
             if s.split(' ')[0] in ('DIFFERS', 'ERROR') and n not in args.allow]
  summary = ', '.join(f'{v} {k}' for k, v in sorted(counts.items()))
  print(f'\nsummary: {summary}; {time.time() - t0:.0f}s wall', flush=True)
  if failing:
    print(f'FAIL: {", ".join(failing)}', flush=True)
    return 1
  print('OK: every config compared trains the same' +
        (' (within --atol)' if counts.get('close') else ''), flush=True)
  return 0


if __name__ == '__main__':
  sys.exit(main())
