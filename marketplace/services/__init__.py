"""Policies, services and evaluation of achievements: the policy library, the
service providers' catalogue and their requests, evaluations (科技成果评价)
and the start-ups incubators record."""
