"""The same program through the Automation API, as an inline program: no Python language host needed.

    python deploy.py preview|up|refresh|destroy

The stack's configuration from the environment (see README.md): KEEPALIVE_LB1_ADDRESS,
KEEPALIVE_LB1_HOST_KEY, KEEPALIVE_LB2_ADDRESS, KEEPALIVE_LB2_HOST_KEY, KEEPALIVE_PRIVATE_KEY_FILE,
KEEPALIVE_VIP, KEEPALIVE_REAL_SERVER, and optionally KEEPALIVE_INTERFACE, KEEPALIVE_SERVICE_MANAGER.
State goes where PULUMI_BACKEND_URL says, encrypted with PULUMI_CONFIG_PASSPHRASE. The last line
printed is the result as JSON."""
import json
import os
import sys

from pulumi import automation as auto

from ha_pair import ha_pair


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(f"KEEPALIVE_{name}") or default
    if value is None:
        sys.exit(f"KEEPALIVE_{name} is not set")
    return value


def main() -> None:
    command = sys.argv[1] if len(sys.argv) == 2 else ""
    if command not in ("preview", "up", "refresh", "destroy"):
        sys.exit("usage: python deploy.py preview|up|refresh|destroy")
    stack = auto.create_or_select_stack(
        stack_name=os.environ.get("PULUMI_STACK", "dev"), project_name="keepalive-ha-pair", program=ha_pair
    )
    with open(env("PRIVATE_KEY_FILE"), encoding="utf-8") as key:
        private_key = key.read()
    stack.set_all_config({
        "lb1Address": auto.ConfigValue(env("LB1_ADDRESS")),
        "lb1HostKey": auto.ConfigValue(env("LB1_HOST_KEY")),
        "lb2Address": auto.ConfigValue(env("LB2_ADDRESS")),
        "lb2HostKey": auto.ConfigValue(env("LB2_HOST_KEY")),
        "privateKey": auto.ConfigValue(private_key, secret=True),
        "virtualIp": auto.ConfigValue(env("VIP")),
        "realServer": auto.ConfigValue(env("REAL_SERVER")),
        "interface": auto.ConfigValue(env("INTERFACE", "eth0")),
        "serviceManager": auto.ConfigValue(env("SERVICE_MANAGER", "systemd")),
    })
    show = lambda text: print(text, flush=True)  # noqa: E731
    if command == "preview":
        result = {"changes": stack.preview(on_output=show).change_summary}
    elif command == "up":
        up = stack.up(on_output=show)
        result = {"result": up.summary.result, "changes": up.summary.resource_changes,
                  "outputs": {k: v.value for k, v in up.outputs.items()}}
    elif command == "refresh":
        refresh = stack.refresh(on_output=show)
        result = {"result": refresh.summary.result, "changes": refresh.summary.resource_changes}
    else:
        destroy = stack.destroy(on_output=show)
        result = {"result": destroy.summary.result, "changes": destroy.summary.resource_changes}
    print("\n" + json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
