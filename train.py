"""Train InfoGAN.

    python train.py --config=configs/mnist.py --workdir=runs/mnist [--config.num_train_steps=N]

Re-running the same command on the same workdir resumes from its last checkpoint; a
workdir holding a run of another config is refused unless --restart is given (the old
run is then moved to <workdir>/replaced_<time>/). SIGTERM or Ctrl-C saves a checkpoint
at the current step and exits 0. Problems the user can fix end with a one-line message
on stderr and exit status 2 (config, data) or 1 (workdir, checkpoints, NaN/Inf).

Every local device is used. On several hosts, run the same command on each with
--coordinator_address=HOST0:PORT --num_processes=N --process_id=I (or under srun /
mpirun, or with --distributed on Cloud TPU pods): see README.md, "Multiple devices and
hosts".
"""
import os
import sys

from absl import app, flags, logging
from ml_collections import config_flags

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Path to a config file (configs/*.py).',
                                lock_config=True)
flags.DEFINE_string('workdir', None, 'Where checkpoints, logs and samples go.')
flags.mark_flags_as_required(['config', 'workdir'])
flags.DEFINE_bool('restart', False,
                  'Start over in a workdir that already holds a run: the old run (checkpoints, '
                  'logs, samples, config.json) is moved to <workdir>/replaced_<time>/.')
flags.DEFINE_string('coordinator_address', None,
                    'Several processes: host:port of process 0, where the JAX coordinator '
                    'listens (same on every process). Default: $JAX_COORDINATOR_ADDRESS or '
                    'auto-detected (Slurm, Open MPI, Cloud TPU).')
flags.DEFINE_integer('num_processes', None, 'Several processes: how many in total.')
flags.DEFINE_integer('process_id', None, 'Several processes: this one, 0..num_processes-1.')
flags.DEFINE_bool('distributed', None,
                  'Start jax.distributed. Default: when any of the three flags above is '
                  'given or a multi-process launcher (srun, mpirun, JAX_COORDINATOR_ADDRESS) '
                  'is detected; --distributed forces it (Cloud TPU pods, Kubernetes), '
                  '--nodistributed disables it.')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  logging.set_verbosity(logging.WARNING)  # orbax logs every file it renames at INFO
  from infogan_jax import parallel  # jax.distributed must start before any device use
  try:
    parallel.initialize_distributed(FLAGS.coordinator_address, FLAGS.num_processes,
                                    FLAGS.process_id, enable=FLAGS.distributed)
  except (ValueError, TypeError) as e:  # e.g. --num_processes without --process_id
    raise app.UsageError(f'Cannot start jax.distributed: {e}', exitcode=2) from None
  from infogan_jax import trainer  # after flag parsing: keeps --help fast
  from infogan_jax.checkpointing import CheckpointError, CheckpointMismatchError
  from infogan_jax.config_validation import ConfigError
  from infogan_jax.input_pipeline import DatasetUnavailableError
  from infogan_jax.reliability import TrainingError
  try:
    trainer.train_and_evaluate(FLAGS.config, FLAGS.workdir, restart=FLAGS.restart)
  except (ConfigError, DatasetUnavailableError) as e:
    raise app.UsageError(str(e), exitcode=2) from None
  except (TrainingError, CheckpointError, CheckpointMismatchError) as e:
    message = f'train.py: error: {e}\n'
    if _AS_SCRIPT:
      # After a failed save, orbax/tensorstore threads may still print tracebacks, even
      # while we print (seen in CI). Silence stderr for everyone else, write the message
      # last on the real stderr, and end here. Nothing is left to clean up: completed
      # checkpoints are in place, logs are closed. The message starts on a new line: a
      # thread may have written half a line ("RuntimeError: ") before the silencing.
      sys.stdout.flush()
      sys.stderr.flush()
      real_stderr = os.dup(2)
      os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
      os.write(real_stderr, b'\n' + message.encode())
      os._exit(1)
    sys.stderr.write(message)
    sys.exit(1)


_AS_SCRIPT = False

if __name__ == '__main__':
  _AS_SCRIPT = True
  app.run(main)
