"""Where training scalars go: a console line, TensorBoard events, and metrics.jsonl.

The JSON-lines file (one object per logged step) is what eval.py reads back for the
training curves; the TensorBoard events are for people (`tensorboard --logdir <workdir>`).
They are written with the `tensorboard` package's own writer (no TensorFlow); without
that package they are off, and the logger says so once.
"""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Dict

from infogan_jax.data import input_pipeline
from infogan_jax.training import workdir as workdir_lib


class _EventWriter:
  """TensorBoard scalars through the tensorboard package (no TensorFlow needed)."""

  def __init__(self, logdir: str):
    if input_pipeline.tensorflow_installed():
      # The tensorboard package then does its file I/O through TensorFlow, which would
      # also claim every GPU: import it the way the data pipeline does, off accelerators.
      input_pipeline.tensorflow()
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    self._event, self._summary = event_pb2.Event, summary_pb2.Summary
    self._writer = EventFileWriter(logdir)

  def scalars(self, step: int, values: Dict[str, float]) -> None:
    summary = self._summary(value=[self._summary.Value(tag=k, simple_value=v)
                                   for k, v in values.items()])
    self._writer.add_event(self._event(wall_time=time.time(), step=step, summary=summary))
    self._writer.flush()

  def close(self) -> None:
    self._writer.close()


class MetricLogger:

  def __init__(self, workdir: str, enabled: bool = True, tensorboard: bool = True,
               label: str = ''):
    self.enabled, self.label = enabled, label   # label: what the console line starts with
    self._writer = None
    self._jsonl = None
    if not enabled:
      return
    os.makedirs(workdir, exist_ok=True)
    _drop_partial_last_line(workdir_lib.metrics_path(workdir))
    self._jsonl = open(workdir_lib.metrics_path(workdir), 'a',
                       opener=workdir_lib.open_no_link)   # never through a planted link
    if tensorboard:
      workdir_lib.check_folder(workdir_lib.tensorboard_dir(workdir))
      try:
        self._writer = _EventWriter(workdir_lib.tensorboard_dir(workdir))
      except ImportError:
        print('TensorBoard events are off: the tensorboard package is not installed '
              f'(pip install tensorboard); {workdir_lib.metrics_path(workdir)} holds every '
              'scalar.', flush=True)

  def write(self, step: int, scalars: Dict[str, float], steps_per_sec: float = None) -> None:
    if not self.enabled:
      return
    record = {'step': int(step), **{k: float(v) for k, v in scalars.items()}}
    if steps_per_sec is not None:
      record['steps_per_sec'] = float(steps_per_sec)
    try:   # the whole record in one write
      self._jsonl.write(json.dumps(record) + '\n')
      self._jsonl.flush()
    except OSError as e:   # a full disk: name the file (the resumed run drops a cut line)
      raise OSError(e.errno, e.strerror, self._jsonl.name) from e
    if self._writer is not None:
      self._writer.scalars(int(step), {k: v for k, v in record.items() if k != 'step'})
    mi = ' '.join(f'{k[3:]}={v:.3f}' for k, v in scalars.items() if k.startswith('mi/'))
    vae = (f' | KL={scalars["vae/kl"]:.2f} recon={scalars["vae/reconstruction"]:.1f}'
           if 'vae/kl' in scalars else '')
    if 'cycle' in scalars:   # CycleGAN: no codes; its cycle and identity L1 instead
      mi, vae = '', f' cycle={scalars["cycle"]:.3f} identity={scalars["identity"]:.3f}'
    info = f'L_I(nats) {mi}{vae}' if mi or not vae else vae.strip(' |')
    rate = f' {steps_per_sec:.2f} steps/s' if steps_per_sec else ''
    print(f'{self.label}step {step:>6}{rate} | d_loss={scalars["d_loss"]:.3f} '
          f'g_loss={scalars["g_loss"]:.3f} | {info} | '
          f'D(real)={scalars["d_real"]:.2f} D(fake)={scalars["d_fake"]:.2f}',
          file=sys.stdout, flush=True)

  def close(self):
    jsonl, self._jsonl = self._jsonl, None
    if jsonl is not None:
      try:
        jsonl.close()
      except OSError as e:   # what a failed write left in the buffer: still the disk
        raise OSError(e.errno, e.strerror, jsonl.name) from e
    if self._writer is not None:
      self._writer.close()


def _drop_partial_last_line(path: str) -> None:
  """A run killed while writing a record leaves a line without its newline: cut it, so
  that the resumed run's records start on a line of their own. (Its step comes again: a
  record is written before the checkpoint of its step.)"""
  if not os.path.exists(path):
    return
  with open(path, 'rb+', opener=workdir_lib.open_no_link) as f:
    data = f.read()
    if data and not data.endswith(b'\n'):
      f.truncate(data.rfind(b'\n') + 1)


def read_metrics(workdir: str):
  """The records of <workdir>/metrics.jsonl; a resumed run's repeated steps keep the last.
  A line that is not a record (damaged) is skipped, with one warning naming the lines."""
  by_step, bad = {}, []
  path = workdir_lib.metrics_path(workdir)
  with open(path) as f:
    for number, line in enumerate(f, start=1):
      if not line.strip():
        continue
      try:
        record = json.loads(line)
        by_step[int(record['step'])] = record
      except (ValueError, KeyError, TypeError):
        bad.append(number)
  if bad:
    print(f'Warning: skipped {len(bad)} damaged line(s) of {path} (line '
          f'{", ".join(map(str, bad[:10]))}{", ..." if len(bad) > 10 else ""})',
          file=sys.stderr, flush=True)
  return [by_step[s] for s in sorted(by_step)]
