"""python -m cca"""

from cca.cli import run

run()
