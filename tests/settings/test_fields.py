"""Each config field is declared once (infogan_jax/settings/fields.py): configs/default.py
and config_validation both read that table, and a run's config.json older than a field
loads with the value that field's declaration gives for such runs."""
import collections
import json
import os
import subprocess
import sys

import ml_collections
import pytest

from configs import default, tiny
from infogan_jax import errors
from infogan_jax.settings import config_validation
from infogan_jax.settings import fields
from infogan_jax.settings import rules
from infogan_jax.training import workdir as workdir_lib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _leaves(d, prefix=''):
  for k, v in d.items():
    if hasattr(v, 'items'):
      yield from _leaves(v, f'{prefix}{k}.')
    else:
      yield prefix + k


def _without(config_dict, name):
  *groups, leaf = name.split('.')
  target = config_dict
  for group in groups:
    target = target[group]
  del target[leaf]
  if groups and not target:   # a group left empty goes too, as in runs before it
    _without(config_dict, '.'.join(groups))


def _write_recorded(workdir, config_dict):
  os.makedirs(workdir, exist_ok=True)
  with open(workdir_lib.config_path(workdir), 'w') as f:
    json.dump(config_dict, f)


def test_every_default_field_is_declared_exactly_once_with_a_rule():
  declared = collections.Counter(f.name for f in fields.FIELDS)
  assert [n for n, count in declared.items() if count > 1] == []
  in_default = list(_leaves(default.get_config()))
  assert collections.Counter(in_default) == declared
  for field in fields.FIELDS:
    assert isinstance(field.rule, rules.Rule), field.name
    assert field.rule.allowed, field.name
    assert config_validation.RULES[field.name] is field.rule
  assert set(config_validation.RULES) == set(declared)


def test_every_config_sets_declared_fields_only():
  declared = {f.name for f in fields.FIELDS}
  folder = os.path.join(ROOT, 'configs')
  names = sorted(n[:-3] for n in os.listdir(folder) if n.endswith('.py') and n != '__init__.py')
  assert 'default' in names and 'tiny' in names
  for name in names:
    module = __import__(f'configs.{name}', fromlist=['get_config'])
    undeclared = sorted(set(_leaves(module.get_config())) - declared)
    assert not undeclared, f'configs/{name}.py sets undeclared fields: {undeclared}'


def test_loading_a_config_imports_no_jax():
  # train.py loads the config file while it parses its flags, before JAX is wanted; the
  # rules import the modules owning their allowed values only when first used.
  code = ('import sys, configs.default, configs.shapes; '
          "print(sorted({m.split('.')[0] for m in sys.modules} & {'jax', 'flax', 'tensorflow'}))")
  out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True,
                       check=True).stdout
  assert out.strip() == '[]', out


def test_a_field_declared_twice_is_refused():
  twice = fields.FIELDS + (fields.Field('seed', 1, rules.NON_NEGATIVE),)
  with pytest.raises(ValueError, match=r"more than once in FIELDS: \['seed'\]"):
    fields._check_table(twice)
  with pytest.raises(ValueError, match=r"also groups: \['latent'\]"):
    fields._check_table(fields.FIELDS + (fields.Field('latent', 1, rules.NON_NEGATIVE),))


def test_default_config_is_built_from_the_declarations():
  config = default.get_config()
  assert isinstance(config, ml_collections.ConfigDict)
  for field in fields.FIELDS:
    value = fields.lookup(config, field.name)
    assert value == field.default and type(value) is type(field.default), field.name
  # Each call builds a config of its own.
  config.latent.noise_dim = 3
  assert default.get_config().latent.noise_dim == fields.BY_NAME['latent.noise_dim'].default


def test_declared_defaults_and_old_run_defaults_satisfy_their_rules():
  for field in fields.FIELDS:
    assert field.rule.check(field.default), (field.name, field.default)
    if field.fills_in:
      assert field.rule.check(field.old_default), (field.name, field.old_default)
  assert config_validation.OPTIONAL == {
      f.name: f.old_default for f in fields.FIELDS if f.fills_in}


OLD_RUN_FIELDS = [f for f in fields.FIELDS if f.fills_in]


@pytest.mark.parametrize('field', OLD_RUN_FIELDS, ids=[f.name for f in OLD_RUN_FIELDS])
def test_an_older_config_json_without_a_field_loads_with_its_old_default(field, tmp_path):
  recorded = tiny.get_config().to_dict()
  _without(recorded, field.name)
  workdir = str(tmp_path / 'old_run')
  _write_recorded(workdir, recorded)
  config = workdir_lib.read_config(workdir)
  value = fields.lookup(config, field.name)
  assert value == field.old_default and type(value) is type(field.old_default)
  config_validation.validate(config, num_devices=1, num_processes=1)


def test_an_older_config_json_without_a_whole_group_loads(tmp_path):
  # Runs before the consistency term recorded no config.consistency at all.
  recorded = tiny.get_config().to_dict()
  del recorded['consistency']
  workdir = str(tmp_path / 'old_run')
  _write_recorded(workdir, recorded)
  config = workdir_lib.read_config(workdir)
  assert config.consistency.to_dict() == {
      'weight': 0.0, 'rotation': 0.0, 'scale': 0.0, 'shift': 0.0}
  config_validation.validate(config, num_devices=1, num_processes=1)


def test_fields_left_out_stay_out_and_required_fields_are_named(tmp_path):
  recorded = tiny.get_config().to_dict()
  del recorded['eval']        # LEFT_OUT: only eval.py reads it
  config = config_validation.with_defaults(ml_collections.ConfigDict(recorded))
  assert 'eval' not in config
  config_validation.validate(config, num_devices=1, num_processes=1)
  assert fields.BY_NAME['eval.restarts'].old_default is fields.LEFT_OUT

  required = [f for f in fields.FIELDS if not f.optional]
  assert 'model.q_width' in [f.name for f in required]
  for field in required:
    recorded = tiny.get_config().to_dict()
    _without(recorded, field.name)
    with pytest.raises(errors.ConfigError,
                       match=f'config.{field.name} is missing: every config must define it'):
      config_validation.validate(ml_collections.ConfigDict(recorded), num_devices=1,
                                 num_processes=1)
