"""Throwaway PostgreSQL and Redis servers for the demo and the tests."""

from vedb.stack.servers import Server, StackError
from vedb.stack.stack import Stack, start_stack

__all__ = ["Server", "Stack", "StackError", "start_stack"]
