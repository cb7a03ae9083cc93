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
# First of all: from here on SIGTERM and Ctrl-C ask the run to stop (it stops before its
# first step if they come during start-up) instead of ending the process mid-import.
from infogan_jax.training import stop_signals
STOP = stop_signals.StopSignals().__enter__()
# Then, before JAX starts a thread: glibc's malloc keeps freed memory (no page faults per step
# on a CPU; training/host_memory.py), unless tcmalloc is preloaded.
from infogan_jax.training import host_memory  # noqa: E402
HEAP_KEPT = host_memory.keep_freed_memory()

from absl import app, flags, logging  # noqa: E402
from ml_collections import config_flags  # noqa: E402

from infogan_jax import cli  # noqa: E402

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Path to a config file (configs/*.py).',
                                lock_config=True)
flags.DEFINE_string('workdir', None, 'Where checkpoints, logs and samples go.')
flags.mark_flags_as_required(['config', 'workdir'])
flags.DEFINE_bool('restart', False,
                  'Start over in a workdir that already holds a run: the old run (checkpoints, '
                  'logs, samples, config.json) is moved to <workdir>/replaced_<time>/. A workdir '
                  'that also holds files training did not write is refused.')
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
  del argv  # cli.flags_parser refused extra arguments
  logging.set_verbosity(logging.WARNING)  # orbax logs every file it renames at INFO
  from infogan_jax.training import parallel  # after flag parsing: keeps --help fast
  try:
    # jax.distributed must start before anything touches a device.
    parallel.initialize_distributed(FLAGS.coordinator_address, FLAGS.num_processes,
                                    FLAGS.process_id, enable=FLAGS.distributed)
  except (ValueError, TypeError) as e:  # e.g. --num_processes without --process_id
    cli.fail('train.py', f'cannot start jax.distributed: {e}')
  import jax
  from infogan_jax.training import loop
  advice = host_memory.advice(jax.default_backend(), heap_kept=HEAP_KEPT)
  if advice and jax.process_index() == 0:
    print(advice, flush=True)
  cli.run('train.py', FLAGS.workdir,
          lambda: loop.train(FLAGS.config, FLAGS.workdir, restart=FLAGS.restart, stop=STOP))


if __name__ == '__main__':
  app.run(main, flags_parser=cli.flags_parser('train.py'))
