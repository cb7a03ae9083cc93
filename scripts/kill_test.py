"""Kill a training run with SIGKILL at random moments, re-run the same command each time,
and check that nothing is lost.

    python scripts/kill_test.py [--trials=10] [--seed=0] [--root=/tmp/kill_test]

The run is `python train.py --config=configs/ring8.py` with a checkpoint every 25 steps.
Trials cycle through three kinds of moment: during start-up (a random time in the first
3.5 s: imports, restore, compilation), at a random time (0-0.5 s) after the run has
completed a checkpoint of its own, and as soon as the run's next checkpoint save is in
progress (its `<step>.orbax-checkpoint-tmp` folder exists). Checked:

- every re-run resumes from the last *complete* checkpoint on disk (the highest step
  folder without the orbax tmp suffix); a half-written save is never picked up and is
  removed by the next run;
- the run that finally completes ends with exactly the parameters, statistics and
  optimizer states of an uninterrupted run of the same command (bitwise: CPU, fp32, the
  step RNG is a function of (seed, step) and the data stream skips `step` batches);
- metrics.jsonl stays readable line by line.

Prints one line per trial (when the kill landed, what was on disk, which step the next
run resumed from) and raises AssertionError on any violation. tests/test_reliability.py
runs it.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)   # this checkout's infogan_jax, also when run as a script
from infogan_jax.training import workdir as workdir_lib  # noqa: E402
from infogan_jax.training.checkpointing import UNFINISHED_SUFFIX  # noqa: E402
STEPS, EVERY = 600, 25


def command(workdir):
  return [sys.executable, 'train.py', '--config=configs/ring8.py', f'--workdir={workdir}',
          f'--config.num_train_steps={STEPS}', f'--config.checkpoint_every_steps={EVERY}',
          '--config.log_every_steps=50', '--config.sample_every_steps=0',
          '--config.keep_checkpoints=3']


def environment(cache_dir):
  env = dict(os.environ)
  env.update({
      'PYTHONUNBUFFERED': '1', 'TF_CPP_MIN_LOG_LEVEL': '2', 'CUDA_VISIBLE_DEVICES': '',
      'JAX_PLATFORMS': 'cpu',
      # A shared compilation cache: start-up in ~5 s instead of ~12 s. The same compiled
      # programs serve the reference and the interrupted runs.
      'JAX_COMPILATION_CACHE_DIR': cache_dir,
      'JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS': '0',
      'JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES': '-1',
  })
  return env


def on_disk(workdir):
  """(complete steps, unfinished tmp folders) in workdir/checkpoints."""
  directory = workdir_lib.checkpoint_dir(workdir)
  names = os.listdir(directory) if os.path.isdir(directory) else []
  complete = sorted(int(n) for n in names if n.isdigit())
  unfinished = sorted(n for n in names if UNFINISHED_SUFFIX in n)
  return complete, unfinished


def resumed_from(output: str):
  """The step a run started from, or None if it was killed before deciding."""
  m = re.search(r'Resuming from checkpoint at step (\d+)', output)
  if m:
    return int(m.group(1))
  m = re.search(r'Training steps (\d+)\.\.', output)
  return int(m.group(1)) if m else None


def _read(path):
  with open(path, errors='replace') as f:
    return f.read()


def run_to_end(workdir, env, log_path, timeout=300):
  with open(log_path, 'w') as out:
    proc = subprocess.run(command(workdir), cwd=ROOT, env=env, stdout=out,
                          stderr=subprocess.STDOUT, timeout=timeout)
  output = _read(log_path)
  assert proc.returncode == 0, f'run failed ({proc.returncode}):\n{output[-3000:]}'
  return output


def kill_trial(workdir, env, log_path, kind, rng):
  """Starts the command, SIGKILLs it at a moment of the given kind; returns a record."""
  with open(log_path, 'w') as out:
    proc = subprocess.Popen(command(workdir), cwd=ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT)
  start = time.perf_counter()
  before = on_disk(workdir)[0]
  last_before = before[-1] if before else 0
  loop_started = saved_own = None
  deadline = start + 120
  target = start + rng.uniform(0.3, 3.5) if kind == 'startup' else None
  while proc.poll() is None and time.perf_counter() < deadline:
    now = time.perf_counter()
    if kind == 'startup':
      if now >= target:
        break
      time.sleep(0.01)
      continue
    if loop_started is None and 'Training steps' in _read(log_path):
      loop_started = now
    complete, unfinished = on_disk(workdir)
    if saved_own is None and complete and complete[-1] > last_before:
      saved_own = now  # this run has written a checkpoint of its own
      if kind == 'training':
        target = now + rng.uniform(0.0, 0.5)
    if kind == 'training' and target is not None and now >= target:
      break
    if kind == 'save' and saved_own is not None and unfinished:
      break
    time.sleep(0.001 if saved_own else 0.01)
  killed_at = time.perf_counter()
  finished_first = proc.poll() is not None
  if not finished_first:
    proc.kill()  # SIGKILL, this process only
  proc.wait()
  complete, unfinished = on_disk(workdir)
  output = _read(log_path)
  if kind == 'startup':
    phase = 'in the training loop' if 'Training steps' in output else 'during start-up'
  elif kind == 'training':
    phase = f'{killed_at - saved_own:.3f} s after its first checkpoint'
  else:
    phase = 'while a save was in progress'
  return {
      'kind': kind, 'finished_before_kill': finished_first,
      'killed_after_s': round(killed_at - start, 2), 'phase': phase,
      'complete_after': complete, 'unfinished_after': unfinished,
      'resumed_from': resumed_from(output),
      'removed_tmp': [os.path.basename(p) for p in re.findall(r'Removed (\S+):', output)],
  }


def compare_final(workdir_a, workdir_b, step):
  """Every array of the two step-`step` checkpoints, bitwise."""
  import numpy as np
  import orbax.checkpoint as ocp
  import jax
  trees = []
  for w in (workdir_a, workdir_b):
    with ocp.StandardCheckpointer() as ckptr:
      trees.append(ckptr.restore(os.path.join(workdir_lib.checkpoint_dir(w), str(step),
                                              'default')))
  leaves_a = jax.tree_util.tree_leaves_with_path(trees[0])
  leaves_b = jax.tree_util.tree_leaves_with_path(trees[1])
  assert [k for k, _ in leaves_a] == [k for k, _ in leaves_b]
  for (key, a), (_, b) in zip(leaves_a, leaves_b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, jax.tree_util.keystr(key)
    assert a.tobytes() == b.tobytes(), f'{jax.tree_util.keystr(key)} differs'
  return len(leaves_a)


def main(trials=10, seed=0, root=None, verbose=True, cache_dir=None):
  say = print if verbose else (lambda *a, **k: None)
  rng = random.Random(seed)
  root = root or tempfile.mkdtemp(prefix='kill_test_')
  os.makedirs(root, exist_ok=True)
  env = environment(cache_dir or os.path.join(root, 'jax_cache'))
  ref, work = os.path.join(root, 'uninterrupted'), os.path.join(root, 'killed')
  for d in (ref, work):
    shutil.rmtree(d, ignore_errors=True)
  t0 = time.perf_counter()
  # The uninterrupted run goes on beside the trials (it has a core of its own on most
  # machines; where the kills land is random anyway).
  ref_log = open(os.path.join(root, 'uninterrupted.log'), 'w')
  reference = subprocess.Popen(command(ref), cwd=ROOT, env=env, stdout=ref_log,
                               stderr=subprocess.STDOUT)

  kinds = ['startup', 'training', 'save', 'training', 'save']
  records = []
  for i in range(trials):
    kind = kinds[i % len(kinds)]
    before, _ = on_disk(work)
    expected = before[-1] if before else 0
    rec = kill_trial(work, env, os.path.join(root, f'trial_{i}.log'), kind, rng)
    rec['expected_resume'] = expected
    records.append(rec)
    say(f'trial {i:2d} [{kind:8s}] last complete checkpoint {expected:3d}; run resumed from '
        + (f'{rec["resumed_from"]:3d}' if rec['resumed_from'] is not None else '  -')
        + (f' (removed {rec["removed_tmp"]})' if rec['removed_tmp'] else '')
        + f'; SIGKILL {rec["killed_after_s"]:5.2f} s after launch, {rec["phase"]}'
        + f'; left complete {rec["complete_after"]}'
        + (f', unfinished {rec["unfinished_after"]}' if rec['unfinished_after'] else ''))
    assert not rec['finished_before_kill'], 'the run finished before it could be killed'
    if rec['resumed_from'] is not None:
      assert rec['resumed_from'] == expected, rec

  try:
    reference.wait(timeout=300)
  finally:
    reference.kill()
    ref_log.close()
  assert reference.returncode == 0, _read(ref_log.name)[-3000:]
  say(f'uninterrupted run of {STEPS} steps done ({time.perf_counter() - t0:.1f} s in)')

  before, unfinished_before = on_disk(work)
  last = before[-1] if before else 0
  final_log = os.path.join(root, 'final.log')
  output = run_to_end(work, env, final_log)
  final_resume = resumed_from(output)
  say(f'final run resumed from step {final_resume} (last complete: {last}'
      + (f', unfinished {unfinished_before} ignored and removed' if unfinished_before else '')
      + ') and ran to the end')
  assert final_resume == last
  for name in unfinished_before:
    assert name.split('.')[0] != str(final_resume)
    assert any(name in r for r in re.findall(r'Removed (\S+):', output)), name
  assert on_disk(work)[1] == [], 'unfinished saves left behind'

  n = compare_final(ref, work, STEPS)
  say(f'final checkpoint (step {STEPS}): all {n} arrays bitwise equal to the '
      'uninterrupted run')
  with open(workdir_lib.metrics_path(work)) as f:
    records_logged = [json.loads(line) for line in f if line.strip()]
  assert records_logged and records_logged[-1]['step'] == STEPS
  mid_save_kills = sum(1 for r in records if r['unfinished_after'])
  say(f'{len(records)} kills, {mid_save_kills} left an unfinished save behind; '
      f'{time.perf_counter() - t0:.1f} s in all')
  return {'trials': records, 'final_resume': final_resume, 'mid_save_kills': mid_save_kills}


if __name__ == '__main__':
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--trials', type=int, default=10)
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--root', default=None)
  args = parser.parse_args()
  main(args.trials, args.seed, args.root)
