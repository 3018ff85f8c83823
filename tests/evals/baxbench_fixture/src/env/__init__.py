from env.base import Env
from env.python import FastAPIEnv

all_envs = [FastAPIEnv]
