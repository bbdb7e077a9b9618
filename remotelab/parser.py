"""Function strings such as `get_voltage('CH1')`: parsed, never evaluated.

A string is accepted only if it is exactly one call of a whitelisted name with literal
arguments (numbers, strings, negative numbers), positional or by keyword. Everything else,
from `__import__('os')` to `get_voltage('CH1'); exit()`, is a FunctionError.
"""

import ast

from .functions import FunctionError, LabFunction, bind

MAX_SOURCE_LENGTH = 500
MAX_STRING_LENGTH = 32
MAX_NUMBER = 1e12


def _literal(node: ast.expr):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _literal(node.operand)
        if isinstance(value, str):
            raise FunctionError("Only numbers take a sign.")
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool):
        value = node.value
        if isinstance(value, str):
            if len(value) > MAX_STRING_LENGTH:
                raise FunctionError("A text argument may have 32 characters at most.")
            return value
        if isinstance(value, int | float) and abs(value) <= MAX_NUMBER:
            return value
        if isinstance(value, int | float):
            raise FunctionError("That number is out of any range.")
    raise FunctionError("Arguments must be plain numbers or text, like get_voltage('CH1').")


def parse(source: object) -> tuple[LabFunction, list]:
    """The whitelisted function a string calls and its checked arguments."""
    if not isinstance(source, str) or not source.strip():
        raise FunctionError("Send one function call, like get_voltage('CH1').")
    if len(source) > MAX_SOURCE_LENGTH:
        raise FunctionError(f"A function call may have {MAX_SOURCE_LENGTH} characters at most.")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise FunctionError("That is not a single function call, like get_voltage('CH1').") from error
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise FunctionError("That is not a single function call, like get_voltage('CH1').")
    if any(isinstance(arg, ast.Starred) for arg in call.args) or any(kw.arg is None for kw in call.keywords):
        raise FunctionError("Arguments must be written out, without * or **.")
    args = [_literal(arg) for arg in call.args]
    kwargs = {keyword.arg: _literal(keyword.value) for keyword in call.keywords}
    return bind(call.func.id, args, kwargs)
