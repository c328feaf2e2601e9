"""Generate emulator/spec/legacy_params.json: parameter schemas of operations Stripe removed from the
current SDK but older pinned versions still call (e.g. `GET /v1/invoices/upcoming`, removed in basil), taken
from the shared operations file (stripe-node data). Output is committed.
`.venv/bin/python tools/gen_legacy_params.py`"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "stripe-shapes" / "stripe_operations.json"
OUTPUT = ROOT / "emulator" / "spec" / "legacy_params.json"
LEGACY = {("GET", "/v1/invoices/upcoming")}


def main() -> None:
    operations = json.loads(SOURCE.read_text())["operations"]
    result = {}
    for op in operations:
        if (op["method"], op["path"]) not in LEGACY:
            continue
        result[f"{op['method']} {op['path']}"] = {
            "type": "object",
            "properties": {param["name"]: param["schema"] for param in op["params"]},
            "required": [param["name"] for param in op["params"] if param.get("required")],
        }
    OUTPUT.write_text(json.dumps({"operations": result}, indent=1, sort_keys=True) + "\n")
    print(f"{OUTPUT}: {len(result)} operations")


if __name__ == "__main__":
    main()
