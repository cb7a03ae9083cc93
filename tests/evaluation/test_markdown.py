"""report.md's text (infogan_jax/evaluation/markdown.py) from hand-made metrics."""
from infogan_jax.evaluation import markdown


def test_factor_report_has_the_mig_each_factor_and_the_figures():
  m = {'step': 7, 'num_images': 300, 'mig': 0.1854, 'shape_accuracy': 0.5,
       'category_to_shape': {0: 'square'}, 'L_I': {'cat0': 0.9}, 'H_c': {'cat0': 1.0986},
       'factors': {'shape': {'best_code': 'cat0', 'normalised_mi': 0.61, 'gap': 0.4},
                   'colour': {'constant': True}},
       'figures': {'b': 'b.png', 'a': 'a.png'}}
  lines = markdown.render_factor_report(m, 'runs/shapes').splitlines()
  assert lines[0] == '# Disentanglement: runs/shapes, step 7'
  assert lines[2].endswith('discretised into 20 bins): **0.185**')
  assert '- L_I cat0: 0.900 nats (H(c) = 1.099)' in lines
  assert '| shape | cat0 | 0.610 | 0.400 |' in lines and '| colour | (constant) | | |' in lines
  assert lines[-1] == 'Figures: a.png, b.png'


def test_mnist_report_gives_the_continuous_ceiling_only_to_the_continuous_group():
  m = {'step': 4, 'L_I': {'cat0': 2.0, 'cont': 0.5}, 'H_c': {'cat0': 2.3026, 'cont': 0.6931},
       'L_I_cont_ceiling_fixed_std': -0.2258, 'frechet_distance': 3.0,
       'frechet_distance_floor_train_vs_test': 0.5, 'classifier_score': 9.1,
       'classifier_score_real_test': 9.8, 'continuous_codes': {}, 'figures': {},
       'classifier_test_accuracy': 0.9912, 'categorical_accuracy': 0.95}
  lines = markdown.render_report(m, 'runs/mnist').splitlines()
  assert '**0.950** accuracy (5.0% error; paper: 5% error)' in lines[2]
  assert '- L_I cat0: 2.000 nats (H(c) = 2.303)' in lines
  assert ('- L_I cont: 0.500 nats (H(c) = 0.693; ceiling with std fixed at 1: -0.226)'
          in lines)
  assert '- MNIST classifier test accuracy: 0.9912' in lines
