"""Runs train.py or eval.py as on a host without TensorFlow (tests/test_device_data.py).

    python tests/without_tensorflow.py '<sha256 sums as JSON>' train.py --config=... ...

tensorflow and tensorflow_datasets cannot be imported; the MNIST archives' expected
checksums are those given (the test writes its own small archives).
"""
import json
import os
import sys

sys.modules['tensorflow'] = None            # `import tensorflow` raises ImportError
sys.modules['tensorflow_datasets'] = None
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

if __name__ == '__main__':
  sums, script, *argv = sys.argv[1:]
  from absl import app
  from infogan_jax.data import mnist_files
  mnist_files.SHA256 = json.loads(sums)
  module = __import__(os.path.splitext(script)[0])
  sys.argv = [script, *argv]
  app.run(module.main)
