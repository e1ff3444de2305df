"""The program's entry point where a Python language host runs it (`pulumi up` in this directory)."""
from ha_pair import ha_pair

ha_pair()
