"""What a config field's value may be: the kinds of rule the fields in fields.py use.

A `Rule` says whether a value is allowed (`check`) and, in words, what is (`allowed`); the
words go into config_validation's messages ("config.<field> must be <allowed>, got ...").
"""
from __future__ import annotations

import math
import numbers


class Rule:
  """`check(value)` is True if the value is allowed; `allowed` says what is."""

  def __init__(self, check, allowed: str):
    self.check, self.allowed = check, allowed

  def __repr__(self):
    return f'Rule({self.allowed!r})'


class _Deferred(Rule):
  """A rule built by `build()` on first use."""

  def __init__(self, build):  # pylint: disable=super-init-not-called
    self._build, self._rule = build, None

  def _resolved(self) -> Rule:
    if self._rule is None:
      self._rule = self._build()
    return self._rule

  @property
  def check(self):
    return self._resolved().check

  @property
  def allowed(self):
    return self._resolved().allowed


def deferred(build) -> Rule:
  """The rule `build()` returns, built when it is first used (for values that a module
  which is slow to import owns)."""
  return _Deferred(build)


def integer(lo=None, hi=None, text=None) -> Rule:
  if text:
    pass
  elif lo == 1 and hi is None:
    text = 'an integer > 0'
  elif lo == 0 and hi is None:
    text = 'an integer >= 0'
  else:
    text = f'an integer in [{lo}, {hi}]'

  def ok(v):
    return (isinstance(v, numbers.Integral) and not isinstance(v, bool)
            and (lo is None or v >= lo) and (hi is None or v <= hi))
  return Rule(ok, text)


def number(lo=None, lo_open=False, hi=None, hi_open=False, text=None) -> Rule:
  def ok(v):
    if not isinstance(v, numbers.Real) or isinstance(v, bool) or not math.isfinite(v):
      return False
    if lo is not None and (v <= lo if lo_open else v < lo):
      return False
    if hi is not None and (v >= hi if hi_open else v > hi):
      return False
    return True
  return Rule(ok, text)


def choice(*options) -> Rule:
  return Rule(lambda v: isinstance(v, str) and v in options, f'one of {options}')


def boolean() -> Rule:
  return Rule(lambda v: isinstance(v, bool), 'True or False')


def string(what='a string (a path; empty for the default)') -> Rule:
  return Rule(lambda v: isinstance(v, str), what)


def file_path(suffixes, what) -> Rule:
  """Empty, or a path ending in one of `suffixes`."""
  return Rule(lambda v: isinstance(v, str) and (v == '' or v.endswith(tuple(suffixes))),
              f'{what}: empty, or a path ending in one of {tuple(suffixes)}')


def int_tuple(lo, text, allow_empty) -> Rule:
  def ok(v):
    return (isinstance(v, (tuple, list)) and (allow_empty or len(v) > 0) and all(
        isinstance(k, numbers.Integral) and not isinstance(k, bool) and k >= lo for k in v))
  return Rule(ok, text)


POSITIVE = integer(1)
NON_NEGATIVE = integer(0)
RATE = number(lo=0, lo_open=True, text='a finite number > 0')
BETA = number(lo=0, hi=1, hi_open=True, text='a number in [0, 1)')
WEIGHT = number(lo=0, text='a finite number >= 0')
SHARE = number(lo=0, hi=1, text='a number in [0, 1] (a probability)')
WIDTHS = int_tuple(1, 'a non-empty tuple of integers > 0 (layer widths)', False)
