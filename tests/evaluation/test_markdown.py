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


_DISTRIBUTION = {
    'num_generated': 500, 'num_real_test': 400,
    'kid': {'mean': 0.01234, 'std': 0.0021, 'subset_size': 400, 'num_subsets': 100,
            'num_real': 400, 'num_generated': 500},
    'precision_recall': {'precision': 0.8, 'recall': 0.5, 'k': 3, 'num_real': 400,
                         'num_generated': 500},
    'density_coverage': {'density': 1.1, 'coverage': 0.75, 'k': 5, 'num_real': 400,
                         'num_generated': 500},
    'inception': {'skipped': 'Inception FID, KID and IS skipped: (why)'}}


def test_mnist_report_states_each_distance_with_its_sample_sizes():
  m = {'step': 1, 'L_I': {}, 'frechet_distance': 3.0,
       'frechet_distance_floor_train_vs_test': 0.5, 'classifier_score': 9.1,
       'classifier_score_real_test': 9.8, 'continuous_codes': {}, 'figures': {},
       'classifier_test_accuracy': 0.99, **_DISTRIBUTION}
  lines = markdown.render_report(m, 'runs/dcgan').splitlines()
  assert ('- Frechet distance (classifier features, 500 generated vs 400 real test images): '
          '3.00 (real train vs test floor: 0.50)') in lines
  assert ('- KID (classifier features, unbiased; mean and std over 100 subsets of 400 of 500 '
          'generated and 400 real test images): 0.01234 +- 0.0021') in lines
  assert '- Precision / recall (k = 3, 500 generated vs 400 real): 0.800 / 0.500' in lines
  assert '- Density / coverage (k = 5): 1.100 / 0.750' in lines
  assert not any('Intra-class' in line for line in lines)   # no class code
  assert '- Inception FID, KID and IS skipped: (why)' in lines
  m['intra_class_frechet_distance'] = {'mean': 12.345, 'per_class': {}, 'classes': 10,
                                       'min_real': 38, 'min_fake': 41}
  lines = markdown.render_report(m, 'runs/cgan').splitlines()
  assert ('- Intra-class Frechet distance (mean over 10 digits, at least 41 generated and 38 '
          'real images each): 12.35') in lines
  m['inception'] = {'fid': 81.234, 'kid': {'mean': 0.0512, 'std': 0.004, 'subset_size': 400,
                                           'num_subsets': 100},
                    'inception_score': {'mean': 2.345, 'std': 0.0321, 'splits': 10},
                    'inception_score_real_test': 2.5, 'num_generated': 500, 'num_real': 400,
                    'resize': 'bilinear to 299'}
  m['cas'] = {'mean': 0.9123, 'per_seed': [0.9123], 'seeds': [0], 'num_generated': 10000}
  lines = markdown.render_report(m, 'runs/cgan').splitlines()   # CAS alone (a later seed)
  assert ('- CAS (the classifier trained on 10000 generated labelled images only, real test '
          'accuracy, classifier seeds 0): **0.912**') in lines
  assert not any(line.startswith('- Augmentation') for line in lines)
  m['augmentation'] = {'seeds': [0, 1, 2], 'num_generated': 10000, 'steps': 1000, 'sizes': {
      '100': {'real_mean': 0.7, '+generated_mean': 0.8, 'gain_generated': 0.1,
              '+shift_rotate_mean': 0.75, 'gain_shift_rotate': 0.05}}}
  lines = markdown.render_report(m, 'runs/cgan').splitlines()
  assert ('- Augmentation, 100 real labelled images (test accuracy, mean of seeds 0, 1, 2): '
          'alone 0.700; + 10000 generated 0.800 (+0.100); + as many shifted/rotated copies '
          '0.750 (+0.050)') in lines
  assert ('- Inception (FID Inception of pytorch-fid; bilinear to 299; 500 generated vs 400 '
          'real test images): FID 81.23, KID 0.0512 +- 0.004 (100 subsets of 400), IS 2.35 +- '
          '0.03 (10 splits; real test images: 2.50)') in lines


def test_mnist_report_gives_the_continuous_ceiling_only_to_the_continuous_group():
  m = {'step': 4, 'L_I': {'cat0': 2.0, 'cont': 0.5}, 'H_c': {'cat0': 2.3026, 'cont': 0.6931},
       'L_I_cont_ceiling_fixed_std': -0.2258, 'frechet_distance': 3.0,
       'frechet_distance_floor_train_vs_test': 0.5, 'classifier_score': 9.1,
       'classifier_score_real_test': 9.8, 'continuous_codes': {}, 'figures': {},
       'classifier_test_accuracy': 0.9912, 'categorical_accuracy': 0.95, **_DISTRIBUTION}
  lines = markdown.render_report(m, 'runs/mnist').splitlines()
  assert '**0.950** accuracy (5.0% error; paper: 5% error)' in lines[2]
  assert '- L_I cat0: 2.000 nats (H(c) = 2.303)' in lines
  assert ('- L_I cont: 0.500 nats (H(c) = 0.693; ceiling with std fixed at 1: -0.226)'
          in lines)
  assert '- MNIST classifier test accuracy: 0.9912' in lines


def test_a_report_ends_with_where_the_time_went_longest_first():
  m = {'step': 7, 'num_images': 300, 'mig': 0.1, 'shape_accuracy': 0.5,
       'category_to_shape': {}, 'L_I': {}, 'H_c': {}, 'factors': {},
       'figures': {'a': 'a.png'}, 'seconds': {'FactorEvaluator': 3.2, 'SampleFigures': 10.4}}
  lines = markdown.render_factor_report(m, 'runs/shapes').splitlines()
  assert lines[-3:] == ['Figures: a.png', '',
                        'Time: 14 s (SampleFigures 10 s, FactorEvaluator 3 s).']
