"""Generate emulator/spec/params.json: the request parameters of every Stripe API operation, read from
the installed stripe-python package (the venv's `stripe`, 16.1.0 when this was written).

How it works:
  1. Every service class (`stripe/**/_*_service.py`) is parsed with `ast`. Each sync method that calls
     `self._request(...)` / `self._request_stream(...)` gives an operation: HTTP method, path template
     (the SDK's placeholder names are kept: `{customer}`, `{subscription_exposed_id}`...), base address
     and the TypedDict named by the method's `params` annotation. Async twins (`*_async`) are skipped,
     and so are operations whose base address is not "api" (file uploads, the quote PDF, OAuth).
  2. That TypedDict, and every TypedDict it refers to, is read from its module in `stripe/params/`
     (again with `ast`: annotations there are string forward references such as
     `NotRequired["Literal['']|CustomerCreateParamsAddress"]`) and turned into an OpenAPI-style schema:
        int -> integer, float -> number, bool -> boolean, str -> string,
        Decimal -> {"type": "string", "format": "decimal"} (Stripe's OpenAPI form for `*_decimal`),
        Literal['a', 'b'] -> string enum, List[X] -> array,
        Dict[str, X] / UntypedStripeObject[X] -> object with additionalProperties,
        TypedDict -> object with properties (+ "required", sorted: the keys not wrapped in NotRequired),
        X|Y / Union[X, Y] -> anyOf (identical members merged, a single member unwrapped),
        Optional[X] / X|None -> X with "nullable": true (only v2 metadata values use it).
     Keys inherited from RequestOptions (api_key, stripe_account, idempotency_key...) are client
     options, not form parameters, and are left out. Anything that does not map fails the run loudly.
  3. Every class's keys and required keys are cross-checked against the runtime TypedDict
     (`__annotations__`, `__required_keys__`) after importing its module.

The output is committed (the emulator validates incoming parameters against it); rerun after upgrading
stripe-python:  `.venv/bin/python tools/gen_param_spec.py`
"""

from __future__ import annotations

import ast
import importlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import stripe
from stripe._api_version import _ApiVersion
from stripe._request_options import RequestOptions
from stripe._version import VERSION as STRIPE_PYTHON_VERSION

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "emulator" / "spec" / "params.json"
STRIPE_DIR = Path(stripe.__file__).resolve().parent
API_BASE = "api"
REQUEST_CALLS = {"_request", "_request_stream"}
V2_COERCE_FUNCTION = "_coerce_v2_params"
REQUEST_OPTIONS_MODULE = "stripe._request_options"
REQUEST_OPTION_KEYS = frozenset(RequestOptions.__annotations__)

Schema = dict[str, Any]

PRIMITIVES: dict[str, Schema] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
}
# Types imported from outside the stripe package that params modules use.
EXTERNAL_TYPES: dict[tuple[str, str], Schema] = {
    ("decimal", "Decimal"): {"type": "string", "format": "decimal"},  # as in Stripe's OpenAPI spec
}
LIST_TYPES = {"List", "Sequence"}
MAP_TYPES = {"Dict", "Mapping", "UntypedStripeObject"}


class UnmappedType(Exception):
    """A type annotation this generator does not know how to express."""


@dataclass(frozen=True)
class ClassRef:
    module: str  # dotted module name, e.g. "stripe.params._customer_update_params"
    name: str

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True)
class Operation:
    http_method: str
    path: str
    base_address: str
    params_class: ClassRef | None
    sdk_method: str  # "stripe/_customer_service.py:CustomerService.update", for reports

    @property
    def key(self) -> str:
        return f"{self.http_method} {self.path}"


# A module-level binding in a parsed module: a class, a functional `TypedDict("N", {...})` call,
# or a name imported from another module.
@dataclass(frozen=True)
class ImportedName:
    module: str
    name: str


Binding = Union[ast.ClassDef, ast.Call, ImportedName]


def module_file(module: str) -> Path:
    parts = module.split(".")
    if parts[0] != "stripe":
        raise UnmappedType(f"module outside the stripe package: {module}")
    base = STRIPE_DIR.joinpath(*parts[1:])
    package_init = base / "__init__.py"
    return package_init if package_init.exists() else base.with_suffix(".py")


def module_name(path: Path) -> str:
    relative = path.resolve().relative_to(STRIPE_DIR.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class ModuleIndex:
    """Top-level bindings of stripe modules, parsed with ast once per module."""

    def __init__(self) -> None:
        self._bindings: dict[str, dict[str, Binding]] = {}

    def bindings(self, module: str) -> dict[str, Binding]:
        if module not in self._bindings:
            tree = ast.parse(module_file(module).read_text())
            found: dict[str, Binding] = {}
            # ast.walk also reaches imports inside `if TYPE_CHECKING:` blocks.
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    for alias in node.names:
                        found[alias.asname or alias.name] = ImportedName(node.module, alias.name)
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    found[node.name] = node
                elif (
                    isinstance(node, ast.Assign)
                    and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Call)
                    and isinstance(node.value.func, ast.Name)
                    and node.value.func.id == "TypedDict"
                ):
                    found[node.targets[0].id] = node.value
            self._bindings[module] = found
        return self._bindings[module]

    def resolve(self, module: str, name: str) -> ClassRef:
        """Follow imports until the module that defines `name` (or a non-stripe module)."""
        seen: set[tuple[str, str]] = set()
        while (module, name) not in seen:
            seen.add((module, name))
            if module.split(".")[0] != "stripe":
                return ClassRef(module, name)
            binding = self.bindings(module).get(name)
            if binding is None:
                raise UnmappedType(f"name {name!r} is not defined or imported in {module}")
            if isinstance(binding, ImportedName):
                module, name = binding.module, binding.name
                continue
            return ClassRef(module, name)
        raise UnmappedType(f"import cycle resolving {name!r} in {module}")

    def definition(self, ref: ClassRef) -> ast.ClassDef | ast.Call:
        binding = self.bindings(ref.module)[ref.name]
        assert not isinstance(binding, ImportedName)
        return binding


def parse_annotation(node: ast.expr) -> ast.expr:
    """Forward references are strings; parse them into expressions."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return parse_annotation(ast.parse(node.value, mode="eval").body)
    return node


def subscript_args(node: ast.Subscript) -> list[ast.expr]:
    inner = node.slice
    return list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]


def constant_bool(node: ast.expr, where: str) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    raise UnmappedType(f"{where}: expected a bool constant, got {ast.unparse(node)}")


def canonical(schema: Schema) -> str:
    return json.dumps(schema, sort_keys=True)


class SchemaBuilder:
    """Turns params TypedDicts into schemas, memoized per class."""

    def __init__(self, index: ModuleIndex) -> None:
        self.index = index
        self.memo: dict[ClassRef, Schema] = {}
        self._in_progress: list[ClassRef] = []
        self.errors: list[str] = []

    # --- TypedDicts -------------------------------------------------------------------------------

    def class_schema(self, ref: ClassRef) -> Schema:
        if ref in self.memo:
            return self.memo[ref]
        if ref in self._in_progress:
            cycle = " -> ".join(str(r) for r in [*self._in_progress, ref])
            raise UnmappedType(f"recursive params type (cannot be inlined): {cycle}")
        self._in_progress.append(ref)
        try:
            properties, required = self._fields(ref)
        finally:
            self._in_progress.pop()
        schema: Schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = sorted(required)
        self.memo[ref] = schema
        return schema

    def _fields(self, ref: ClassRef) -> tuple[dict[str, Schema], list[str]]:
        definition = self.index.definition(ref)
        properties: dict[str, Schema] = {}
        required: list[str] = []

        def add(key: str, annotation: ast.expr, total: bool) -> None:
            where = f"{ref}.{key}"
            annotation = parse_annotation(annotation)
            is_required = total
            if (
                isinstance(annotation, ast.Subscript)
                and isinstance(annotation.value, ast.Name)
                and annotation.value.id in ("NotRequired", "Required")
            ):
                is_required = annotation.value.id == "Required"
                annotation = annotation.slice
            try:
                properties[key] = self.type_schema(annotation, ref.module, where)
            except UnmappedType as error:
                self.errors.append(f"{where}: {error}")
                return
            if is_required:
                required.append(key)

        if isinstance(definition, ast.Call):  # _Base = TypedDict("Name", {"from": "X"}, total=...)
            total = True
            for keyword in definition.keywords:
                if keyword.arg != "total":
                    raise UnmappedType(f"{ref}: unexpected TypedDict() keyword {keyword.arg}")
                total = constant_bool(keyword.value, str(ref))
            if len(definition.args) != 2 or not isinstance(definition.args[1], ast.Dict):
                raise UnmappedType(f"{ref}: unexpected functional TypedDict form")
            for key_node, value_node in zip(definition.args[1].keys, definition.args[1].values):
                if not (isinstance(key_node, ast.Constant) and isinstance(key_node.value, str)):
                    raise UnmappedType(f"{ref}: non-string TypedDict key")
                add(key_node.value, value_node, total)
            return properties, required

        total = True
        for keyword in definition.keywords:
            if keyword.arg != "total":
                raise UnmappedType(f"{ref}: unexpected class keyword {keyword.arg}")
            total = constant_bool(keyword.value, str(ref))
        for base in definition.bases:
            if not isinstance(base, ast.Name):
                raise UnmappedType(f"{ref}: unexpected base {ast.unparse(base)}")
            if base.id == "TypedDict":
                continue
            base_ref = self.index.resolve(ref.module, base.id)
            if base_ref == ClassRef(REQUEST_OPTIONS_MODULE, "RequestOptions"):
                continue  # client options (api_key, stripe_account...), not form parameters
            base_schema = self.class_schema(base_ref)
            properties.update(base_schema["properties"])
            required.extend(base_schema.get("required", []))
        for statement in definition.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                add(statement.target.id, statement.annotation, total)
            elif isinstance(statement, (ast.Expr, ast.Pass)):
                continue  # docstrings
            else:
                raise UnmappedType(f"{ref}: unexpected class body statement {ast.unparse(statement)[:80]}")
        return properties, required

    # --- annotations ------------------------------------------------------------------------------

    def type_schema(self, node: ast.expr, module: str, where: str) -> Schema:
        node = parse_annotation(node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self._union(self._flatten_bitor(node), module, where)
        if isinstance(node, ast.Name):
            if node.id in PRIMITIVES:
                return dict(PRIMITIVES[node.id])
            ref = self.index.resolve(module, node.id)
            if (ref.module, ref.name) in EXTERNAL_TYPES:
                return dict(EXTERNAL_TYPES[(ref.module, ref.name)])
            if ref.module.split(".")[0] != "stripe":
                raise UnmappedType(f"unsupported external type {ref}")
            return self.class_schema(ref)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            generic = node.value.id
            args = subscript_args(node)
            if generic == "Literal":
                values = []
                for arg in args:
                    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                        raise UnmappedType(f"non-string Literal member {ast.unparse(arg)}")
                    values.append(arg.value)
                return {"type": "string", "enum": values}
            if generic in LIST_TYPES and len(args) == 1:
                return {"type": "array", "items": self.type_schema(args[0], module, where)}
            if generic in MAP_TYPES:
                if generic == "UntypedStripeObject" and len(args) == 1:
                    value = args[0]
                elif len(args) == 2 and ast.unparse(parse_annotation(args[0])) == "str":
                    value = args[1]
                else:
                    raise UnmappedType(f"unsupported mapping {ast.unparse(node)}")
                return {"type": "object", "additionalProperties": self.type_schema(value, module, where)}
            if generic == "Union":
                return self._union(args, module, where)
            if generic == "Optional" and len(args) == 1:
                return self._union([args[0], ast.Constant(None)], module, where)
        raise UnmappedType(f"unsupported annotation {ast.unparse(node)}")

    def _flatten_bitor(self, node: ast.expr) -> list[ast.expr]:
        node = parse_annotation(node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self._flatten_bitor(node.left) + self._flatten_bitor(node.right)
        return [node]

    def _union(self, members: list[ast.expr], module: str, where: str) -> Schema:
        nullable = False
        schemas: list[Schema] = []
        seen: set[str] = set()
        for member in members:
            member = parse_annotation(member)
            if isinstance(member, ast.Constant) and member.value is None:
                nullable = True
                continue
            schema = self.type_schema(member, module, where)
            key = canonical(schema)
            if key not in seen:  # Dict[str, str]|UntypedStripeObject[str] are the same thing
                seen.add(key)
                schemas.append(schema)
        if not schemas:
            raise UnmappedType("union of None only")
        result: Schema = dict(schemas[0]) if len(schemas) == 1 else {"anyOf": schemas}
        if nullable:
            result["nullable"] = True
        return result


# --- services -------------------------------------------------------------------------------------


def string_constant(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def is_request_call(node: ast.AST) -> bool:
    """`self._request(...)`, `self._request_stream(...)`, or OAuth's `self._requestor.request(...)`."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    target = node.func.value
    if node.func.attr in REQUEST_CALLS:
        return isinstance(target, ast.Name) and target.id == "self"
    return (
        node.func.attr == "request"
        and isinstance(target, ast.Attribute)
        and target.attr == "_requestor"
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
    )


def path_template(node: ast.expr) -> str | None:
    """`"/v1/x"` or `"/v1/x/{id}".format(id=...)`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return string_constant(node.func.value)
    return string_constant(node)


def params_annotation_name(function: ast.FunctionDef) -> str | None:
    """The class named by `params: Optional["X"]` / `params: "X"`."""
    for argument in [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]:
        if argument.arg != "params":
            continue
        annotation = argument.annotation
        if annotation is None:
            return None
        if (
            isinstance(annotation, ast.Subscript)
            and isinstance(annotation.value, ast.Name)
            and annotation.value.id == "Optional"
        ):
            annotation = annotation.slice
        name = string_constant(annotation)
        if name is None:
            raise UnmappedType(f"params annotation {ast.unparse(argument.annotation)} is not a class name")
        return name
    return None


def service_operations(index: ModuleIndex, problems: list[str]) -> list[Operation]:
    operations: list[Operation] = []
    for path in sorted(STRIPE_DIR.rglob("_*_service.py")):
        if "__pycache__" in path.parts:
            continue
        module = module_name(path)
        relative = path.relative_to(STRIPE_DIR.parent).as_posix()
        tree = ast.parse(path.read_text())
        for service in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for function in service.body:
                if not isinstance(function, ast.FunctionDef) or function.name.startswith("_"):
                    continue  # async twins are AsyncFunctionDef
                if function.name.endswith("_async"):
                    continue
                sdk_method = f"{relative}:{service.name}.{function.name}"
                calls = [call for call in ast.walk(function) if is_request_call(call)]
                for call in calls:
                    keywords = {k.arg: k.value for k in call.keywords}
                    http_method = string_constant(call.args[0]) if call.args else None
                    template = path_template(call.args[1]) if len(call.args) > 1 else None
                    base_address = string_constant(keywords.get("base_address"))
                    if http_method is None or template is None or base_address is None:
                        problems.append(f"{sdk_method}: cannot read the request call {ast.unparse(call)[:120]}")
                        continue
                    params_class: ClassRef | None = None
                    params_node = keywords.get("params")
                    if (
                        isinstance(params_node, ast.Call)
                        and isinstance(params_node.func, ast.Name)
                        and params_node.func.id == V2_COERCE_FUNCTION
                        and params_node.args
                    ):
                        # v2: `_coerce_v2_params(params, {...})` only re-encodes Decimal values.
                        params_node = params_node.args[0]
                    try:
                        if isinstance(params_node, ast.Name) and params_node.id == "params":
                            class_name = params_annotation_name(function)
                            if class_name is not None and base_address == API_BASE:
                                params_class = index.resolve(module, class_name)
                        elif params_node is not None and not (
                            isinstance(params_node, ast.Constant) and params_node.value is None
                        ):
                            raise UnmappedType(f"params={ast.unparse(params_node)}")
                    except UnmappedType as error:
                        problems.append(f"{sdk_method}: {error}")
                        continue
                    operations.append(
                        Operation(http_method.upper(), template, base_address, params_class, sdk_method)
                    )
    return operations


# --- runtime cross-check --------------------------------------------------------------------------


def runtime_mismatches(memo: dict[ClassRef, Schema]) -> list[str]:
    """Compare each class's keys/required keys with what Python's TypedDict machinery says."""
    mismatches: list[str] = []
    for ref, schema in memo.items():
        cls = getattr(importlib.import_module(ref.module), ref.name)
        inherits_options = RequestOptions in getattr(cls, "__orig_bases__", ())
        runtime_keys = set(cls.__annotations__)
        runtime_required = set(cls.__required_keys__)
        if inherits_options:
            own = runtime_keys - REQUEST_OPTION_KEYS
            runtime_keys, runtime_required = own, runtime_required & own
        if runtime_keys != set(schema["properties"]):
            mismatches.append(f"{ref}: keys differ from runtime: {sorted(runtime_keys ^ set(schema['properties']))}")
        if runtime_required != set(schema.get("required", [])):
            mismatches.append(f"{ref}: required keys differ from runtime")
    return mismatches


def main() -> int:
    index = ModuleIndex()
    problems: list[str] = []
    operations = service_operations(index, problems)
    builder = SchemaBuilder(index)

    skipped: list[Operation] = []
    specs: dict[str, Schema] = {}
    sources: dict[str, Operation] = {}
    for operation in operations:
        # v2 endpoints take JSON bodies and are outside what the emulator serves.
        if operation.base_address != API_BASE or not operation.path.startswith("/v1/"):
            skipped.append(operation)
            continue
        try:
            schema = (
                builder.class_schema(operation.params_class)
                if operation.params_class
                else {"type": "object", "properties": {}}
            )
        except UnmappedType as error:
            problems.append(f"{operation.sdk_method}: {error}")
            continue
        previous = sources.get(operation.key)
        if previous is not None and canonical(specs[operation.key]) != canonical(schema):
            problems.append(
                f"{operation.key}: defined twice with different params "
                f"({previous.sdk_method} / {operation.sdk_method})"
            )
            continue
        specs[operation.key] = schema
        sources.setdefault(operation.key, operation)

    problems.extend(builder.errors)
    problems.extend(runtime_mismatches(builder.memo))
    if problems:
        print(f"gen_param_spec: {len(problems)} problem(s), nothing written:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1

    document = {
        "meta": {
            "generated_by": "tools/gen_param_spec.py",
            "stripe_python": STRIPE_PYTHON_VERSION,
            "api_version": _ApiVersion.CURRENT,
        },
        "operations": specs,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n")

    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(specs)} operations, {OUTPUT.stat().st_size:,} bytes")
    for operation in skipped:
        print(f"  skipped (base_address={operation.base_address!r}): {operation.key}  [{operation.sdk_method}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
