"""python -m cca"""

from cca.cli import app

app(prog_name="cca")
